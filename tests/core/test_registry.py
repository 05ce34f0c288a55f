"""The transport registry: each door described once, every reader taking its words from
there, and the same custom parameters leaving the app and `ask` (both send
`sendable_parameters`) and arriving at the local server."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from typing import Any

import pytest

from poe_tui.cli import build_parser
from poe_tui.core.apikey import ApiKey
from poe_tui.core.auth import AuthScheme
from poe_tui.core.botnames import BadBotName
from poe_tui.core.client import PoeClient
from poe_tui.core.errors import UnsupportedTransportError
from poe_tui.core.events import Done
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports import registry
from poe_tui.core.transports.registry import (
    Capability,
    Transport,
    all_specs,
    sendable_parameters,
    spec_for,
)
from poe_tui.fakepoe import FakePoeServer

KEY = ApiKey("registry-test-key")
# What the parameter form or `--param` would hold for a bot declaring both.
CHOSEN = {"thinking_budget": 2048, "style": "terse"}
BOTS = {Transport.NATIVE: "demo-params", Transport.OPENAI: "demo-params"}
BOTS[Transport.ANTHROPIC] = "claude-sonnet-4.5"


@pytest.fixture
async def client(fake_poe: FakePoeServer) -> AsyncIterator[PoeClient]:
    async with PoeClient(KEY, base_url=fake_poe.base_url) as c:
        yield c


# --- described once ----------------------------------------------------------------------


def test_each_door_is_described_once() -> None:
    described = [spec.transport for spec in all_specs()]
    assert sorted(described) == sorted(Transport) and len(set(described)) == len(described)
    assert all(spec_for(t).transport is t for t in Transport)
    assert spec_for(" OpenAI ") is spec_for(Transport.OPENAI)  # stored values, typed ones
    assert len({spec.label for spec in all_specs()}) == len(described)
    with pytest.raises(ValueError, match="choose one of native, openai, anthropic"):
        spec_for("responses")


def transport_action(parser: argparse.ArgumentParser) -> argparse.Action:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    ask = commands.choices["ask"]
    return next(a for a in ask._actions if "--transport" in a.option_strings)


def test_cli_choices_and_help_come_from_the_registry() -> None:
    parser = build_parser()
    action = transport_action(parser)
    assert list(action.choices or ()) == [spec.transport.value for spec in all_specs()]
    assert action.default in (action.choices or ())
    for spec in all_specs():
        args = parser.parse_args(["ask", "--transport", spec.transport.value, "hi"])
        assert args.transport == spec.transport.value
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    help_text = commands.choices["ask"].format_help()
    assert all(spec.transport.value in help_text for spec in all_specs())


def test_cli_refuses_a_door_the_registry_lacks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ask", "--transport", "responses", "hi"])
    assert "invalid choice: 'responses'" in capsys.readouterr().err
    # Read from the registry, not a copy: a door it drops is gone from the command line.
    monkeypatch.setattr(registry, "_SPECS", all_specs()[:2])
    assert list(transport_action(build_parser()).choices or ()) == ["native", "openai"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ask", "--transport", "anthropic", "hi"])


def test_ui_labels_and_palette_come_from_the_registry() -> None:
    from poe_tui.ui.app import PALETTE_COMMANDS

    titles = [c.title for c in PALETTE_COMMANDS if c.title.startswith("Transport: ")]
    assert titles == [f"Transport: {spec.label}" for spec in all_specs()]
    for spec in all_specs():
        command = next(c for c in PALETTE_COMMANDS if c.title == f"Transport: {spec.label}")
        assert command.action == f"set_transport({spec.transport.value!r})"
        assert spec.summary in command.help


# --- what each door carries and whom it serves ---------------------------------------------


def test_sendable_parameters_follow_what_each_door_carries() -> None:
    assert sendable_parameters(Transport.NATIVE, CHOSEN) == CHOSEN
    # DESIGN.md section 3: extra top-level keys, best effort (the app used to drop them).
    assert sendable_parameters(Transport.OPENAI, CHOSEN) == CHOSEN
    assert sendable_parameters(Transport.ANTHROPIC, CHOSEN) == {"thinking_budget": 2048}
    assert sendable_parameters(Transport.ANTHROPIC, {"style": "terse"}) is None
    assert sendable_parameters("native", {}) is None
    assert Capability.PARAMETERS not in spec_for(Transport.ANTHROPIC).carries


def test_only_the_anthropic_door_refuses_bots() -> None:
    refusal = spec_for(Transport.ANTHROPIC).refusal("gpt-5", None)
    assert isinstance(refusal, UnsupportedTransportError) and "gpt-5" in refusal.message
    assert spec_for(Transport.ANTHROPIC).refusal("claude-haiku-4.5", None) is None
    assert all(spec_for(t).refusal("gpt-5", None) is None for t in (Transport.NATIVE, "openai"))
    assert [s.transport for s in all_specs() if not s.serves_every_bot] == [Transport.ANTHROPIC]


def test_how_each_door_takes_files() -> None:
    assert [s.transport for s in all_specs() if s.uploads_files] == [Transport.NATIVE]
    anthropic = spec_for(Transport.ANTHROPIC)
    for name, content_type in (("a.bmp", "image/bmp"), ("a.zip", "application/zip")):
        refusal = anthropic.file_refusal(name, content_type)
        assert isinstance(refusal, UnsupportedTransportError) and name in refusal.message
        assert spec_for(Transport.NATIVE).file_refusal(name, content_type) is None
    for name, content_type in (("a.png", "image/png"), ("a.pdf", "application/pdf")):
        assert anthropic.file_refusal(name, content_type) is None


def test_native_path_cannot_be_steered_to_another_endpoint() -> None:
    path = spec_for(Transport.NATIVE).path
    assert path("Claude-Sonnet-4.5") == "/bot/Claude-Sonnet-4.5"  # what fastapi-poe sends
    with pytest.raises(BadBotName):  # refused outright, never sent anywhere
        path("x/../../v1/models?a#b")


# --- on the wire -------------------------------------------------------------------------------


def arrived_parameters(fake_poe: FakePoeServer, transport: Transport) -> Any:
    """The custom values as the local server read them from the last request of the door."""
    spec = spec_for(transport)
    record = fake_poe.state.requests_to(spec.path(BOTS[transport]))[-1]
    if transport is Transport.NATIVE:
        return record.body["query"][-1]["parameters"]
    if transport is Transport.OPENAI:
        return record.extra
    return {"thinking_budget": record.body["thinking"]["budget_tokens"]}


@pytest.mark.parametrize("transport", list(Transport))
async def test_what_is_sendable_arrives(
    client: PoeClient, fake_poe: FakePoeServer, transport: Transport
) -> None:
    """The piece the app and `ask --transport X` share: filter, then send."""
    parameters = sendable_parameters(transport, CHOSEN)
    messages = [ChatMessage("user", "which parameters?")]
    reply = await client.chat(BOTS[transport], messages, parameters=parameters, transport=transport)
    assert reply.text
    assert arrived_parameters(fake_poe, transport) == parameters


@pytest.mark.parametrize("transport", list(Transport))
async def test_path_and_auth_are_what_the_spec_says(
    client: PoeClient, fake_poe: FakePoeServer, transport: Transport
) -> None:
    spec = spec_for(transport)
    bot = BOTS[transport]
    before = len(fake_poe.state.requests_to(spec.path(bot)))
    events = [
        ev async for ev in client.stream_chat(bot, [ChatMessage("user", "hi")], transport=transport)
    ]
    assert isinstance(events[-1], Done), events[-1]
    records = fake_poe.state.requests_to(spec.path(bot))
    assert len(records) == before + 1
    headers = records[-1].headers
    if spec.auth is AuthScheme.BEARER:
        assert headers["authorization"] == "Bearer " + KEY.reveal()
        assert "x-api-key" not in headers
    else:
        assert headers["x-api-key"] == KEY.reveal() and "authorization" not in headers
