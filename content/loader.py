"""Load the content files and validate them with their pydantic schemas.

Every file under ``content/`` is YAML. A broken file must stop start-up with one
line naming the file and the field, so :func:`load_file` turns pydantic's
``ValidationError`` into :class:`ContentError` with exactly that.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

CONTENT_DIR = Path(str(resources.files("content")))
# libyaml's safe loader when PyYAML was built with it: 10x faster, and start-up reads it all.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(RuntimeError):
    """A content file is missing, is not YAML, or does not match its schema."""


def _describe(error: ValidationError, filename: str) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"content file {filename}: field {where}: {first['msg']}{more}"


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError as exc:
        raise ContentError(f"content file {path.name}: missing") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"content file {path.name}: not valid YAML: {exc}") from exc


def load_file(model: type[M], filename: str, directory: Path | None = None) -> M:
    """Read ``filename`` from the content directory and validate it as ``model``."""
    path = (directory or CONTENT_DIR) / filename
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContentError(_describe(exc, filename)) from None


@cache
def cached(model: type[M], filename: str) -> M:
    """The validated content of ``filename``, read once per process."""
    return load_file(model, filename)
