"""Photos, animations and documents the bot sends, and getFile for the files it receives.

A file parameter is an upload (multipart, or ``attach://name``), a URL the server fetches, or
the file_id of a file sent before (:func:`input_file`). A new photo must be an image of at
most 10 MB whose width and height add up to at most 10,000 with a ratio of at most 20; an
animation a GIF or an MP4 of at most 50 MB; a document anything up to 50 MB (the Bot API
reference's limits). A photo or animation sent again by file_id is the same file, with the
same file_ids, as on Telegram. Files the bot downloads must be at most 20 MB.
"""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING

import aiohttp

from tests.emulator.files import StoredFile, photo_sizes, sniff_image
from tests.emulator.keyboards import reply_markup
from tests.emulator.messages import caption_content, chat_to_send_to, post
from tests.emulator.protocol import MB, ApiError, JsonDict, Params, Upload, bad_request, bot_method

if TYPE_CHECKING:
    from tests.emulator.server import EmulatedBotApi
    from tests.emulator.state import TelegramState


async def input_file(
    state: TelegramState, params: Params, name: str
) -> tuple[bytes, Upload | StoredFile]:
    """The bytes of an InputFile parameter: an upload, attach://name, a URL or a file_id."""
    upload = params.uploads.get(name)
    value = params.text(name)
    if upload is None and value is not None and value.startswith("attach://"):
        upload = params.uploads.get(value.removeprefix("attach://"))
    if upload is not None:
        if not upload.data:
            raise bad_request("file must be non-empty")
        state.files.uploaded(upload.data)
        return upload.data, upload
    if not value:
        raise bad_request(f"there is no {name} in the request")
    if value.startswith(("http://", "https://")):
        data = await _fetch(value)
        return data, Upload(data, value.rsplit("/", 1)[-1] or None, None)
    stored = state.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored.data, stored


async def _fetch(url: str) -> bytes:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(url) as response,
        ):
            if response.status == 200:
                return await response.read()
    except (aiohttp.ClientError, TimeoutError):
        pass
    raise bad_request("failed to get HTTP URL content")


@bot_method("sendPhoto")
async def _send_photo(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = chat_to_send_to(api.state, params)
    data, source = await input_file(api.state, params, "photo")
    reused = (
        api.state.files.photo_sizes.get(source.file_id) if isinstance(source, StoredFile) else None
    )
    if reused is not None:
        # Like Telegram: a photo sent again by file_id is the same photo, same file_ids.
        content: JsonDict = {"photo": reused, **caption_content(params)}
        return post(api.state, chat, content, params, reply_markup(params))
    picture = sniff_image(data)
    if picture is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = picture.width, picture.height
    if width + height > 10_000 or max(width, height) > 20 * max(1, min(width, height)):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    if len(data) > 10 * MB:
        raise bad_request("file is too big")
    caption = caption_content(params)
    markup = reply_markup(params)
    content = {"photo": photo_sizes(api.state.files, data, width, height), **caption}
    if params.flag("has_spoiler"):
        content["has_media_spoiler"] = True
    return post(api.state, chat, content, params, markup)


@bot_method("sendDocument")
async def _send_document(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = chat_to_send_to(api.state, params)
    data, source = await input_file(api.state, params, "document")
    if len(data) > 50 * MB:
        raise ApiError(413, "Request Entity Too Large")
    caption = caption_content(params)
    markup = reply_markup(params)
    if isinstance(source, StoredFile):
        stored = source
    else:
        file_name = source.filename or "document"
        mime_type = source.content_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        extension = file_name.rpartition(".")[2] if "." in file_name else "bin"
        stored = api.state.files.add(
            data, folder="documents", extension=extension, file_name=file_name, mime_type=mime_type
        )
    document: JsonDict = {
        "file_name": stored.file_name or "document",
        "mime_type": stored.mime_type or "application/octet-stream",
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }
    return post(api.state, chat, {"document": document, **caption}, params, markup)


@bot_method("sendAnimation")
async def _send_animation(api: EmulatedBotApi, params: Params) -> JsonDict:
    """A GIF or a silent MP4, looped by the apps. Sent again by file_id: the same file."""
    chat = chat_to_send_to(api.state, params)
    data, source = await input_file(api.state, params, "animation")
    if len(data) > 50 * MB:
        raise ApiError(413, "Request Entity Too Large")
    caption = caption_content(params)
    markup = reply_markup(params)
    if isinstance(source, StoredFile):
        stored = source
    else:
        is_gif = sniff_image(data, formats=("GIF",)) is not None
        # An MP4 starts with its "ftyp" box (ISO/IEC 14496-12); Pillow reads no video.
        if not is_gif and data[4:8] != b"ftyp":
            raise bad_request("wrong type of the web page content")
        file_name = source.filename or ("animation.gif" if is_gif else "animation.mp4")
        stored = api.state.files.add(
            data,
            folder="animations",
            extension="gif" if is_gif else "mp4",
            file_name=file_name,
            mime_type="image/gif" if is_gif else "video/mp4",
        )
    gif = sniff_image(stored.data, formats=("GIF",))
    width, height = (
        (gif.width, gif.height)
        if gif is not None
        else (params.integer("width") or 0, params.integer("height") or 0)
    )
    animation: JsonDict = {
        "file_name": stored.file_name or "animation",
        "mime_type": stored.mime_type or "video/mp4",
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "width": width,
        "height": height,
        "duration": params.integer("duration") or 0,
    }
    # Telegram's Message carries an animation also as a document, for older clients.
    document = {
        key: animation[key]
        for key in ("file_name", "mime_type", "file_id", "file_unique_id", "file_size")
    }
    return post(
        api.state, chat, {"animation": animation, "document": document, **caption}, params, markup
    )


@bot_method("getFile")
async def _get_file(api: EmulatedBotApi, params: Params) -> JsonDict:
    stored = api.state.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > 20 * MB:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "file_path": stored.file_path,
    }
