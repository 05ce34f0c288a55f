"""Untrusted bot text loses its terminal control sequences before reaching a terminal."""

from __future__ import annotations

import pytest

from poe_tui.core.text import strip_terminal_controls


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain text\nwith lines\tand tabs", "plain text\nwith lines\tand tabs"),
        ("red \x1b[31mtext\x1b[0m", "red text"),
        ("clip \x1b]52;c;ZXZpbA==\x07after", "clip after"),
        ("link \x1b]8;;https://evil\x1b\\here\x1b]8;;\x1b\\", "link here"),
        ("bell\x07 back\x08space", "bell backspace"),
        ("over\rwrite", "overwrite"),
        ("crlf\r\nline", "crlf\nline"),
        ("8-bit \x9b31mcsi", "8-bit csi"),
        ("unterminated \x1b]0;title", "unterminated "),
        ("émoji 🎉 ok", "émoji 🎉 ok"),
    ],
)
def test_strip_terminal_controls(raw: str, clean: str) -> None:
    assert strip_terminal_controls(raw) == clean
