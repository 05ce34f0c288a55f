"""One measured streaming run, in its own process: poe-tui, a plain Log app, or no UI.

`bench_streaming.py` starts this (in a tmux window, so the app draws to a real
terminal) and reads the JSON it writes to `--out`. CPU is `time.process_time()` of
this process from the moment the prompt is sent until the reply is complete and a
short tail has passed; the stream server runs in another process, so only the client
side is counted.

Variants:
  app     the real PoeApp: a conversation of earlier messages opened from the store,
          then a prompt sent; the reply comes through the app's own PoeClient.
  log     a Header/Log/Footer app: the same history written to the Log, the same
          stream read with PoeClient and each chunk written to the Log (the floor).
  client  the same stream read with PoeClient and thrown away (no UI at all).
  raw     the same stream read with bare httpx, bytes thrown away (no parsing at all):
          the floor of the full-speed benchmark.

"rendered" (every variant): seconds from the start until the first frame painted after
the whole reply was in the widget (for `raw` and `client`, until the stream ended).

Delay (app and log): for each chunk, the time from its arrival (PoeClient yielded it)
to the first frame painted after the widget had it. For the app, "had it" is when the
MessageView.flush covering the chunk finished; the harness wraps PoeClient.stream_chat,
MessageView.flush and App._display to see this, without touching poe_tui's code.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import inspect
import json
import resource
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
from stream_content import history, long_reply
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Digits, Footer, Header, Log

from poe_tui.config import Settings
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.core.events import Done, StreamEvent, StreamFailed, TextDelta
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports.registry import Transport
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PoeApp
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.message_view import MessageView
from poe_tui.ui.widgets.prompt_input import PromptInput

BOT = "gpt-5"
KEY = "bench-key-not-secret"
PROMPT = "Please write the long answer."
SETTLE_SECONDS = 1.0  # idle before the prompt, so start-up work is not counted
TAIL_SECONDS = 0.5  # counted after the reply ends: the last flush and paint
POLL_SECONDS = 0.1
DEADLINE_SECONDS = 600.0


# --- what is measured ------------------------------------------------------------------


@dataclass
class Probe:
    """CPU and wall clocks around the reply, plus arrival, append and frame times."""

    cpu: float = 0.0
    wall: float = 0.0
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (time, chars so far)
    appends: list[tuple[float, int]] = field(default_factory=list)  # (time, chars covered)
    frames: list[float] = field(default_factory=list)
    chars: int = 0
    ok: bool = False
    error: str = ""
    began: float = 0.0
    ended_stream: float = 0.0  # when the last byte or event was read (raw, client)

    def begin(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        self.began = self.wall

    def rendered(self, through_appends: bool) -> float:
        """Seconds from begin to the first frame after the final text reached the widget."""
        if self.ended_stream:
            return self.ended_stream - self.began
        last = [t for t, _ in self.appends] if through_appends else [t for t, _ in self.arrivals]
        if not last:
            return float("nan")
        frame = bisect.bisect_left(self.frames, last[-1])
        return (self.frames[frame] if frame < len(self.frames) else float("nan")) - self.began

    def end(self) -> None:
        self.cpu = time.process_time() - self.cpu
        self.wall = time.perf_counter() - self.wall

    def delays(self, through_appends: bool) -> list[float]:
        """Per chunk: arrival to the first frame after the widget had it."""
        delays = []
        append_times = [t for t, _ in self.appends]
        covered = [c for _, c in self.appends]
        for arrived, chars in self.arrivals:
            shown_at = arrived
            if through_appends:
                index = bisect.bisect_left(covered, chars)
                if index == len(covered):
                    continue
                shown_at = max(arrived, append_times[index])
            frame = bisect.bisect_left(self.frames, shown_at)
            if frame < len(self.frames):
                delays.append(self.frames[frame] - arrived)
        return delays


def watch_arrivals(probe: Probe) -> None:
    """Record when each text chunk leaves PoeClient (every variant pays the same)."""
    original = PoeClient.stream_chat

    def stream_chat(self: PoeClient, *args: Any, **kwargs: Any) -> AsyncIterator[StreamEvent]:
        async def timed() -> AsyncIterator[StreamEvent]:
            total = 0
            async for event in original(self, *args, **kwargs):
                if isinstance(event, TextDelta):
                    total += len(event.text)
                    probe.arrivals.append((time.perf_counter(), total))
                yield event

        return timed()

    PoeClient.stream_chat = stream_chat  # type: ignore[method-assign]


def watch_appends(probe: Probe) -> None:
    """Record when each MessageView.flush finishes and how much of the reply it shows.

    `_shown` is MessageView's record of the text on screen once a flush is done.
    """
    original = MessageView.flush

    async def flush(self: MessageView) -> None:
        await original(self)
        if self.is_reply:
            probe.appends.append((time.perf_counter(), len(self._shown)))

    MessageView.flush = flush  # type: ignore[method-assign]


def watch_frames(app: App[Any], probe: Probe) -> None:
    """Record each frame the app writes to the terminal (App._display, not public)."""
    original: Callable[..., None] | None = getattr(app, "_display", None)
    if original is None:
        return

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        if renderable is not None and not getattr(app, "_batch_count", 0):
            probe.frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


def past_conversation(turns: int) -> Conversation:
    # The paced server (sse_server.py) speaks the OpenAI-compatible stream.
    conversation = Conversation(bot=BOT, transport=Transport.OPENAI.value)
    for prompt, reply_text in history(turns):
        conversation.add_user_message(prompt)
        reply = conversation.start_reply()
        reply.text = reply_text
        reply.status = MessageStatus.COMPLETE
        reply.finished_at = reply.created_at
    return conversation


def chat_history(turns: int) -> list[ChatMessage]:
    return [*past_conversation(turns).history(), ChatMessage("user", PROMPT)]


# --- the variants ----------------------------------------------------------------------


class BenchPoeApp(PoeApp):
    """PoeApp with a driver: open the old conversation, send the prompt, time the reply."""

    # Textual reads CSS_PATH beside the module of the class that runs: point at PoeApp's.
    CSS_PATH = str(Path(inspect.getfile(PoeApp)).parent / str(PoeApp.CSS_PATH))

    def __init__(self, probe: Probe, turns: int, all_history: bool, **options: Any) -> None:
        super().__init__(**options)
        self.probe = probe
        self.past = past_conversation(turns)
        self.all_history = all_history
        self.store.save(self.past)

    def on_ready(self) -> None:
        # PoeApp.on_ready runs too (Textual calls each class's handler).
        watch_frames(self, self.probe)
        self.run_worker(self.drive(), exit_on_error=False)

    async def drive(self) -> None:
        try:
            await self._drive()
        except Exception as error:
            self.probe.error = f"{type(error).__name__}: {error}"
        self.exit()

    async def _drive(self) -> None:
        screen = self.chat_screen
        digits = screen.query_one("#points", Digits)
        await until(lambda: self.models is not None and digits.value != "-", "start-up")
        await screen.open_conversation(self.past)
        view = screen.query_one(ConversationView)
        while self.all_history and view.query("#show-earlier"):
            await view.load_earlier()
        await asyncio.sleep(SETTLE_SECONDS)
        prompt = screen.query_one(PromptInput)
        prompt.load_text(PROMPT)
        before = len(self.past.messages)
        self.probe.begin()
        prompt.action_submit()
        # At full speed the whole reply can come and go between two looks at the job.
        await until(lambda: len(self.past.messages) > before, "the reply to start")
        await until(lambda: screen.job is None, "the reply to finish")
        await asyncio.sleep(TAIL_SECONDS)
        self.probe.end()
        reply = self.past.messages[-1]
        self.probe.chars = len(reply.text)
        self.probe.ok = reply.status is MessageStatus.COMPLETE
        if not self.probe.ok:
            self.probe.error = f"reply {reply.status.value}: {reply.error_message}"


class LogApp(App[None]):
    """The floor: the same history and stream, into a plain `Log`."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit")]

    def __init__(self, probe: Probe, base_url: str, turns: int) -> None:
        super().__init__()
        self.probe = probe
        self.base_url = base_url
        self.turns = turns

    def compose(self) -> ComposeResult:
        yield Header()
        yield Log(id="log")
        yield Footer()

    def on_ready(self) -> None:
        watch_frames(self, self.probe)
        self.run_worker(self.drive(), exit_on_error=False)

    async def drive(self) -> None:
        try:
            await self._drive()
        except Exception as error:
            self.probe.error = f"{type(error).__name__}: {error}"
        self.exit()

    async def _drive(self) -> None:
        log = self.query_one(Log)
        messages = chat_history(self.turns)
        for message in messages[:-1]:
            log.write(f"\n{message.role}:\n{message.content}\n")
        await asyncio.sleep(SETTLE_SECONDS)
        async with PoeClient(ApiKey(KEY), base_url=self.base_url) as client:
            self.probe.begin()
            log.write(f"\nuser:\n{PROMPT}\n\nassistant:\n")
            await read_stream(client, messages, self.probe, log.write)
            await asyncio.sleep(TAIL_SECONDS)
            self.probe.end()


async def read_stream(
    client: PoeClient, messages: list[ChatMessage], probe: Probe, sink: Callable[[str], Any]
) -> None:
    async for event in client.stream_chat(BOT, messages, transport=Transport.OPENAI):
        match event:
            case TextDelta(text=text):
                probe.chars += len(text)
                sink(text)
            case Done():
                probe.ok = True
            case StreamFailed(error=error):
                probe.error = error.one_line()


async def client_only(probe: Probe, base_url: str, turns: int) -> None:
    messages = chat_history(turns)
    async with PoeClient(ApiKey(KEY), base_url=base_url) as client:
        probe.begin()
        await read_stream(client, messages, probe, lambda _text: None)
        probe.ended_stream = time.perf_counter()
        await asyncio.sleep(TAIL_SECONDS)
        probe.end()


async def raw_only(probe: Probe, base_url: str, turns: int) -> None:
    """The same request, the reply's bytes read with httpx and dropped: no parsing."""
    body = {
        "model": BOT,
        "messages": [{"role": m.role, "content": m.content} for m in chat_history(turns)],
        "stream": True,
    }
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "text/event-stream"}
    tail = b""
    async with httpx.AsyncClient() as client:
        probe.begin()
        url = f"{base_url}/v1/chat/completions"
        async with client.stream("POST", url, json=body, headers=headers) as response:
            async for block in response.aiter_raw():
                tail = (tail + block)[-64:]
        probe.ended_stream = time.perf_counter()
        await asyncio.sleep(TAIL_SECONDS)
        probe.end()
    probe.ok = tail.rstrip().endswith(b"data: [DONE]")
    probe.chars = len(long_reply()) if probe.ok else 0


def run_variant(args: argparse.Namespace, probe: Probe) -> None:
    watch_arrivals(probe)
    if args.variant in ("client", "raw"):
        reader = client_only if args.variant == "client" else raw_only
        asyncio.run(reader(probe, args.base_url, args.turns))
        return
    app: App[None]
    if args.variant == "log":
        app = LogApp(probe, args.base_url, args.turns)
    else:
        watch_appends(probe)
        app = BenchPoeApp(
            probe,
            args.turns,
            args.variant == "app-all",
            base_url=args.base_url,
            api_key=ApiKey(KEY),
            settings=Settings(default_bot=BOT),
            store=SqliteStore.in_memory(),
        )
    app.run(headless=args.headless, size=(120, 36) if args.headless else None)


def profiled(args: argparse.Namespace, probe: Probe) -> None:
    """The run under pyinstrument (`pip install pyinstrument`): its tree as text, Textual's
    and Rich's frames shown, and the session beside it (`pyinstrument --load FILE`)."""
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    profiler = Profiler(interval=0.002)
    with profiler:
        run_variant(args, probe)
    session = profiler.stop() if profiler.is_running else profiler.last_session
    assert session is not None
    session.save(str(args.profile.with_suffix(".pyisession")))
    # pyinstrument 5 takes the frames to show as a regex in processor_options (its
    # `show=` glob keyword is gone: passing it failed the run).
    shown = r".*/(textual|rich|poe_tui)/.*"
    renderer = ConsoleRenderer(processor_options={"show_regex": shown}, time="percent_of_total")
    args.profile.write_text(renderer.render(session))


def report(args: argparse.Namespace, probe: Probe) -> dict[str, Any]:
    through_appends = args.variant.startswith("app")
    delays = probe.delays(through_appends)
    expected = len(long_reply())
    return {
        "variant": args.variant,
        "cpu": probe.cpu,
        "wall": probe.wall,
        "chars": probe.chars,
        "ok": probe.ok and probe.chars == expected and not probe.error,
        "error": probe.error or ("" if probe.chars == expected else f"{probe.chars} chars"),
        "chunks": len(probe.arrivals),
        "frames": len(probe.frames),
        "delays": delays,
        "rendered": probe.rendered(through_appends),
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=("app", "app-all", "log", "client", "raw"))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--turns", type=int, default=50, help="earlier prompt/reply pairs")
    parser.add_argument("--headless", action="store_true", help="no terminal (no tmux)")
    parser.add_argument(
        "--profile", type=Path, help="write a pyinstrument profile of the run here (text)"
    )
    args = parser.parse_args(argv)
    probe = Probe()
    try:
        if args.profile:
            profiled(args, probe)
        else:
            run_variant(args, probe)
    except Exception as error:  # reported in the JSON: the parent has no terminal to read
        probe.error = f"{type(error).__name__}: {error}"
    args.out.write_text(json.dumps(report(args, probe)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
