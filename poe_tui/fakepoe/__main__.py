"""`python -m poe_tui.fakepoe [--port N] [--speed X]`: serve the fake Poe API."""

from __future__ import annotations

import argparse
import contextlib

from poe_tui.fakepoe.server import FakePoeServer
from poe_tui.fakepoe.state import DEFAULT_BALANCE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m poe_tui.fakepoe", description="Run the local fake Poe API server."
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="multiplier for every demo delay (0 = no pauses)"
    )
    parser.add_argument(
        "--balance", type=int, default=DEFAULT_BALANCE, help="starting point balance"
    )
    parser.add_argument(
        "--api-key", default=None, help="accept only this key (default: any non-empty key)"
    )
    args = parser.parse_args(argv)
    server = FakePoeServer(
        speed=args.speed, balance=args.balance, api_key=args.api_key, port=args.port
    )
    print(server.bind(), flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop
        server.run()


if __name__ == "__main__":
    main()
