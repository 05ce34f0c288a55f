"""A paced OpenAI-compatible stream on loopback, for the streaming benchmark.

`POST /v1/chat/completions` streams the benchmark's long reply in a fixed number of
`data:` chunks at a fixed rate (OpenAI chunk format, then `[DONE]`): the wire format
poe-tui's default transport reads. Every other path (models, balance, points history)
is served by poe-tui's own local Poe server app, so the app starts as it would in demo
mode. It runs in its own process so its CPU never counts against the app measured.

    python benchmarks/sse_server.py --chunks 5000 --rate 100
prints `port N` on its first line once it accepts connections. `--rate 0` serves the
same chunks as fast as it can: the whole stream, encoded once, in 64 KiB writes, so the
server is never what a client reading it waits for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Mount, Route
from stream_content import chunks, long_reply

from poe_tui.fakepoe import FakePoeServer


def chunk_json(model: str, delta: dict[str, str], finish: str | None = None) -> str:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


FULL_SPEED_BLOCK = 64 * 1024


def stream_events(pieces: list[str], model: str) -> list[str]:
    """Every `data:` event of the reply, in order: role, the pieces, finish, [DONE]."""
    events = [chunk_json(model, {"role": "assistant", "content": ""})]
    events += [chunk_json(model, {"content": piece}) for piece in pieces]
    return [*events, chunk_json(model, {}, finish="stop"), "data: [DONE]\n\n"]


async def paced(pieces: list[str], rate: float, model: str) -> AsyncIterator[str]:
    """Chunk i leaves at start + i/rate: an absolute schedule, so delays never add up."""
    events = stream_events(pieces, model)
    if rate <= 0:
        body = "".join(events)
        for start in range(0, len(body), FULL_SPEED_BLOCK):
            yield body[start : start + FULL_SPEED_BLOCK]
        return
    start = time.perf_counter()
    yield events[0]
    for index, event in enumerate(events[1:-2]):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        yield event
    yield "".join(events[-2:])  # finish and [DONE]


def build_app(pieces: list[str], rate: float) -> Starlette:
    async def completions(request: Request) -> StreamingResponse:
        body = await request.json()
        stream = paced(pieces, rate, str(body.get("model", "bench")))
        return StreamingResponse(stream, media_type="text/event-stream")

    # Everything else is the demo server's (speed 0: models and balance answer at once).
    rest = FakePoeServer(speed=0).app
    routes = [Route("/v1/chat/completions", completions, methods=["POST"]), Mount("/", rest)]
    return Starlette(routes=routes)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="chunks per second (0: as fast as it can)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="send the reply this many times in one stream"
    )
    args = parser.parse_args(argv)
    pieces = chunks(long_reply(), args.chunks) * args.repeat
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening now: a client that connects early waits in the backlog
    print(f"port {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        build_app(pieces, args.rate), log_level="warning", access_log=False, lifespan="off"
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
