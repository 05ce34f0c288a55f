"""Every documented Poe error shape maps to the right typed error with readable text."""

from __future__ import annotations

import json

import pytest

from poe_tui.core import errors as e


def _err(status: int | None, body: object, headers: dict[str, str] | None = None) -> e.PoeError:
    content = json.dumps(body).encode() if body is not None else b""
    return (
        e.error_from_response(status or 200, content, headers or {})
        if status
        else (e.error_from_body(None, body))
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, e.BadRequestError),
        (401, e.AuthenticationError),
        (402, e.InsufficientPointsError),
        (403, e.PermissionDeniedError),
        (404, e.NotFoundError),
        (408, e.RequestTimeoutError),
        (413, e.RequestTooLargeError),
        (429, e.RateLimitError),
        (500, e.ServerError),
        (502, e.ServerError),
        (503, e.ServerError),
        (529, e.ServerError),
    ],
)
def test_status_maps_to_class_with_integer_code_shape(status: int, cls: type) -> None:
    body = {"error": {"code": status, "type": "x", "message": "boom", "metadata": {"a": 1}}}
    error = _err(status, body)
    assert type(error) is cls
    assert error.status == status
    assert error.message == "boom"


def test_string_code_model_not_found_on_400_is_not_found() -> None:
    body = {
        "error": {
            "message": "Model x not found",
            "type": "invalid_request_error",
            "code": "model_not_found",
        }
    }
    assert isinstance(_err(400, body), e.NotFoundError)


def test_invalid_api_key_string_code() -> None:
    body = {
        "error": {
            "message": "Invalid API key",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    error = _err(401, body)
    assert isinstance(error, e.AuthenticationError)
    assert "poe-tui key set" in error.one_line()


def test_real_points_message_and_hint() -> None:
    msg = "You've used up your points! Visit https://poe.com/api/keys to get more."
    error = _err(402, {"error": {"code": 402, "type": "insufficient_credits", "message": msg}})
    assert isinstance(error, e.InsufficientPointsError)
    assert error.one_line().startswith("Out of points: You've used up your points!")
    assert error.one_line().count("poe.com/api/keys") == 1  # Poe's text already says where
    assert "poe.com/api/keys" in e.InsufficientPointsError("No points left.").one_line()


def test_rate_limit_carries_retry_after() -> None:
    body = {
        "error": {"message": "Slow down", "type": "rate_limit_error", "code": "rate_limit_exceeded"}
    }
    error = _err(429, body, {"retry-after": "7"})
    assert isinstance(error, e.RateLimitError)
    assert error.retry_after == 7.0
    assert error.retryable
    assert "Wait 7 s" in error.one_line()


def test_real_400_body_without_code() -> None:
    body = {
        "error": {
            "message": "Unsupported value: 'high' is not supported with the "
            "'gpt-5.2-chat-latest' model.",
            "type": "invalid_request_error",
        }
    }
    error = _err(400, body)
    assert isinstance(error, e.BadRequestError)
    assert "Unsupported value" in error.message


def test_anthropic_shape() -> None:
    body = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "Invalid API key"},
    }
    assert isinstance(_err(401, body), e.AuthenticationError)


def test_mid_stream_error_object_without_status() -> None:
    error = _err(None, {"error": {"message": "The bot stopped.", "type": "upstream_error"}})
    assert isinstance(error, e.ServerError)
    assert error.status is None


def test_non_json_body_keeps_text_and_default_message_for_empty() -> None:
    html = e.error_from_response(502, b"<html>Bad gateway</html>", {})
    assert isinstance(html, e.ServerError) and "Bad gateway" in html.message
    empty = e.error_from_response(404, b"", {})
    assert isinstance(empty, e.NotFoundError) and empty.message


def test_retryable_split() -> None:
    assert not e.AuthenticationError("x").retryable
    assert not e.InsufficientPointsError("x").retryable
    assert e.ServerError("x").retryable and e.NetworkError("x").retryable


@pytest.mark.parametrize(
    ("text", "seconds"), [("7", 7.0), ("1.5", 1.5), ("soon", None), ("", None), ("-3", None)]
)
def test_parse_retry_after(text: str, seconds: float | None) -> None:
    assert e.parse_retry_after(text) == seconds


def test_error_text_from_a_server_or_bot_never_carries_terminal_controls() -> None:
    from poe_tui.core.transports.native import native_error

    # OSC 52 would write the clipboard; CSI 2J would clear the screen.
    error = native_error({"text": "\x1b]52;c;aGk=\x07Bad \x1b[2Jthing"}, "some-bot")
    assert "\x1b" not in error.message and "\x07" not in error.message
    assert "Bad thing" in error.message
