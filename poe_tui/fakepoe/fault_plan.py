"""The fault plan: the one way to make the local server fail, on every door.

A plan is given per request in one header, or armed from a test for the next chat
requests with `FakePoeServer.arm_fault(plan)` (a `FaultPlan` or the header's text):

    x-fakepoe-fault: <what>[; <option>=<value>]...

`<what>` is one of:

- an HTTP status, e.g. `503`: the door's error reply with that status, before any byte
  of the reply (Poe's canned failure for it, or a generic one);
- `drop`: the connection closes before any byte of the reply (a reset, a dead proxy);
- a break of a reply the server has started with 200, on the chat doors only (the
  others answer normally): `error` (the door's error event; on the OpenAI and Anthropic
  doors an error before any text is an HTTP status instead), `reset` (the connection
  cut), `no-done` (the body ends without its closing event), `stall` (silence for
  STALL_SECONDS), `malformed` (one event whose JSON is cut short), `huge` (one 5 MB
  event), `garbage` (bytes that are not UTF-8) or `wrong-type` (an HTML page instead
  of a stream).

Options:

- `times=N`: only the first N requests that meet the plan fail; later ones are
  answered normally, so a client that retries succeeds. The error reply then no
  longer says `x-should-retry: false`. In a header, `times` needs an `id`.
- `id=NAME`: the name the server counts requests under
  (`FakePoeState.fault_attempts(NAME)`); requests sent with the same id share a count.
- `after=K`: a break strikes after K characters of the reply's text (default
  DEFAULT_AFTER; 0: before any text).
- `status=S`: the failure an `error` break carries (default 502, "stopped unexpectedly").
- `retry-after=V`: the error reply's `Retry-After` (seconds, or an HTTP date).
- `message=TEXT`: the error's message instead of the canned one (no `;` in it).

A header plan without `times` breaks every request sent with it; an armed plan without
`times` breaks the next chat request only. Examples: `429; retry-after=30`,
`503; times=2; id=t1`, `reset; after=0`, `error; status=429; after=0`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.failures import Failure

HEADER = "x-fakepoe-fault"
DEFAULT_AFTER = 20  # characters of text a break lets through first
DEFAULT_ERROR_STATUS = 502  # failures.UPSTREAM: "The bot stopped unexpectedly."
STALL_SECONDS = 30.0  # silence longer than any read timeout a test sets


class Kind(StrEnum):
    """What goes wrong. STATUS and DROP strike before the reply; the rest break it."""

    STATUS = "status"
    DROP = "drop"
    ERROR = "error"
    RESET = "reset"
    NO_DONE = "no-done"
    STALL = "stall"
    MALFORMED = "malformed"
    HUGE = "huge"
    GARBAGE = "garbage"
    WRONG_TYPE = "wrong-type"

    @property
    def breaks_a_stream(self) -> bool:
        return self not in (Kind.STATUS, Kind.DROP)


_NAMED_KINDS = [kind.value for kind in Kind if kind is not Kind.STATUS]  # STATUS is a number
# The header's option names and the FaultPlan fields they set.
_OPTIONS = {
    "times": "times",
    "id": "id",
    "after": "after",
    "status": "status",
    "retry-after": "retry_after",
    "message": "message",
}


@dataclass(frozen=True)
class FaultPlan:
    """One fault: what goes wrong, when, and for how many requests."""

    kind: Kind
    status: int = DEFAULT_ERROR_STATUS  # of a STATUS reply, or the failure an ERROR carries
    times: int | None = None  # fail this many requests, then answer; None: see the docstring
    id: str = ""
    after: int = DEFAULT_AFTER
    retry_after: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"fault status must be 400-599, not {self.status}")
        if self.times is not None and self.times < 0:
            raise ValueError("fault times must be 0 or more")
        if self.after < 0:
            raise ValueError("fault after must be 0 or more")
        if any(";" in (text or "") for text in (self.id, self.retry_after, self.message)):
            raise ValueError("fault options cannot hold ';'")

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """The plan a header value names; ValueError says what is wrong with it."""
        what, *options = (part.strip() for part in text.split(";"))
        plan = _what(what)
        values: dict[str, str] = {}
        for option in filter(None, options):
            name, sep, value = (piece.strip() for piece in option.partition("="))
            if not sep or name.lower() not in _OPTIONS:
                known = ", ".join(_OPTIONS)
                raise ValueError(f"unknown fault option {option!r}; options are {known}")
            values[_OPTIONS[name.lower()]] = value
        if "status" in values and plan.kind is not Kind.ERROR:
            raise ValueError("status= goes with error; a status fault starts with its status")
        return replace(plan, **_typed(values))

    @classmethod
    def from_header(cls, text: str) -> FaultPlan:
        plan = cls.parse(text)
        if plan.times is not None and not plan.id:
            raise ValueError("a fault header with times= needs an id= to count requests by")
        return plan

    def header(self) -> str:
        """This plan as the header's text (FaultPlan.parse gives it back)."""
        if self.kind is Kind.STATUS:  # the status is the <what>, not an option
            what, default = str(self.status), FaultPlan(self.kind, status=self.status)
        else:
            what, default = self.kind.value, FaultPlan(self.kind)
        options = [
            f"{name}={getattr(self, field)}"
            for name, field in _OPTIONS.items()
            if getattr(self, field) != getattr(default, field)
        ]
        return "; ".join([what, *options])

    def failure(self) -> Failure:
        """The failure a STATUS reply or an ERROR break carries."""
        failure = failures.BY_STATUS.get(self.status) or _generic(self.status)
        return failure if self.message is None else failure.with_message(self.message)


def _what(text: str) -> FaultPlan:
    word = text.lower()
    if word.isdigit():
        return FaultPlan(Kind.STATUS, status=int(word))
    if word not in _NAMED_KINDS:
        known = ", ".join(_NAMED_KINDS)
        raise ValueError(f"unknown fault {text!r}; choose an HTTP status or one of {known}")
    return FaultPlan(Kind(word))


def _typed(values: dict[str, str]) -> dict[str, Any]:
    whole = {"times", "after", "status"}
    typed: dict[str, Any] = {}
    for field, value in values.items():
        if field in whole:
            if not value.isdigit():
                raise ValueError(f"fault option {field} must be a whole number, not {value!r}")
            typed[field] = int(value)
        else:
            typed[field] = value
    return typed


def _generic(status: int) -> Failure:
    kind = "api_error" if status >= 500 else "invalid_request_error"
    return Failure(status, kind, f"The request failed (HTTP {status}).", status, {})


def modes() -> list[str]:
    """A plan for each thing that can go wrong: every break, a drop, every canned status."""
    breaks = [kind.value for kind in Kind if kind.breaks_a_stream]
    return [*breaks, Kind.DROP.value, *(str(status) for status in failures.BY_STATUS)]
