"""`POST /poe_api/file_upload_3RD_PARTY_POST`: Poe's file upload (§2, §9 item 18).

Takes the raw key in `Authorization` (no `Bearer `), and either a multipart body with a
part named `file` or a form with `download_url` (and optional `download_filename`).
Answers `{"attachment_url", "mime_type"}`; failures are non-200 statuses with a text
body, as the real endpoint streams its errors. Uploaded files are served back at their
attachment URL, and the demo assets (the image bot's picture) under `/poe_api/demo/`.

The download_url form fetches only from loopback addresses: this server never reaches
the network.
"""

from __future__ import annotations

import mimetypes
from functools import partial
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from poe_tui.fakepoe import multipart
from poe_tui.fakepoe.common import Call, begin, server_state
from poe_tui.fakepoe.failures import Failure
from poe_tui.fakepoe.fault_doors import Door, fault_refusal
from poe_tui.fakepoe.state import StoredUpload

UPLOAD_PATH = "/poe_api/file_upload_3RD_PARTY_POST"
FILES_PATH = "/poe_api/files"
DEMO_PATH = "/poe_api/demo"
DEMO_IMAGE = "demo-image.png"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
FETCH_TIMEOUT = 10.0
FALLBACK_TYPE = "application/octet-stream"


class Refused(Exception):
    """The upload is refused with `status` and a plain-text `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def text_error(call: Call, status: int, message: str) -> Response:
    return PlainTextResponse(message, status, headers={"x-request-id": call.request_id})


def refused_upload(call: Call, failure: Failure) -> Response:
    return text_error(call, failure.status, failure.message)


def check_raw_key(call: Call) -> None:
    """The bare key, as fastapi-poe's `upload_file` sends it (§2)."""
    value = call.request.headers.get("authorization", "").strip()
    if not value:
        raise Refused(401, "Missing API key: send `Authorization: <POE_API_KEY>`.")
    expected = call.config.api_key
    if value.lower().startswith("bearer ") and (expected is None or value != expected):
        raise Refused(401, "Invalid API key: the upload endpoint takes the key without Bearer.")
    if expected is not None and value != expected:
        raise Refused(401, "Invalid API key.")


def content_type_for(name: str, declared: str | None) -> str:
    """What Poe would report: the declared type when specific, else the name's."""
    if declared and declared.split(";")[0].strip() not in ("", FALLBACK_TYPE):
        return declared.split(";")[0].strip()
    return mimetypes.guess_type(name)[0] or FALLBACK_TYPE


def check_size(call: Call, size: int) -> None:
    limit = call.config.max_upload_bytes
    if size > limit:
        raise Refused(413, f"File too large: {size} bytes; the limit is {limit} bytes.")


def from_multipart(call: Call, content_type: str) -> tuple[str, str, bytes]:
    boundary = multipart.boundary_of(content_type)
    if boundary is None:
        raise Refused(400, "A multipart body needs a boundary.")
    try:
        parts = multipart.parse(call.raw_body, boundary)
    except multipart.MultipartError as error:
        raise Refused(400, f"Malformed multipart body: {error}.") from None
    for part in parts:
        if part.name == "file":
            name = part.filename or "file"
            check_size(call, len(part.data))
            return name, content_type_for(name, part.content_type), part.data
    raise Refused(400, "Send the file as a multipart part named `file`, or a `download_url`.")


async def from_download_url(call: Call) -> tuple[str, str, bytes]:
    form = parse_qs(call.raw_body.decode("utf-8", "replace"))
    url = (form.get("download_url") or [""])[0]
    if not url:
        raise Refused(400, "Send the file as a multipart part named `file`, or a `download_url`.")
    if urlsplit(url).hostname not in LOOPBACK_HOSTS:
        raise Refused(400, f"The local server only downloads from loopback addresses, not {url}.")
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT) as client:
            response = await client.get(url)
    except httpx.HTTPError as error:
        raise Refused(400, f"Could not download {url}: {type(error).__name__}.") from None
    if response.status_code != 200:
        raise Refused(400, f"Could not download {url}: HTTP {response.status_code}.")
    check_size(call, len(response.content))
    name = (form.get("download_filename") or [""])[0] or Path(urlsplit(url).path).name or "file"
    return name, content_type_for(name, response.headers.get("content-type")), response.content


def attachment_url(request: Request, upload: StoredUpload) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}{FILES_PATH}/{upload.id}/{quote(upload.name)}"


async def upload_file(request: Request) -> Response:
    call = await begin(request)
    faulted = fault_refusal(call, Door.UPLOAD, partial(refused_upload, call))
    if faulted is not None:
        return faulted
    try:
        check_raw_key(call)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/"):
            name, kind, data = from_multipart(call, content_type)
        elif content_type.startswith("application/x-www-form-urlencoded"):
            name, kind, data = await from_download_url(call)
        else:
            raise Refused(400, "Send multipart/form-data with a `file` part, or a form.")
    except Refused as refused:
        return text_error(call, refused.status, refused.message)
    upload = call.state.add_upload(name, kind, data)
    return call.json({"attachment_url": attachment_url(request, upload), "mime_type": kind})


async def serve_upload(request: Request) -> Response:
    upload = server_state(request).upload(request.path_params["id"])
    if upload is None:
        return PlainTextResponse("No such file (uploads live as long as the server).", 404)
    return Response(upload.data, media_type=upload.content_type)


def read_asset_bytes(name: str) -> bytes:
    try:
        return resources.files("poe_tui.assets").joinpath(name).read_bytes()
    except ModuleNotFoundError:
        return (Path(__file__).resolve().parents[2] / "assets" / name).read_bytes()


async def serve_demo_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name != DEMO_IMAGE:
        return PlainTextResponse("No such demo file.", 404)
    return Response(read_asset_bytes(name), media_type="image/png")


def demo_image_url(server_url: str) -> str:
    return f"{server_url.rstrip('/')}{DEMO_PATH}/{DEMO_IMAGE}"


def routes() -> list[BaseRoute]:
    return [
        Route(UPLOAD_PATH, upload_file, methods=["POST"]),
        Route(FILES_PATH + "/{id}/{name}", serve_upload, methods=["GET"]),
        Route(DEMO_PATH + "/{name}", serve_demo_file, methods=["GET"]),
    ]


def uploaded_size(request: Request, url: str) -> int | None:
    """The size of a file this server holds at `url` (None for anything else)."""
    parts = urlsplit(url)
    if parts.netloc != request.url.netloc or not parts.path.startswith(FILES_PATH + "/"):
        return None
    upload_id = parts.path[len(FILES_PATH) + 1 :].split("/", 1)[0]
    upload = server_state(request).upload(upload_id)
    return None if upload is None else len(upload.data)
