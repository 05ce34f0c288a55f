"""Image previews in any terminal: a PNG drawn with half blocks, or words when it cannot be.

Each cell shows two pixels (`▀`: the top one as the foreground colour, the bottom one as
the background), which every colour terminal shows, tmux included; no graphics protocol
is needed. PNG is decoded here in plain Python (zlib), so no imaging library joins the
stack; other formats (JPEG, GIF, WebP) get their dimensions read from their headers and
a text description instead of pixels.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from poe_tui.core.files import format_size, type_label

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS = 2_500_000  # larger pictures are described, not decoded (pure Python is slow)
BACKGROUND = (24, 24, 28)  # what transparent pixels are drawn over
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Picture:
    """Decoded rows; pixels are converted only where a thumbnail samples them."""

    width: int
    height: int
    rows: list[bytearray]
    color_type: int
    palette: list[RGB]
    alphas: bytes

    def at(self, x: int, y: int) -> RGB:
        """The pixel's colour, alpha blended over the background."""
        return _pixel(self.rows[y], x, self.color_type, self.palette, self.alphas)


class PngError(ValueError):
    """Not a PNG we can draw (the reason says why); the text fallback is used."""


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(PNG_SIGNATURE):
        raise PngError("not a PNG")
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if len(body) != length:
            raise PngError("truncated")
        chunks.append((kind, body))
        offset += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride = width * bpp
    rows: list[bytearray] = []
    previous = bytearray(stride)
    offset = 0
    for _ in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        if len(line) != stride:
            raise PngError("truncated image data")
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
            elif kind != 0:
                raise PngError(f"unknown filter {kind}")
        rows.append(line)
        previous = line
    return rows


def _blend(value: int, alpha: int, under: int) -> int:
    return (value * alpha + under * (255 - alpha)) // 255


def _pixel(row: bytearray, x: int, color_type: int, palette: list[RGB], alphas: bytes) -> RGB:
    if color_type == 2:
        return row[3 * x], row[3 * x + 1], row[3 * x + 2]
    if color_type == 6:
        r, g, b, a = row[4 * x : 4 * x + 4]
        bg = BACKGROUND
        return _blend(r, a, bg[0]), _blend(g, a, bg[1]), _blend(b, a, bg[2])
    if color_type == 0:
        return row[x], row[x], row[x]
    if color_type == 4:
        v = _blend(row[2 * x], row[2 * x + 1], BACKGROUND[0])
        return v, v, v
    index = row[x]
    if index >= len(palette):
        raise PngError("palette index out of range")
    r, g, b = palette[index]
    a = alphas[index] if index < len(alphas) else 255
    bg = BACKGROUND
    return _blend(r, a, bg[0]), _blend(g, a, bg[1]), _blend(b, a, bg[2])


def decode_png(data: bytes) -> Picture:
    """8-bit, non-interlaced PNGs of every colour type; PngError for anything else."""
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR":
        raise PngError("no header")
    width, height, depth, color_type, _c, _f, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or color_type not in _CHANNELS:
        raise PngError(f"{depth}-bit colour type {color_type} is not drawn here")
    if interlace:
        raise PngError("interlaced")
    if width * height > MAX_PIXELS or not width or not height:
        raise PngError("too large to draw")
    palette: list[RGB] = []
    alphas = b""
    for kind, body in chunks:
        if kind == b"PLTE":
            palette = [(body[i], body[i + 1], body[i + 2]) for i in range(0, len(body) - 2, 3)]
        elif kind == b"tRNS":
            alphas = body
    # Exactly the bytes the header promises and no more: a small file that inflates to
    # gigabytes (a decompression bomb, from a bot) must not take the memory with it.
    expected = height * (width * _CHANNELS[color_type] + 1)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(
            b"".join(body for kind, body in chunks if kind == b"IDAT"), expected
        )
    except zlib.error as error:
        raise PngError(f"damaged ({error})") from None
    if inflater.unconsumed_tail:
        raise PngError("more pixel data than the header says")
    rows = _unfilter(raw, width, height, _CHANNELS[color_type])
    return Picture(width, height, rows, color_type, palette, alphas)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header of a PNG, GIF, JPEG or WebP (None if unknown)."""
    if data.startswith(PNG_SIGNATURE) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if kind == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    offset = 2
    while offset + 9 < len(data):
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    return None


def thumbnail(picture: Picture, max_width: int, max_rows: int) -> Text:
    """The picture scaled into `max_width` cells by `max_rows` rows of half blocks."""
    scale = max(picture.width / max_width, picture.height / (2 * max_rows), 1.0)
    columns = max(1, int(picture.width / scale))
    lines = max(1, int(picture.height / scale / 2))
    text = Text()
    for row in range(lines):
        for column in range(columns):
            top = _sample(picture, column, 2 * row, scale)
            bottom = _sample(picture, column, 2 * row + 1, scale)
            text.append("▀", Style(color=_hex(top), bgcolor=_hex(bottom)))
        if row < lines - 1:
            text.append("\n")
    return text


def _sample(picture: Picture, column: int, y: int, scale: float) -> RGB:
    x = min(picture.width - 1, int((column + 0.5) * scale))
    row = min(picture.height - 1, int((y + 0.5) * scale))
    return picture.at(x, row)


def _hex(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def describe_image(name: str, content_type: str, data: bytes) -> str:
    """`PNG image, 128×80, 1.1 KB`: what a text fallback says about a picture."""
    size = image_size(data)
    dimensions = f", {size[0]}×{size[1]}" if size else ""
    return f"{type_label(content_type)} image{dimensions}, {format_size(len(data))}"


def preview(data: bytes, max_width: int = 40, max_rows: int = 10) -> Text | None:
    """Half-block pixels for a PNG we can decode; None means "describe it instead"."""
    try:
        return thumbnail(decode_png(data), max_width, max_rows)
    except (PngError, struct.error, IndexError):
        return None
