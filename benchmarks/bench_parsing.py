"""Core parsing: events per second through poe-tui's stream parser, the openai SDK and
bare httpx-sse, each reading the same local stream served as fast as it can be.

The stream (`sse_server.py --rate 0`, its own process) is the benchmark's 80k-character
reply cut into 20,000 OpenAI-compatible chunks (about a token each), written in 64 KiB
blocks so the server never holds a client back. Each side reads it whole, one after
the other in this process, interleaved over the runs:

- poe-tui: `PoeClient.stream_chat(..., transport=Transport.OPENAI)`, the public entry
  that goes through the transport's `stream_sse` (whatever SSE parser it uses), typed
  events out;
- the official openai SDK: `AsyncOpenAI(...).chat.completions.create(stream=True)`;
- the floor: bare httpx-sse iteration (`aconnect_sse` + `aiter_sse`), no JSON decoded.

Events per second is the stream's event count over the wall time of the read.
Issue 9's targets: at least 3x the openai SDK and at least 0.8x bare httpx-sse.

    python benchmarks/bench_parsing.py [--runs N] [--chunks N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from _common import Row, at_least, isolated_env, median, print_table
from bench_streaming import stream_server
from httpx_sse import aconnect_sse

from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.events import Done, StreamFailed, TextDelta
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports.registry import Transport

BENCH = "core parsing"
BOT = "gpt-5"
KEY = "bench-key-not-secret"
PROMPT = "Please write the long answer."
CHUNKS = 20_000
TARGET_OPENAI = 3.0
TARGET_HTTPX_SSE = 0.8


async def read_ours(base_url: str) -> int:
    """Text pieces through PoeClient; fails loudly unless the stream ends cleanly."""
    pieces = 0
    async with PoeClient(ApiKey(KEY), base_url=base_url) as client:
        events = client.stream_chat(BOT, [ChatMessage("user", PROMPT)], transport=Transport.OPENAI)
        async for event in events:
            if isinstance(event, TextDelta):
                pieces += 1
            elif isinstance(event, StreamFailed):
                raise RuntimeError(event.error.one_line())
            elif isinstance(event, Done):
                break
    return pieces


async def read_openai(base_url: str) -> int:
    from openai import AsyncOpenAI

    pieces = 0
    async with AsyncOpenAI(base_url=f"{base_url}/v1", api_key=KEY) as client:
        stream = await client.chat.completions.create(
            model=BOT, messages=[{"role": "user", "content": PROMPT}], stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces += 1
    return pieces


async def read_httpx_sse(base_url: str) -> int:
    events = 0
    body = {"model": BOT, "messages": [{"role": "user", "content": PROMPT}], "stream": True}
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient() as client:
        url = f"{base_url}/v1/chat/completions"
        async with aconnect_sse(client, "POST", url, json=body, headers=headers) as source:
            async for _event in source.aiter_sse():
                events += 1
    return events - 3  # the role chunk, the finish chunk and [DONE] carry no text


Reader = Callable[[str], Awaitable[int]]
SIDES: dict[str, Reader] = {
    "httpx-sse": read_httpx_sse,
    "poe-tui": read_ours,
    "openai": read_openai,
}


def events_per_second(reader: Reader, base_url: str, chunks: int) -> float:
    start = time.perf_counter()
    pieces = asyncio.run(reader(base_url))
    elapsed = time.perf_counter() - start
    if pieces != chunks:
        raise RuntimeError(f"{reader.__name__} read {pieces} text events, not {chunks}")
    return (chunks + 3) / elapsed


def measure(runs: int, chunks: int = CHUNKS) -> list[Row]:
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    with (
        tempfile.TemporaryDirectory(prefix="poe-tui-bench-") as work,
        stream_server(isolated_env(Path(work)), chunks, 0) as base_url,
    ):
        for reader in SIDES.values():  # warm: imports, connections, caches
            events_per_second(reader, base_url, chunks)
        for _ in range(runs):
            for side, reader in SIDES.items():
                rates[side].append(events_per_second(reader, base_url, chunks))
    floor, ours, sdk = (median(rates[s]) for s in ("httpx-sse", "poe-tui", "openai"))
    unit = "events/s"
    return [
        Row(BENCH, "bare httpx-sse iteration (no JSON)", floor, unit, floor=True),
        Row(BENCH, "official openai SDK (AsyncOpenAI, stream=True)", sdk, unit, sdk / floor),
        Row(BENCH, "poe-tui stream parser vs bare httpx-sse", ours, unit, ours / floor,
            target=f">= {TARGET_HTTPX_SSE}x", met=at_least(TARGET_HTTPX_SSE, ours / floor)),
        Row(BENCH, "poe-tui stream parser vs the openai SDK", ours, unit, ours / sdk,
            target=f">= {TARGET_OPENAI:g}x", met=at_least(TARGET_OPENAI, ours / sdk)),
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("--chunks", type=int, default=CHUNKS, help=f"default {CHUNKS:,}")
    args = parser.parse_args(argv)
    print_table(measure(args.runs, args.chunks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
