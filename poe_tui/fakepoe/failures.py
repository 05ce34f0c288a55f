"""The canned failures of the fake server, as transport-neutral data.

Poe documents two error shapes for its OpenAI-compatible route (poe-api.md §4.4): the
guide's `{"code": <int status>, "type", "message", "metadata"}` and the error page's
`{"message", "type", "code": "<string>"}`. Real traffic has shown both, so the table
below deliberately mixes them: a client that only parses one shape will fail a test.
Each transport renders a `Failure` into its own wire format.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

POINTS_MESSAGE = "You've used up your points! Visit https://poe.com/api/keys to get more."
MIDSTREAM_MESSAGE = "The bot stopped unexpectedly."
RATE_LIMIT_RETRY_AFTER = 7


@dataclass(frozen=True)
class Failure:
    """One error reply: HTTP status plus the fields of the JSON `error` object."""

    status: int
    type: str
    message: str
    # int = the guide's shape (code mirrors the status, metadata present);
    # str = the error page's shape (no metadata).
    code: int | str | None
    metadata: dict[str, Any] | None = None
    retry_after: int | None = None

    def with_message(self, message: str) -> Failure:
        return replace(self, message=message)


def _guide(status: int, kind: str, message: str, **metadata: Any) -> Failure:
    return Failure(status, kind, message, status, dict(metadata))


BAD_REQUEST = _guide(400, "invalid_request_error", "The request body is not valid.")
AUTHENTICATION = Failure(
    401,
    "authentication_error",
    "Invalid API key. Get one at https://poe.com/api_key.",
    "invalid_api_key",
)
INSUFFICIENT_POINTS = _guide(402, "insufficient_credits", POINTS_MESSAGE, points_needed=True)
MODERATION = _guide(
    403, "moderation_error", "This request was flagged by moderation.", reasons=["demo"]
)
NOT_FOUND = _guide(404, "not_found_error", "Model `fail-notfound` not found.")
TIMEOUT = _guide(408, "timeout_error", "The model did not start in time.", timeout_seconds=60)
TOO_LARGE = _guide(
    413, "request_too_large", "The request has more tokens than the model's context window."
)
RATE_LIMIT = Failure(
    429,
    "rate_limit_error",
    "Rate limit reached: 500 requests per minute. Try again later.",
    "rate_limit_exceeded",
    retry_after=RATE_LIMIT_RETRY_AFTER,
)
SERVER = Failure(500, "api_error", "The provider returned an internal error.", "internal_error")
UNAVAILABLE = Failure(503, "api_error", "The service is temporarily unavailable.", "internal_error")
UPSTREAM = _guide(502, "upstream_error", MIDSTREAM_MESSAGE, provider_name="demo-upstream")
OVERLOADED = _guide(529, "overloaded_error", "The bot is overloaded. Please try again soon.")

# The failure a fault plan with that status gives (fakepoe.fault_plan), on any door.
BY_STATUS: dict[int, Failure] = {
    f.status: f
    for f in (
        BAD_REQUEST,
        AUTHENTICATION,
        INSUFFICIENT_POINTS,
        MODERATION,
        NOT_FOUND,
        TIMEOUT,
        TOO_LARGE,
        RATE_LIMIT,
        SERVER,
        UPSTREAM,
        UNAVAILABLE,
        OVERLOADED,
    )
}


def model_not_found(requested: str) -> Failure:
    """The 404 for a model name nobody has; the message echoes the requested spelling."""
    return NOT_FOUND.with_message(f"Model `{requested}` not found.")


def bad_request(message: str) -> Failure:
    return BAD_REQUEST.with_message(message)
