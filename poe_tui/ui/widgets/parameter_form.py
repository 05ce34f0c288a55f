"""The selected bot's custom parameters as a form: one control per declared parameter.

The form keeps only values that differ from the bot's default (those are what gets
sent); an invalid entry shows its error under the field and is left out, and
`has_errors` lets the screen refuse to send until it is fixed.
"""

from __future__ import annotations

import json
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from poe_tui.core.errors import InvalidParameterError
from poe_tui.core.models import ModelInfo, Parameter
from poe_tui.core.parameters import coerce
from poe_tui.core.text import strip_terminal_controls
from poe_tui.core.transports.registry import Transport, TransportSpec, spec_for
from poe_tui.ui.styles import load_css

Control = Input | Switch | Select[Any]


def range_text(parameter: Parameter) -> str:
    """`0–31999`, `≥ 1`, `≤ 5` or "" for a number parameter's limits."""
    low, high = parameter.minimum, parameter.maximum
    if low is not None and high is not None:
        return f"{plain(low)}–{plain(high)}"
    if low is not None:
        return f"≥ {plain(low)}"
    return f"≤ {plain(high)}" if high is not None else ""


def plain(value: object) -> str:
    """A value as shown; choices come from the bot's author, so no control characters."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "on" if value else "off"
    return "none" if value is None else strip_terminal_controls(str(value))


def label_text(parameter: Parameter) -> str:
    limits = range_text(parameter) if parameter.kind == "number" else ""
    if parameter.kind == "other":
        limits = "read-only: type not supported"
    name = strip_terminal_controls(parameter.name)
    return f"{name} ({limits})" if limits else name


def make_tooltip(parameter: Parameter) -> Content | None:
    """The parameter's description (written by the bot's author: plain text, cleaned)."""
    if not parameter.description:
        return None
    return Content(strip_terminal_controls(parameter.description))


def make_control(parameter: Parameter, values: dict[str, Any]) -> Control:
    """The control for one parameter, showing its current value or its default."""
    tip = make_tooltip(parameter)
    current = values.get(parameter.name, parameter.default)
    if parameter.kind == "boolean":
        return Switch(value=bool(current), tooltip=tip)
    if parameter.kind == "enum":
        options = [(plain(choice), choice) for choice in parameter.choices]
        chosen = current if current in parameter.choices else Select.NULL
        return Select(options, value=chosen, prompt="default", compact=True, tooltip=tip)
    if parameter.kind == "other":
        # A schema type we do not know: shown, never edited, so never sent.
        shown = json.dumps(parameter.default) if parameter.has_default else "default"
        return Input(plain(shown), compact=True, tooltip=tip, disabled=True)
    text = "" if parameter.name not in values else plain(values[parameter.name])
    hint = f"default {plain(parameter.default)}" if parameter.has_default else "not set"
    if parameter.kind == "number":
        return Input(text, placeholder=hint, type="number", compact=True, tooltip=tip)
    return Input(text, placeholder=hint, compact=True, tooltip=tip)


class ParameterForm(Vertical):
    DEFAULT_CSS = load_css(__file__, "parameter_form.tcss")

    class Changed(Message):
        """The valid values changed; `values` holds only the non-default ones."""

        def __init__(self, values: dict[str, Any]) -> None:
            super().__init__()
            self.values = values

    class SwitchToNative(Message):
        """The user asked to move the conversation to the native transport."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self._parameters: dict[Widget, Parameter] = {}
        self._shown: tuple[object, ...] | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def compose(self) -> ComposeResult:
        yield Static("", id="param-note", markup=False)
        yield Button("Switch to native", id="switch-native", compact=True)
        yield Vertical(id="param-fields")
        yield Button("Reset to defaults", id="reset-params", compact=True)

    async def show(self, model: ModelInfo | None, transport: str, values: dict[str, Any]) -> None:
        """Rebuild for this bot, transport and values (nothing happens if they are shown)."""
        key = (model, transport, tuple(sorted((k, repr(v)) for k, v in values.items())))
        if key == self._shown:
            return
        self._shown = key
        self.values = dict(values)
        self.errors.clear()
        spec = spec_for(transport)
        declared = model.parameters if model else ()
        parameters = [p for p in declared if spec.takes_parameter(p.name)]
        self._show_note(model, spec)
        fields = self.query_one("#param-fields", Vertical)
        await fields.remove_children()
        self._parameters.clear()
        await fields.mount_all([self._field(p) for p in parameters])
        self.query_one("#reset-params").display = bool(parameters)

    def _show_note(self, model: ModelInfo | None, spec: TransportSpec) -> None:
        note = self.query_one("#param-note", Static)
        names = [p.name for p in model.parameters] if model else []
        declared = bool(names)
        # Offered when this door leaves out some of the bot's parameters; native takes all.
        left_out = any(not spec.takes_parameter(name) for name in names)
        if declared and spec.parameters_note:
            text = spec.parameters_note
        elif model is None:
            text = "Parameters appear once the model list has loaded."
        else:
            text = "" if declared else "This bot takes no custom parameters."
        note.update(text)
        note.display = bool(text)
        self.query_one("#switch-native").display = left_out

    def _field(self, parameter: Parameter) -> Vertical:
        control = make_control(parameter, self.values)
        self._parameters[control] = parameter
        label = Label(label_text(parameter), classes="param-label", markup=False)
        label.tooltip = make_tooltip(parameter)
        error = Static("", classes="param-error", markup=False)
        return Vertical(label, control, error, classes="param-field")

    # --- edits ----------------------------------------------------------------------

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _edited(self, event: Input.Changed | Switch.Changed | Select.Changed) -> None:
        event.stop()
        parameter = self._parameters.get(event.control)
        if parameter is None:
            return
        before = (dict(self.values), dict(self.errors))
        self._take(parameter, event.control)
        self._show_error(event.control, self.errors.get(parameter.name, ""))
        if (self.values, self.errors) != before:
            self.post_message(self.Changed(dict(self.values)))

    def _take(self, parameter: Parameter, control: Widget) -> None:
        """Store the control's value when valid and not the default; else drop it."""
        raw = raw_value(control)
        self.values.pop(parameter.name, None)
        self.errors.pop(parameter.name, None)
        if raw is None:
            return
        try:
            value = coerce(parameter, raw)
        except InvalidParameterError as error:
            self.errors[parameter.name] = error.message
            return
        if not (parameter.has_default and value == parameter.default):
            self.values[parameter.name] = value

    def _show_error(self, control: Widget, text: str) -> None:
        field = control.parent
        if isinstance(field, Widget):
            error = field.query_one(".param-error", Static)
            error.update(text)
            error.display = bool(text)
        control.set_class(bool(text), "-invalid")

    @on(Button.Pressed, "#reset-params")
    async def _reset(self, event: Button.Pressed) -> None:
        event.stop()
        shown = self._shown
        self._shown = None  # force the rebuild with the defaults
        model, transport = (shown[0], shown[1]) if shown else (None, Transport.NATIVE)
        await self.show(model if isinstance(model, ModelInfo) else None, str(transport), {})
        self.post_message(self.Changed({}))

    @on(Button.Pressed, "#switch-native")
    def _switch(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.SwitchToNative())


def raw_value(control: Widget) -> Any:
    """What the control holds, or None for "use the default" (empty or blank)."""
    if isinstance(control, Switch):
        return control.value
    if isinstance(control, Select):
        return None if control.value is Select.NULL else control.value
    if isinstance(control, Input):
        return control.value.strip() or None
    return None
