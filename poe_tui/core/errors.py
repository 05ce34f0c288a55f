"""Typed errors with messages a person understands.

Each error knows its HTTP status (when it has one), whether trying again may help, and a
one-line hint about what to do. `error_from_response` maps both documented Poe error
shapes (integer or string `code`, optional `metadata`) and the Anthropic shape.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from poe_tui.core.apikey import redact_secrets
from poe_tui.core.text import clean_json, strip_terminal_controls

POINTS_URL = "https://poe.com/api/keys"
KEY_URL = "https://poe.com/api_key"


class PoeError(Exception):
    """Base of every error the core raises or reports in a stream."""

    retryable: bool = False
    default_hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        hint: str | None = None,
        error_type: str | None = None,
        code: str | int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        # The text often comes from a server or a bot: never let it drive a terminal,
        # and never show our key should the server quote our request back.
        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.hint = self.default_hint if hint is None else hint
        self.error_type = error_type
        self.code = code
        self.request_id = request_id
        # Seconds the server asked us to wait (Retry-After), on 429 and 503 mostly.
        self.retry_after = retry_after

    @property
    def title(self) -> str:
        """A short name for the kind of failure, for headings and notifications."""
        return "Error"

    @property
    def shown_hint(self) -> str:
        """The hint, unless the message already points the same way: Poe's own 402
        text names the page our hint would name, and saying it twice is noise."""
        links = re.findall(r"https?://[^\s]+?(?=[.,;]?(?:\s|$))", self.hint)
        if any(link in self.message for link in links):
            return ""
        return self.hint

    def one_line(self) -> str:
        """The message and what to do, on one line (for stderr and notifications)."""
        text = f"{self.title}: {self.message}"
        if self.shown_hint:
            text = f"{text} — {self.shown_hint}"
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.message


class AuthenticationError(PoeError):
    default_hint = f"Check your key (get one at {KEY_URL}), then run `poe-tui key set`."

    @property
    def title(self) -> str:
        return "Bad API key"


class InsufficientPointsError(PoeError):
    default_hint = f"Get more points at {POINTS_URL}."

    @property
    def title(self) -> str:
        return "Out of points"


class PermissionDeniedError(PoeError):
    default_hint = "This key may not use that bot or content."

    @property
    def title(self) -> str:
        return "Not allowed"


class NotFoundError(PoeError):
    default_hint = "Check the bot name with `poe-tui models --search NAME`."

    @property
    def title(self) -> str:
        return "Bot not found"


class BadRequestError(PoeError):
    default_hint = "The request was refused as invalid; check the bot's parameters."

    @property
    def title(self) -> str:
        return "Bad request"


class InvalidParameterError(BadRequestError):
    """A bot parameter has an unknown name or a value outside its schema."""

    default_hint = "See the bot's parameters with `poe-tui models --search NAME --json`."

    @property
    def title(self) -> str:
        return "Bad parameter"


class UnsupportedTransportError(PoeError):
    """The chosen API cannot serve this bot or request; another transport can."""

    default_hint = "Choose another transport (native serves every bot)."

    @property
    def title(self) -> str:
        return "Wrong API for this bot"


class RequestTooLargeError(PoeError):
    default_hint = "Shorten the conversation or the attachments."

    @property
    def title(self) -> str:
        return "Too large"


class RateLimitError(PoeError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kw)
        if "hint" not in kw or kw["hint"] is None:
            self.hint = (
                f"Wait {format_seconds(retry_after)} and try again."
                if retry_after is not None
                else "Wait a little and try again."
            )

    @property
    def title(self) -> str:
        return "Rate limited"


class RequestTimeoutError(PoeError):
    retryable = True
    default_hint = "The bot did not start in time; try again."

    @property
    def title(self) -> str:
        return "Timed out"


class ServerError(PoeError):
    retryable = True
    default_hint = "Poe or the bot behind it failed; try again in a moment."

    @property
    def title(self) -> str:
        return "Server error"


class NetworkError(PoeError):
    retryable = True
    default_hint = "Check your connection and try again."

    @property
    def title(self) -> str:
        return "Connection problem"


class ProtocolError(PoeError):
    retryable = True
    default_hint = "The server sent something unexpected; try again."

    @property
    def title(self) -> str:
        return "Bad response"


def scrub(text: str) -> str:
    """Text from outside, safe to show and to store: no terminal controls, no key."""
    return redact_secrets(strip_terminal_controls(text))


def scrub_json(body: Any) -> Any:
    """A decoded error body with `scrub` applied to every string; None when it is
    nested too deep to walk (it then says nothing we could use)."""
    try:
        return clean_json(body, scrub)
    except ValueError:
        return None


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "a moment"
    whole = max(1, round(seconds))
    return f"{whole} s" if whole < 120 else f"{round(whole / 60)} min"


MAX_RETRY_AFTER_SECONDS = 366 * 24 * 3600.0


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After in seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return _seconds_until(value, time.time() if now is None else now)
    # "inf" and "nan" parse as floats: a server's nonsense is no wait we can honour.
    return seconds if 0 <= seconds < MAX_RETRY_AFTER_SECONDS else None


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(http_date.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; a bare one is read so too
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


_STATUS_CLASSES: dict[int, type[PoeError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientPointsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    413: RequestTooLargeError,
    429: RateLimitError,
}

_TYPE_CLASSES: dict[str, type[PoeError]] = {
    "model_not_found": NotFoundError,
    "not_found_error": NotFoundError,
    "authentication_error": AuthenticationError,
    "invalid_api_key": AuthenticationError,
    "insufficient_credits": InsufficientPointsError,
    "insufficient_quota": InsufficientPointsError,
    "insufficient_points": InsufficientPointsError,
    "insufficient_fund": InsufficientPointsError,
    "billing_error": InsufficientPointsError,
    "rate_limit_error": RateLimitError,
    "rate_limit_exceeded": RateLimitError,
    "permission_error": PermissionDeniedError,
    "moderation_error": PermissionDeniedError,
    "overloaded_error": ServerError,
    "request_too_large": RequestTooLargeError,
    "user_message_too_long": RequestTooLargeError,
    "upstream_error": ServerError,
    "provider_error": ServerError,
    "api_error": ServerError,
    "internal_error": ServerError,
    "timeout_error": RequestTimeoutError,
    "invalid_request_error": BadRequestError,
}

_DEFAULT_MESSAGES: dict[type[PoeError], str] = {
    AuthenticationError: "The API key was rejected.",
    InsufficientPointsError: "You've used up your points.",
    PermissionDeniedError: "Access denied.",
    NotFoundError: "No such bot or endpoint.",
    BadRequestError: "The request was invalid.",
    RequestTooLargeError: "The request is larger than the bot's context window.",
    RateLimitError: "Too many requests.",
    RequestTimeoutError: "The bot did not start in time.",
    ServerError: "The server failed.",
}


def _error_object(body: Any) -> Mapping[str, Any]:
    """The inner error object of either documented shape, or {}."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            return inner
        if isinstance(inner, str):
            return {"message": inner}
        if isinstance(body.get("detail"), str):  # FastAPI's own error body
            return {"message": body["detail"]}
    return {}


def _pick_class(status: int | None, error_type: str | None, code: Any) -> type[PoeError]:
    # A specific string code (model_not_found on a 400) says more than the status;
    # the status says more than a generic type (invalid_request_error on a 401).
    if isinstance(code, str) and code in _TYPE_CLASSES:
        return _TYPE_CLASSES[code]
    if status is not None:
        if status in _STATUS_CLASSES:
            return _STATUS_CLASSES[status]
        if status >= 500:
            return ServerError
    if error_type in _TYPE_CLASSES:
        return _TYPE_CLASSES[error_type]
    # An error object inside a stream that we cannot classify: the bot failed.
    return ServerError if status is None else PoeError


def error_from_body(
    status: int | None,
    body: Any,
    *,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> PoeError:
    """Build the typed error for an HTTP status and an already-decoded JSON body."""
    obj = _error_object(scrub_json(body))
    error_type = obj.get("type") if isinstance(obj.get("type"), str) else None
    code = obj.get("code")
    cls = _pick_class(status, error_type, code)
    raw_message = obj.get("message")
    # Cleaned before the emptiness check: a message of escape codes alone says nothing.
    message = strip_terminal_controls(raw_message).strip() if isinstance(raw_message, str) else ""
    if not message:
        message = _DEFAULT_MESSAGES.get(cls, f"Unexpected reply (HTTP {status}).")
    kwargs: dict[str, Any] = {
        "status": status,
        "error_type": error_type,
        "code": code if isinstance(code, str | int) else None,
        "request_id": scrub(request_id) if request_id else None,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    error = cls(message, retry_after=retry_after, **kwargs)
    if retry_after is not None and error.retryable:
        error.hint = f"Wait {format_seconds(retry_after)} and try again."
    return error


def error_from_response(
    status: int,
    content: bytes,
    headers: Mapping[str, str],
) -> PoeError:
    """Build the typed error for a non-2xx HTTP response."""
    # Scrubbed whole before anything is cut from it, so a key cannot be half-masked.
    text = scrub(content.decode("utf-8", errors="replace")).strip()
    try:
        body: Any = json.loads(text) if text else None
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
        body = {"error": {"message": text[:300]}} if text else None
    error = error_from_body(
        status,
        body,
        retry_after=parse_retry_after(headers.get("retry-after")),
        # Poe's OpenAI route names it x-request-id; Anthropic's shape uses request-id.
        request_id=headers.get("x-request-id") or headers.get("request-id"),
    )
    # The convention the openai and anthropic SDKs follow: the server may forbid a retry
    # that the status alone would allow (it cannot force one the status rules out).
    if headers.get("x-should-retry", "").strip().lower() == "false":
        error.retryable = False
    return error


def decode_json(path: str, content: bytes) -> Any:
    """A success body as JSON; anything else (not JSON, nested too deep) is a ProtocolError."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise ProtocolError(f"{path} did not return JSON.") from None
