"""Print the fault matrix: every fault of the local Poe server × every transport.

Each cell is what the user is told (the error's title and message), how much of the
reply's text was kept, and whether asking again (a retry) then gets the whole reply.
It runs through PoeClient.stream_chat with the client's default policy, which retries
nothing by itself, so each cell shows the fault, not a retry that hid it.

    python scripts/fault_matrix.py > matrix.md
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient, Timeouts
from poe_tui.core.events import Done, ReplaceResponse, StreamEvent, StreamFailed, TextDelta
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports.registry import Transport
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import modes

BOT = "echo"  # serves all three transports, and says the same thing on each
PROMPT = "fault matrix"
READ_TIMEOUT = 1.0  # far below the stall, far above a loopback reply's gaps
TRANSPORT_NAMES = {
    Transport.NATIVE: "native `/bot/<name>`",
    Transport.OPENAI: "OpenAI `/v1/chat/completions`",
    Transport.ANTHROPIC: "Anthropic `/v1/messages`",
}
FAULT_NAMES = {
    "error": "error mid-stream",
    "reset": "connection reset mid-stream",
    "no-done": "ends without its closing event",
    "stall": f"stall longer than the read timeout ({READ_TIMEOUT:g} s)",
    "malformed": "malformed JSON in one chunk",
    "wrong-type": "200 with text/html",
    "huge": "one 5 MB event",
    "garbage": "garbage bytes (not UTF-8)",
    "drop": "connection dropped before any byte",
}


@dataclass(frozen=True)
class Outcome:
    seen: str  # what the user reads, or "(no error)"
    kept: int  # characters of reply text kept
    whole: int  # characters of the whole reply, from the retry
    retry_ok: bool

    def cell(self) -> str:
        kept = f"kept {self.kept}/{self.whole} chars" if self.kept else "no text kept"
        retry = "retry works" if self.retry_ok else "**retry fails**"
        return f"{self.seen} · {kept} · {retry}"


async def reply(client: PoeClient, transport: Transport) -> tuple[str, StreamEvent | None]:
    """The reply's text and its last event (Done or StreamFailed)."""
    text, last = "", None
    messages = [ChatMessage("user", PROMPT)]
    async for event in client.stream_chat(BOT, messages, transport=transport):
        if isinstance(event, TextDelta):
            text += event.text
        elif isinstance(event, ReplaceResponse):
            text = event.text
        last = event
    return text, last


def seen(last: StreamEvent | None, host: str) -> str:
    if not isinstance(last, StreamFailed):
        return "(no error)"
    error = last.error
    # One line, markdown-safe, with the random port out so runs compare.
    words = " ".join(error.message.replace(host, "127.0.0.1:PORT").split())
    return f"**{error.title}**: {words.replace('|', '/')}"


async def one(server: FakePoeServer, client: PoeClient, mode: str, transport: Transport) -> Outcome:
    server.arm_fault(mode)
    kept, last = await reply(client, transport)
    whole, after = await reply(client, transport)
    host = urlsplit(server.base_url).netloc
    return Outcome(seen(last, host), len(kept), len(whole), isinstance(after, Done))


async def matrix(server: FakePoeServer) -> dict[str, dict[Transport, Outcome]]:
    key, timeouts = ApiKey("fault-matrix"), Timeouts(read=READ_TIMEOUT)
    async with PoeClient(key, base_url=server.base_url, timeouts=timeouts) as client:
        await client.list_models()  # the Anthropic API serves echo once its entry is known
        return {
            mode: {t: await one(server, client, mode, t) for t in Transport} for mode in modes()
        }


def table(rows: dict[str, dict[Transport, Outcome]]) -> str:
    header = ["Fault", *(TRANSPORT_NAMES[t] for t in Transport)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for mode, cells in rows.items():
        name = FAULT_NAMES.get(mode, f"HTTP {mode}")
        lines.append("| " + " | ".join([name, *(cells[t].cell() for t in Transport)]) + " |")
    return "\n".join(lines)


def main() -> int:
    with FakePoeServer(speed=0) as server:
        rows = asyncio.run(matrix(server))
    print(table(rows))
    failed = [
        (mode, t.value)
        for mode, cells in rows.items()
        for t, outcome in cells.items()
        if outcome.seen == "(no error)" or not outcome.retry_ok
    ]
    if failed:
        print(f"\nNot handled as expected: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
