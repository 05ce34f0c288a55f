"""Command line: parse arguments, then start the app or run a plain command.

Imports stay lazy so `poe-tui --version` and the plain commands start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from poe_tui import __version__
from poe_tui.commands.output import CommandError

PROG = "poe-tui"
LATEST = "latest"  # `--resume` without an id
# The reader of stdout went away (`ask | head`): the status a shell reports for a
# process killed by SIGPIPE (128 + 13), as `yes | head` gives, so `set -o pipefail`
# sees the same as with other tools, without a traceback.
BROKEN_PIPE_STATUS = 141


def _connection_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the built-in local Poe server (no key, no network)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="API root (default https://api.poe.com; env POE_API_BASE)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _connection_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A terminal chat client for the Poe API. Without a command, opens the app.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--resume",
        nargs="?",
        const=LATEST,
        metavar="ID",
        help="open the app on a saved conversation (an id prefix from `history`; "
        "without ID the most recent)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = commands.add_parser("ask", parents=[common], help="ask a bot; the reply streams")
    ask.add_argument("prompt", nargs="*", help="the prompt (read from stdin when piped)")
    ask.add_argument("-b", "--bot", help="bot name (default from config)")
    ask.add_argument("--no-stream", action="store_true", help="wait for the whole reply")
    ask.add_argument(
        "--no-save", action="store_true", help="do not keep this exchange in the history"
    )
    ask.add_argument(
        "--transport",
        choices=TransportChoices(),
        metavar="API",  # else argparse lists the choices while building the parser
        default="native",
        help="which Poe API carries the chat: %(choices)s (default %(default)s)",
    )
    ask.add_argument(
        "--param",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a bot parameter (repeatable), checked against the bot's schema when known",
    )
    ask.add_argument(
        "--show-thinking", action="store_true", help="print the bot's thinking on stderr"
    )
    ask.add_argument(
        "--attach",
        metavar="FILE",
        action="append",
        default=[],
        help="attach a file (repeatable); uploaded on the native API, inline on the others",
    )
    ask.add_argument(
        "--attach-anyway",
        action="store_true",
        help="send files even of a type the bot does not list among its inputs",
    )

    models = commands.add_parser("models", parents=[common], help="list models and prices")
    models.add_argument("--search", metavar="TEXT", help="only models matching TEXT")
    models.add_argument("--json", action="store_true", help="machine-readable JSON")
    _model_query_options(models)

    commands.add_parser("balance", parents=[common], help="show the points balance")

    usage = commands.add_parser("usage", parents=[common], help="recent points history")
    usage.add_argument(
        "--limit",
        type=_positive_int,
        default=None,
        help="entries (default 20; with --by, every entry of the period)",
    )
    usage.add_argument("--starting-after", metavar="QUERY_ID", help="start after this entry")
    usage.add_argument("--json", action="store_true", help="machine-readable JSON")
    _usage_summary_options(usage)

    history = commands.add_parser(
        "history", parents=[common], help="list or search saved conversations"
    )
    history.add_argument("--search", metavar="TEXT", help="full-text search of every message")
    history.add_argument("--all", action="store_true", help="include archived conversations")

    export = commands.add_parser(
        "export", parents=[common], help="export a conversation as Markdown or JSON"
    )
    export.add_argument("id", help="conversation id (a unique prefix is enough)")
    export.add_argument("--format", choices=["md", "json"], default="md")
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write to a new FILE (- for stdout, the default)"
    )
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")

    import_cmd = commands.add_parser(
        "import", parents=[common], help="import a conversation from our JSON"
    )
    import_cmd.add_argument("file", help="a file made by `poe-tui export --format json`")

    key = commands.add_parser("key", parents=[common], help="store, delete or check the key")
    key_actions = key.add_subparsers(dest="key_action", metavar="ACTION", required=True)
    key_set = key_actions.add_parser(
        "set", parents=[common], help="store the key in the OS keyring"
    )
    key_set.add_argument("--no-verify", action="store_true", help="store without checking it")
    key_actions.add_parser("delete", parents=[common], help="remove the key from the keyring")
    key_actions.add_parser("status", parents=[common], help="say where the key comes from")
    return parser


class TransportChoices:
    """`--transport` choices read from the transport registry only when argparse checks a
    value or prints help: loading the doors would slow `--version` by half (-X importtime)."""

    @staticmethod
    def values() -> list[str]:
        from poe_tui.core.transports.registry import all_specs

        return [spec.transport.value for spec in all_specs()]

    def __contains__(self, value: object) -> bool:
        return value in self.values()

    def __iter__(self) -> Iterator[str]:
        return iter(self.values())


# --- `models` sort/filter and `usage --by` options (issue 7) ------------------------------
# Literal here so `--help` and `--version` need not import the core; a test checks they
# match poe_tui.core.model_query.
MODEL_SORTS = (
    "name",
    "owner",
    "input",
    "output",
    "request",
    "image",
    "cache-read",
    "cache-write",
    "context",
    "max-output",
    "input-modalities",
    "output-modalities",
    "reasoning",
    "params",
)
MODALITY_CHOICES = ("text", "image", "video", "audio")
PRICE_CHOICES = ("free", "priced", "unknown")
USAGE_SUMMARY_DAYS = 30
USAGE_SUMMARY_MAX_ENTRIES = 10_000


def _model_query_options(models: argparse.ArgumentParser) -> None:
    group = models.add_argument_group("filter and sort (as in the app's pricing browser)")
    group.add_argument("--owner", metavar="NAME", help="only this owner's models (any case)")
    group.add_argument(
        "--input", dest="input_modality", choices=MODALITY_CHOICES, help="only models taking it"
    )
    group.add_argument(
        "--output", dest="output_modality", choices=MODALITY_CHOICES, help="only models making it"
    )
    group.add_argument("--price", choices=PRICE_CHOICES, help="only free, priced or unknown")
    group.add_argument(
        "--has-params", action="store_true", help="only models with custom parameters"
    )
    group.add_argument(
        "--sort", choices=MODEL_SORTS, help="order by this column (default: Poe's order)"
    )
    group.add_argument(
        "--desc", action="store_true", help="largest first (unknown values stay last)"
    )


def _usage_summary_options(usage: argparse.ArgumentParser) -> None:
    usage.add_argument(
        "--by", choices=("bot", "day"), help="totals per bot or per day instead of entries"
    )
    usage.add_argument(
        "--days",
        type=_positive_int,
        help=f"only the last N days, counting today (with --by, default {USAGE_SUMMARY_DAYS})",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _with_client(
    args: argparse.Namespace, action: Callable[[Any], Awaitable[None]], *, need_key: bool = True
) -> None:
    from poe_tui.runtime import connection, load_settings_or_default

    settings, problem = load_settings_or_default()
    if problem:
        print(f"{PROG}: warning: {problem} Using defaults.", file=sys.stderr)
    with connection(
        demo=getattr(args, "demo", False),
        base_url=getattr(args, "base_url", None),
        settings=settings,
        need_key=need_key,
    ) as conn:
        found = conn.found_key
        if found.problem and conn.key is None and need_key:
            print(f"{PROG}: note: {found.problem}", file=sys.stderr)
        elif found.notice:
            print(f"{PROG}: note: {found.notice}", file=sys.stderr)

        async def run() -> None:
            async with conn.client() as client:
                reader_gone = False
                try:
                    await action((client, conn))
                except BrokenPipeError:
                    reader_gone = True
                if reader_gone:  # outside the handler, so the traceback's frames are gone
                    await _close_abandoned_streams()
                    raise BrokenPipeError

        asyncio.run(run())


async def _close_abandoned_streams() -> None:
    """Let the streams a failed write left behind close before the loop shuts down.

    Otherwise asyncio closes a stream and the retrier wrapping it at once, and the two
    race ("aclose(): asynchronous generator is already running"). Collected here, the
    outer generator is finalized alone and closes the inner one itself, while the client
    they read from is still open.
    """
    import gc

    gc.collect()
    for _ in range(2):  # the finalizer hook creates its task one loop turn later
        await asyncio.sleep(0)
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=5)


def cmd_ask(args: argparse.Namespace) -> None:
    from poe_tui.commands.account import out_of_points_line
    from poe_tui.commands.ask import AttachOptions, read_prompt, run_ask
    from poe_tui.config import DEMO_BOT
    from poe_tui.core.botnames import check_bot_name
    from poe_tui.core.errors import InsufficientPointsError
    from poe_tui.core.parameters import parse_assignments
    from poe_tui.core.transports.registry import Transport

    if args.bot is not None:  # before the prompt is read from a pipe
        check_bot_name(args.bot)
    params = parse_assignments(args.param)
    prompt = read_prompt(args)

    async def action(ctx: Any) -> None:
        client, conn = ctx
        bot = args.bot or (DEMO_BOT if conn.demo else conn.settings.default_bot)
        # Demo exchanges never reach the real history, like the app's demo chats.
        store = None if args.no_save or conn.demo else open_history_for_ask()
        try:
            await run_ask(
                client,
                bot,
                prompt,
                stream=not args.no_stream,
                transport=Transport(args.transport),
                params=params,
                show_thinking=args.show_thinking,
                store=store,
                attach=AttachOptions(
                    args.attach, conn.upload_url, conn.max_attachment_bytes, args.attach_anyway
                ),
            )
        except InsufficientPointsError as error:  # say the balance too (issue 7)
            raise CommandError(await out_of_points_line(client, error)) from None
        finally:
            if store is not None:
                store.close()

    _with_client(args, action)


def open_history_for_ask() -> Any:
    """The history store, or None with a warning: a broken history must not stop `ask`."""
    from poe_tui.commands.history import open_for_command

    try:
        return open_for_command()
    except CommandError as error:
        print(f"{PROG}: warning: {error} This reply will not be saved.", file=sys.stderr)
        return None


def cmd_models(args: argparse.Namespace) -> None:
    from poe_tui.commands.models import models_json, models_table, select_models

    async def action(ctx: Any) -> None:
        client, _conn = ctx
        catalogue = await client.list_models()
        if notice := catalogue.skipped_notice():
            print(f"{PROG}: warning: {notice}", file=sys.stderr)
        models, query = select_models(catalogue, args)
        if args.json:
            print(models_json(models))
        elif not models:
            raise CommandError(f"No model matches {query}.")
        else:
            print(models_table(models))

    _with_client(args, action, need_key=False)


def cmd_balance(args: argparse.Namespace) -> None:
    from poe_tui.commands.account import balance_text

    async def action(ctx: Any) -> None:
        client, _conn = ctx
        print(balance_text(await client.get_balance()))

    _with_client(args, action)


def cmd_usage(args: argparse.Namespace) -> None:
    from datetime import datetime

    from poe_tui.commands.account import usage_json, usage_summary, usage_table
    from poe_tui.core.accounting import history_since, since_days

    summary = args.by is not None
    days = args.days or (USAGE_SUMMARY_DAYS if summary else None)
    limit = args.limit or (USAGE_SUMMARY_MAX_ENTRIES if summary else 20)
    now = datetime.now().astimezone()
    since = since_days(now, days) if days else None

    async def action(ctx: Any) -> None:
        client, _conn = ctx
        entries = await history_since(
            client,
            int(since.timestamp() * 1_000_000) if since else None,
            max_entries=limit,
            starting_after=args.starting_after,
        )
        if summary:
            print(usage_summary(entries, args.by, days=days, as_json=args.json, zone=now.tzinfo))
        else:
            print(usage_json(entries) if args.json else usage_table(entries))

    _with_client(args, action)


def cmd_key(args: argparse.Namespace) -> None:
    from poe_tui.commands import key as key_cmd

    if args.key_action == "status":
        print(key_cmd.key_status_text())
        return
    if args.key_action == "delete":
        print(key_cmd.remove_key())
        return
    new_key = key_cmd.prompt_for_key()
    if not args.no_verify:

        async def action(ctx: Any) -> None:
            from poe_tui.core.client import PoeClient

            _client, conn = ctx
            async with PoeClient(new_key, base_url=conn.base_url) as client:
                points = await key_cmd.verify_key(client)
            print(f"Key accepted ({points:,} points).")

        _with_client(args, action, need_key=False)
    key_cmd.save_key(new_key)
    print("Stored the key in the OS keyring.")


def _history_store(args: argparse.Namespace) -> Any:
    """The real history, or with `--demo` an empty one in memory: demo runs never read
    or write the real data dir, as in the app."""
    from poe_tui.commands.history import open_for_command
    from poe_tui.store import SqliteStore

    if getattr(args, "demo", False):
        return SqliteStore.in_memory()
    return open_for_command()


def cmd_history(args: argparse.Namespace) -> None:
    from poe_tui.commands.history import history_table

    with _history_store(args) as store:
        print(history_table(store, args.search, include_archived=args.all))


def cmd_export(args: argparse.Namespace) -> None:
    from pathlib import Path

    from poe_tui.commands.history import export_conversation
    from poe_tui.commands.output import safe
    from poe_tui.store.export_file import ExportTargetError, write_export

    with _history_store(args) as store:
        text = export_conversation(store, args.id, args.format)
    if args.output and args.output != "-":
        try:
            write_export(Path(args.output).expanduser(), text, force=args.force)
        except ExportTargetError as error:
            raise CommandError(str(error)) from None
        print(f"Wrote {args.output}.")
    else:
        sys.stdout.write(safe(text))


def cmd_import(args: argparse.Namespace) -> None:
    from pathlib import Path

    from poe_tui.commands.history import import_conversation

    with _history_store(args) as store:
        print(import_conversation(store, Path(args.file)))
    if getattr(args, "demo", False):
        print("Demo mode: checked only, nothing was kept.")


def cmd_app(args: argparse.Namespace) -> None:
    from poe_tui.ui.launch import run_app

    status = run_app(
        demo=getattr(args, "demo", False),
        base_url=getattr(args, "base_url", None),
        resume=getattr(args, "resume", None),
    )
    if status:  # a crash: the report is on the screen already; scripts see the failure
        raise CommandError("the app stopped on an unexpected error (see the report above).", 70)


HANDLERS: dict[str | None, Callable[[argparse.Namespace], None]] = {
    None: cmd_app,
    "ask": cmd_ask,
    "models": cmd_models,
    "balance": cmd_balance,
    "usage": cmd_usage,
    "key": cmd_key,
    "history": cmd_history,
    "export": cmd_export,
    "import": cmd_import,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        HANDLERS[args.command](args)
    except CommandError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_broken_pipe()
        return BROKEN_PIPE_STATUS
    except Exception as exc:
        return _report_unexpected(exc)
    return 0


def _report_unexpected(exc: Exception) -> int:
    from poe_tui.config import ConfigError
    from poe_tui.core.errors import PoeError
    from poe_tui.secrets import BadKeyText, KeyringUnavailable

    if isinstance(exc, PoeError):
        print(f"{PROG}: {exc.one_line()}", file=sys.stderr)
        return 1
    if isinstance(exc, ConfigError | KeyringUnavailable | BadKeyText):
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    # A bug: still one line, no traceback (it could hold request headers).
    print(f"{PROG}: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 70


def _silence_broken_pipe() -> None:
    import os

    # The reader went away (e.g. `| head`); point stdout at devnull so the
    # interpreter's final flush does not print a second error.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
