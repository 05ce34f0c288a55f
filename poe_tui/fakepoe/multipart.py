"""Just enough `multipart/form-data` parsing for the upload route (RFC 7578).

Starlette's own form parser needs python-multipart, which is not part of the stack;
the upload endpoint only ever receives a handful of parts, so a small exact parser
over the whole body (bytes kept byte for byte) does the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote


class MultipartError(ValueError):
    """The body is not the multipart form it claims to be."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def boundary_of(content_type: str) -> str | None:
    header = Message()
    header["content-type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        return None
    boundary = header.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if not sep:
            raise MultipartError(f"malformed part header {line!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _disposition(value: str) -> tuple[str, str | None]:
    header = Message()
    header["content-disposition"] = value
    if header.get_content_disposition() != "form-data":
        raise MultipartError("a part is not form-data")
    name = header.get_param("name", header="content-disposition")
    filename = header.get_param("filename", header="content-disposition")
    if not isinstance(name, str):
        raise MultipartError("a part has no name")
    if isinstance(filename, tuple):  # RFC 2231 filename*=
        filename = filename[2]
    # Browsers and httpx percent-encode quotes and newlines inside filename="…".
    return name, unquote(filename) if isinstance(filename, str) else None


def parse(body: bytes, boundary: str) -> list[Part]:
    delimiter = b"--" + boundary.encode("latin-1")
    pieces = body.split(b"\r\n" + delimiter)
    first = pieces[0]
    if not first.startswith(delimiter):
        raise MultipartError("the body does not start with the boundary")
    pieces[0] = first[len(delimiter) :]
    parts: list[Part] = []
    for piece in pieces:
        if piece.startswith(b"--"):
            return parts  # the closing delimiter
        if not piece.startswith(b"\r\n"):
            raise MultipartError("a boundary is not followed by a line break")
        head, sep, data = piece[2:].partition(b"\r\n\r\n")
        if not sep:
            raise MultipartError("a part has no blank line after its headers")
        headers = _headers(head)
        name, filename = _disposition(headers.get("content-disposition", ""))
        parts.append(Part(name, filename, headers.get("content-type"), data))
    raise MultipartError("the body ends without the closing boundary")
