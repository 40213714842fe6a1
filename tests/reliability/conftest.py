"""The end-to-end fixtures (a real bot against the emulator) for the reliability suite."""

from tests.e2e.conftest import harness, harness_any_db

__all__ = ["harness", "harness_any_db"]
