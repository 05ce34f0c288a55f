"""Widgets keep their styles in `.tcss` files beside their modules."""

from __future__ import annotations

from pathlib import Path


def load_css(module_file: str, name: str) -> str:
    """The text of the stylesheet `name` in the folder of `module_file` (pass `__file__`)."""
    return (Path(module_file).parent / name).read_text(encoding="utf-8")
