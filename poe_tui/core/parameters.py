"""Custom bot parameters: check values against the schema `/v1/models` declares.

Values typed on a command line arrive as strings (`--param thinking_budget=2048`);
`validate_parameters` turns them into the JSON type the bot expects, or raises an
`InvalidParameterError` naming the parameter, the value and what would be accepted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from poe_tui.core.errors import InvalidParameterError
from poe_tui.core.models import ModelInfo, Parameter

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


def validate_parameters(model: ModelInfo, params: Mapping[str, Any]) -> dict[str, Any]:
    """Each value coerced to its parameter's kind; unknown names are refused."""
    declared = {p.name: p for p in model.parameters}
    result: dict[str, Any] = {}
    for name, value in params.items():
        parameter = declared.get(name)
        if parameter is None:
            raise _unknown(name, model)
        result[name] = coerce(parameter, value)
    return result


def _unknown(name: str, model: ModelInfo) -> InvalidParameterError:
    known = ", ".join(sorted(p.name for p in model.parameters))
    if not known:
        return InvalidParameterError(f"{model.display_name} takes no parameters (got '{name}').")
    return InvalidParameterError(
        f"{model.display_name} has no parameter '{name}'; it knows: {known}."
    )


def coerce(parameter: Parameter, value: Any) -> Any:
    """One value as the parameter's kind (number, boolean, string or enum member)."""
    if parameter.kind == "number":
        return _number(parameter, value)
    if parameter.kind == "boolean":
        return _boolean(parameter, value)
    if parameter.kind == "enum":
        return _choice(parameter, value)
    if parameter.kind == "other":
        # Its schema's type is one we do not know: the bot's default is all we can send.
        kind = parameter.schema.get("type")
        raise InvalidParameterError(
            f"Parameter '{parameter.name}' has a type poe-tui cannot set ({kind!r}); "
            "the bot's default is used."
        )
    if not isinstance(value, str):
        raise _invalid(parameter, value, "text")
    return value


def _invalid(parameter: Parameter, value: Any, expected: str) -> InvalidParameterError:
    shown = value if isinstance(value, str) else json.dumps(value)
    return InvalidParameterError(
        f"Parameter '{parameter.name}': '{shown}' is not valid; expected {expected}."
    )


def _range_text(parameter: Parameter) -> str:
    low, high = parameter.minimum, parameter.maximum
    if low is not None and high is not None:
        return f"a number from {_plain(low)} to {_plain(high)}"
    if low is not None:
        return f"a number of at least {_plain(low)}"
    if high is not None:
        return f"a number of at most {_plain(high)}"
    return "a number"


def _plain(number: float) -> int | float:
    return int(number) if number.is_integer() else number


def _number(parameter: Parameter, value: Any) -> int | float:
    expected = _range_text(parameter)
    if isinstance(value, bool):
        raise _invalid(parameter, value, expected)
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise _invalid(parameter, value, expected) from None
    if not math.isfinite(number):
        raise _invalid(parameter, value, expected)
    too_low = parameter.minimum is not None and number < parameter.minimum
    too_high = parameter.maximum is not None and number > parameter.maximum
    if too_low or too_high:
        raise _invalid(parameter, value, expected)
    return _plain(number)


def _boolean(parameter: Parameter, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().casefold() if isinstance(value, str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid(parameter, value, "true or false (also yes/no, 1/0)")


def _choice(parameter: Parameter, value: Any) -> Any:
    choices = parameter.choices
    expected = "one of " + ", ".join(str(c) for c in choices)
    if value in choices and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise _invalid(parameter, value, expected)
    exact = [c for c in choices if str(c) == value.strip()]
    folded = [c for c in choices if str(c).casefold() == value.strip().casefold()]
    for matches in (exact, folded):
        if len(matches) == 1:
            return matches[0]
    raise _invalid(parameter, value, expected)


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`NAME=VALUE` strings (from `--param`) as a dict; the last one of a name wins."""
    result: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidParameterError(
                f"'{item}' is not NAME=VALUE.", hint="Write it like --param thinking_budget=2048."
            )
        result[name.strip()] = value
    return result


def guess_scalar(text: str) -> Any:
    """Best-guess JSON for a bot whose schema is unknown: numbers and true/false become
    JSON numbers and booleans; anything else stays a string."""
    folded = text.strip().casefold()
    if folded in ("true", "false"):
        return folded == "true"
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # math.isfinite() overflows on a huge int
    if isinstance(value, float) and math.isfinite(value):
        return value
    return text


def guess_parameters(params: Mapping[str, str]) -> dict[str, Any]:
    return {name: guess_scalar(value) for name, value in params.items()}
