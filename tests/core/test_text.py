"""Untrusted bot text loses its terminal control sequences before reaching a terminal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poe_tui.core.text import clean_json, has_terminal_controls, strip_terminal_controls


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


# --- properties: whatever comes in, nothing that drives a terminal goes out ------------


_INTRODUCERS = ["\x1b", "\x1b[", "\x1b]", "\x1bP", "\x1b_", "\x1b^", "\x1bX", "\x9b", "\x9d"]
_PIECES = [*_INTRODUCERS, "\x90", "\x9c", "\x9e", "\x9f", "\x07", "\x1b\\", "\r", "\x08", "\x00"]
# Text built from escape-sequence pieces and ordinary characters in any order, so that
# sequences start, end, nest and break off everywhere.
hostile_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=30).map(
    "".join
)


def _drives_a_terminal(char: str) -> bool:
    code = ord(char)
    return (code < 0x20 and char not in "\t\n") or 0x7F <= code <= 0x9F


@given(hostile_text)
def test_no_control_character_survives(text: str) -> None:
    assert not any(map(_drives_a_terminal, strip_terminal_controls(text)))


@given(hostile_text)
def test_stripping_twice_changes_nothing(text: str) -> None:
    once = strip_terminal_controls(text)
    assert strip_terminal_controls(once) == once
    assert not has_terminal_controls(once)


@given(st.text().filter(lambda t: not any(map(_drives_a_terminal, t))))
def test_honest_text_is_left_alone(text: str) -> None:
    assert strip_terminal_controls(text) == text


@given(st.sampled_from(["\x07", "\x1b\\", "\x9c"]), st.text(alphabet="abc;52=", max_size=20))
def test_an_osc_payload_goes_with_its_sequence(end: str, payload: str) -> None:
    for start in ("\x1b]", "\x9d"):
        assert strip_terminal_controls(f"a{start}{payload}{end}b") == "ab"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x1b]0;cut short\x1b[0mb", "ab"),  # an OSC is cancelled by the next ESC
        ("a\x90dcs payload\x9cb", "ab"),  # 8-bit DCS ... ST
        ("a\x9fapc\x9cb\x98sos\x9cc\x9epm\x9cd", "abcd"),
        ("reset\x1bc and fill\x1b#8 and charset\x1b(B", "reset and fill and charset"),
        ("lone\x1b", "lone"),
    ],
)
def test_whole_sequences_in_every_form(raw: str, clean: str) -> None:
    assert strip_terminal_controls(raw) == clean


json_tree = st.recursive(
    st.none() | st.booleans() | st.integers() | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=20,
)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@given(json_tree)
def test_clean_json_cleans_every_string_and_key(tree: object) -> None:
    assert not any(has_terminal_controls(s) for s in _strings(clean_json(tree)))


def test_clean_json_refuses_a_tree_too_deep_to_walk() -> None:
    deep: object = "x"
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested deeper"):
        clean_json(deep)
