"""Image previews (a PNG decoder and half blocks) and the local server's multipart parser."""

from __future__ import annotations

import struct
import zlib

import httpx
import pytest

from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.multipart import MultipartError, boundary_of, parse
from poe_tui.ui.thumbnail import PngError, decode_png, describe_image, image_size, preview
from tests.support.paths import DEMO_IMAGE

DEMO_PNG = DEMO_IMAGE.read_bytes()


def png(width: int, height: int, color_type: int, rows: list[bytes], extra: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    data = zlib.compress(b"".join(rows))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def test_every_filter_type_decodes_to_the_same_pixels() -> None:
    # One RGB row of (10,20,30) (40,50,60), written with each of the five filters.
    raw = [10, 20, 30, 40, 50, 60]
    rows = [
        bytes([0, *raw]),  # none
        bytes([1, 10, 20, 30, 30, 30, 30]),  # sub: minus the pixel to the left
        bytes([2, *raw]),  # up: the row above is all zeros here
    ]
    picture = decode_png(png(2, 1, 2, [rows[0]]))
    assert [picture.at(0, 0), picture.at(1, 0)] == [(10, 20, 30), (40, 50, 60)]
    for row in rows[1:]:
        decoded = decode_png(png(2, 1, 2, [row]))
        assert [decoded.at(0, 0), decoded.at(1, 0)] == [(10, 20, 30), (40, 50, 60)], row
    average = bytes([3, 10 - 0, 20, 30, 40 - 5, 50 - 10, 60 - 15])
    paeth = bytes([4, 10, 20, 30, 30, 30, 30])
    for row in (average, paeth):
        decoded = decode_png(png(2, 1, 2, [row]))
        assert [decoded.at(0, 0), decoded.at(1, 0)] == [(10, 20, 30), (40, 50, 60)], row


def test_palette_grey_and_alpha() -> None:
    palette = b"\x00\x00\x00\x0cPLTE" + bytes([255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0])
    palette = _with_crc(palette)
    picture = decode_png(png(2, 1, 3, [bytes([0, 0, 1])], extra=palette))
    assert (picture.at(0, 0), picture.at(1, 0)) == ((255, 0, 0), (0, 0, 255))
    grey = decode_png(png(1, 1, 0, [bytes([0, 128])]))
    assert grey.at(0, 0) == (128, 128, 128)
    transparent = decode_png(png(1, 1, 6, [bytes([0, 255, 255, 255, 0])]))
    assert transparent.at(0, 0) == (24, 24, 28)  # the background shows through


def _with_crc(chunk_without_crc: bytes) -> bytes:
    kind_and_body = chunk_without_crc[4:]
    return chunk_without_crc + struct.pack(">I", zlib.crc32(kind_and_body) & 0xFFFFFFFF)


def test_what_is_not_drawn_falls_back_to_words() -> None:
    for bad in (b"GIF89a\x02\x00\x03\x00", b"not an image", DEMO_PNG[:40]):
        assert preview(bad) is None
    interlaced = bytearray(png(1, 1, 2, [bytes([0, 1, 2, 3])]))
    interlaced[28] = 1  # the interlace byte of IHDR
    with pytest.raises(PngError):
        decode_png(bytes(interlaced))
    assert describe_image("a.gif", "image/gif", b"GIF89a\x02\x00\x03\x00" + b"\x00" * 20) == (
        "GIF image, 2×3, 30 B"
    )


def test_a_decompression_bomb_is_refused_without_inflating_it() -> None:
    # A 1x1 picture whose pixel data inflates to 64 MB: only the 4 bytes the header
    # promises are ever inflated, and the rest is refused.
    bomb = png(1, 1, 2, [bytes([0, 1, 2, 3]) + bytes(64 * 1024 * 1024)])
    assert len(bomb) < 100_000
    with pytest.raises(PngError, match="more pixel data"):
        decode_png(bomb)
    assert preview(bomb) is None


def test_image_sizes_from_headers() -> None:
    assert image_size(DEMO_PNG) == (128, 80)
    jpeg = (
        b"\xff\xd8" + b"\xff\xe0\x00\x04ab" + b"\xff\xc0\x00\x11\x08\x01\xe0\x02\x80" + b"\x00" * 20
    )
    assert image_size(jpeg) == (640, 480)
    webp = (
        b"RIFF\x00\x00\x00\x00WEBPVP8X"
        + b"\x00" * 8
        + (99).to_bytes(3, "little")
        + (49).to_bytes(3, "little")
    )
    assert image_size(webp) == (100, 50)
    assert image_size(b"plain text") is None


def test_half_block_thumbnail_fits_the_box() -> None:
    text = preview(DEMO_PNG, max_width=32, max_rows=8)
    assert text is not None
    lines = text.plain.split("\n")
    assert len(lines) <= 8 and all(len(line) <= 32 for line in lines)
    assert set(text.plain) <= {"▀", "\n"}
    styles = {str(span.style) for span in text.spans}
    assert len(styles) > 10  # real colours, not one flat block


# --- multipart ------------------------------------------------------------------------------


def test_multipart_parts_keep_their_bytes() -> None:
    body = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="note"\r\n\r\n'
        b"hello\r\n"
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a%22b.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
        b"\x00\r\n--not-the-boundary\r\n\xff\r\n"
        b"--b0undary--\r\n"
    )
    parts = parse(body, "b0undary")
    assert [(p.name, p.filename) for p in parts] == [("note", None), ("file", 'a"b.bin')]
    assert parts[1].data == b"\x00\r\n--not-the-boundary\r\n\xff"
    assert boundary_of("multipart/form-data; boundary=b0undary") == "b0undary"
    assert boundary_of("application/json") is None


@pytest.mark.parametrize(
    "body",
    [
        b"no boundary at all",
        b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nunterminated',
        b"--b\r\nno-colon-header\r\n\r\nx\r\n--b--",
    ],
)
def test_malformed_multipart(body: bytes) -> None:
    with pytest.raises(MultipartError):
        parse(body, "b")


def test_upload_route_refuses_malformed_requests(fake_poe: FakePoeServer) -> None:
    key = {"Authorization": "any-key"}
    with httpx.Client(timeout=10) as client:
        no_file = client.post(fake_poe.upload_url, headers=key, files={"other": ("a", b"x")})
        assert no_file.status_code == 400 and "part named `file`" in no_file.text
        broken = client.post(
            fake_poe.upload_url,
            headers={**key, "Content-Type": "multipart/form-data; boundary=zz"},
            content=b"garbage",
        )
        assert broken.status_code == 400 and "Malformed multipart body" in broken.text
        json_body = client.post(fake_poe.upload_url, headers=key, json={"file": "x"})
        assert json_body.status_code == 400
        missing = client.get(f"{fake_poe.base_url}/poe_api/files/nope/x.png")
        assert missing.status_code == 404
