"""PoeApp: the Textual application, built with everything injected.

Tests build it directly against a local FakePoeServer; `launch.run_app` builds it for
real. The app owns the one `PoeClient` (created on mount, closed on exit), the
settings, the store and the model list; the `ChatScreen` does the chatting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from poe_tui.config import Settings, remember
from poe_tui.core.apikey import ApiKey
from poe_tui.core.models import ModelInfo
from poe_tui.core.retry import RetryPolicy
from poe_tui.core.text import strip_terminal_controls
from poe_tui.core.transports.registry import all_specs
from poe_tui.store import SqliteStore
from poe_tui.ui.opener import system_open
from poe_tui.ui.screens.chat import ChatScreen

if TYPE_CHECKING:
    from poe_tui.core.client import PoeClient


def default_upload_url(base_url: str, settings: Settings, demo: bool) -> str:
    """The local server's endpoint in demo mode, else the setting (POE_UPLOAD_URL wins)."""
    from poe_tui.core.uploads import local_upload_url, resolve_upload_url

    return local_upload_url(base_url) if demo else resolve_upload_url(settings.upload_url)


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    title: str
    help: str
    action: str  # run in the chat screen's namespace ("app." for app actions)
    binding_id: str | None = None


PALETTE_COMMANDS: tuple[PaletteCommand, ...] = (
    PaletteCommand("New conversation", "Start a new chat", "new_conversation", "new_conversation"),
    PaletteCommand(
        "Pick model", "Choose the bot for this conversation", "pick_model", "pick_model"
    ),
    *(
        PaletteCommand(
            f"Transport: {spec.label}",
            f"Send this conversation over {spec.summary}",
            f"set_transport({spec.transport.value!r})",
        )
        for spec in all_specs()
    ),
    # --- attachments (issue 5) ---
    PaletteCommand(
        "Attach file",
        "Pick a file to send with the next prompt (or type /attach PATH)",
        "attach_file",
        "attach_file",
    ),
    PaletteCommand(
        "Remove attachments", "Take every waiting file off the next prompt", "clear_attachments"
    ),
    # ---
    PaletteCommand(
        "Search conversations",
        "Full-text search across every message",
        "search_history",
        "search_history",
    ),
    PaletteCommand(
        "Rename conversation",
        "Give the open conversation a new title",
        "manage_current('rename')",
        "rename_conversation",
    ),
    PaletteCommand(
        "Archive conversation",
        "Hide the open conversation from the list (kept, and searchable)",
        "manage_current('archive')",
        "archive_conversation",
    ),
    PaletteCommand(
        "Unarchive conversation",
        "Put the open conversation back in the list",
        "manage_current('unarchive')",
        "archive_conversation",
    ),
    PaletteCommand(
        "Delete conversation",
        "Delete the open conversation for good (asks first)",
        "manage_current('delete')",
        "delete_conversation",
    ),
    PaletteCommand(
        "Show archived conversations",
        "Switch the list between active and archived conversations",
        "toggle_archived",
        "show_archived",
    ),
    PaletteCommand(
        "Export conversation as Markdown",
        "Write the open conversation to a .md file, with front matter",
        "export_conversation('md')",
        "export_markdown",
    ),
    PaletteCommand(
        "Export conversation as JSON",
        "Write the open conversation to a .json file that poe-tui can import",
        "export_conversation('json')",
        "export_json",
    ),
    PaletteCommand(
        "Import conversation",
        "Add a conversation from a poe-tui JSON export",
        "import_conversation",
        "import_conversation",
    ),
    PaletteCommand(
        "Edit last prompt",
        "Change your last prompt and send it again (the old version is kept)",
        "edit_last_prompt",
        "edit_message",
    ),
    PaletteCommand(
        "Regenerate reply",
        "Ask the same bot again (the old reply is kept as a version)",
        "regenerate_last(False)",
        "regenerate_reply",
    ),
    PaletteCommand(
        "Regenerate reply with another bot",
        "Pick a bot and ask it instead (the old reply is kept as a version)",
        "regenerate_last(True)",
        "regenerate_with_bot",
    ),
    PaletteCommand(
        "Regenerate reply with several bots",
        "Pick bots; each streams a new version of the last reply at once (←/→ switch)",
        "regenerate_last_with_several",
        "regenerate_with_bots",
    ),
    PaletteCommand(
        "Continue reply",
        "Let the bot carry on a reply that was stopped or cut off",
        "continue_last",
        "continue_reply",
    ),
    PaletteCommand(
        "Toggle sidebar", "Show or hide the balance sidebar", "toggle_sidebar", "toggle_sidebar"
    ),
    PaletteCommand(
        "Toggle conversation list",
        "Show or hide the conversations",
        "toggle_conversations",
        "toggle_conversations",
    ),
    PaletteCommand(
        "Pricing browser",
        "Every model's prices in a sortable, filterable table; Enter starts a chat",
        "pricing_browser",
        "pricing_browser",
    ),
    PaletteCommand(
        "Refresh balance",
        "Fetch the points balance and history again",
        "refresh_balance",
        "refresh_balance",
    ),
    PaletteCommand(
        "Cancel reply", "Stop the reply that is streaming", "cancel_reply", "cancel_reply"
    ),
    PaletteCommand(
        "Stop all replies",
        "Stop every reply streaming, in every conversation (what arrived is kept)",
        "stop_all_replies",
    ),
    PaletteCommand("Retry reply", "Ask for the last reply again", "retry", "retry_reply"),
    PaletteCommand(
        "Copy last code block", "Copy code from the focused or last reply", "copy_code", "copy_code"
    ),
    PaletteCommand(
        "Show keys", "Show the keys of the focused area", "app.toggle_keys", "show_keys"
    ),
    PaletteCommand("Quit", "Leave poe-tui", "app.quit", "quit"),
)


class ChatCommands(Provider):
    """Every chat action in the command palette, with its current key."""

    def _commands(self) -> list[tuple[str, PaletteCommand]]:
        app = self.app
        assert isinstance(app, PoeApp)
        labelled = []
        for command in PALETTE_COMMANDS:
            key = app.key_for(command.binding_id) if command.binding_id else ""
            labelled.append((f"{command.title} ({key})" if key else command.title, command))
        return labelled

    async def discover(self) -> Hits:
        for label, command in self._commands():
            yield DiscoveryHit(label, self._runner(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, command in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), self._runner(command), help=command.help)

    def _runner(self, command: PaletteCommand) -> Callable[[], Any]:
        app = self.app

        async def run() -> None:
            await app.run_action(command.action, app.chat_screen)  # type: ignore[attr-defined]

        return run


AFTER_FIRST_FRAME_SECONDS = 0.1

# Where the remappable bindings live ("module:class"), the chat screen's own first.
REMAPPABLE_CLASSES = (
    "poe_tui.ui.app:PoeApp",
    "poe_tui.ui.screens.chat:ChatScreen",
    "poe_tui.ui.widgets.prompt_input:PromptInput",
    "poe_tui.ui.widgets.conversation_list:ConversationList",
    "poe_tui.ui.widgets.message_view:MessageView",
    "poe_tui.ui.widgets.balance_sidebar:BalanceSidebar",
    "poe_tui.ui.widgets.attachment_panel:AttachmentChip",
    "poe_tui.ui.widgets.message_files:FileRow",
    "poe_tui.ui.screens.file_picker:FilePickerScreen",
    "poe_tui.ui.screens.save_file:SaveFileScreen",
    "poe_tui.ui.screens.confirm_files:ConfirmFilesScreen",
    "poe_tui.ui.screens.pricing_browser:PricingBrowserScreen",
    "poe_tui.ui.screens.confirm_send:ConfirmSendScreen",
    "poe_tui.ui.screens.model_picker:ModelPickerScreen",
    "poe_tui.ui.screens.several_bots:SeveralBotsScreen",
    "poe_tui.ui.screens.confirm:ConfirmScreen",
    "poe_tui.ui.screens.text_prompt:TextPromptScreen",
)


class PoeApp(App[None]):
    TITLE = "poe-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ChatCommands}
    # A mode (not get_default_screen) so Textual loads the screen's CSS_PATH.
    MODES: ClassVar[dict[str, Any]] = {"chat": ChatScreen}
    DEFAULT_MODE = "chat"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
        Binding(
            "ctrl+p", "command_palette", "Palette", show=False, priority=True, id="command_palette"
        ),
        Binding("f1", "toggle_keys", "Keys", id="show_keys"),
    ]

    def __init__(
        self,
        *,
        base_url: str,
        api_key: ApiKey | None,
        settings: Settings,
        demo: bool = False,
        store: SqliteStore | None = None,
        config_path: Path | None = None,
        keyring_problem: str | None = None,
        config_problem: str | None = None,
        store_problem: str | None = None,
        clock: Callable[[], float] = time.time,
        resume: str | None = None,
        upload_url: str | None = None,
        opener: Callable[[str], None] | None = None,
        after_first_frame: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self.api_key = api_key
        self.settings = settings
        self.demo = demo
        # Without a file the history lives in memory for this run (demo mode, tests).
        self.store = store if store is not None else SqliteStore.in_memory()
        self.config_path = config_path
        self.keyring_problem = keyring_problem
        self.config_problem = config_problem
        self.store_problem = store_problem
        self.clock = clock
        self.resume = resume  # a conversation id prefix, or "latest", to open at start
        # Attachments: where native uploads go, and how files are opened (tests pass
        # a recorder; the real one starts the system viewer).
        self._upload_url = upload_url
        self.opener: Callable[[str], None] = opener or system_open
        self.models: list[ModelInfo] | None = None
        self._client: PoeClient | None = None
        # Started once the first frame is out (the demo's local server, see launch.py).
        self._after_first_frame = after_first_frame
        # Set once the start-up fetches (models, balance) are under way: tests wait on
        # it before waiting for the workers, since they start a refresh after on_ready.
        self.fetches_started = asyncio.Event()

    # --- lifetime ---------------------------------------------------------------------

    @property
    def client(self) -> PoeClient:
        """The one HTTP client, made on first use: its TLS context costs 40 ms that the
        first frame need not wait for (profiled); closed when the app ends. httpx
        itself (~45 ms to import) is loaded here too, for the same reason."""
        if self._client is None:
            from poe_tui.core.client import PoeClient, Timeouts
            from poe_tui.runtime import request_limiter_for

            if not self.is_running:
                raise RuntimeError("The client exists only while the app runs.")
            settings = self.settings
            timeouts = Timeouts(connect=settings.connect_timeout, read=settings.read_timeout)
            retry = RetryPolicy.for_app(
                demo=self.demo, retries=settings.retries, max_wait=settings.retry_max_wait
            )
            self._client = PoeClient(
                self.api_key,
                base_url=self.base_url,
                timeouts=timeouts,
                retry=retry,
                limiter=None if self.demo else request_limiter_for(self.api_key, self.base_url),
            )
        return self._client

    @property
    def upload_url(self) -> str:
        """Where native uploads go: worked out on first use, as the uploads module
        brings httpx with it (kept off the way to the first frame)."""
        if self._upload_url is None:
            self._upload_url = default_upload_url(self.base_url, self.settings, self.demo)
        return self._upload_url

    @property
    def chat_screen(self) -> ChatScreen:
        """The chat screen, at the bottom of the screen stack for the app's lifetime."""
        screen = self.screen_stack[0]
        assert isinstance(screen, ChatScreen)
        return screen

    def on_mount(self) -> None:
        self._apply_theme()
        self._apply_keymap()
        if self.config_problem:
            self.notify(
                f"{self.config_problem} Using default settings.",
                title="Config file",
                severity="error",
                timeout=15,
                markup=False,
            )
        if self.store_problem:
            self.notify(
                self.store_problem,
                title="Conversation history",
                severity="error",
                timeout=20,
                markup=False,
            )
        if self.api_key is None:
            self._ask_for_key()

    def on_ready(self) -> None:
        # After the first frame: nothing slow on the way to first paint (DESIGN §4).
        if self._after_first_frame is not None:
            # A moment later still: the footer's keys fill in a refresh or two after
            # on_ready, and the server's start-up (imports, a thread) held them back.
            self.set_timer(AFTER_FIRST_FRAME_SECONDS, self._after_first_frame)
        # The fetches too: making the client and sending the requests held the first
        # complete frame (the footer's keys) back by ~100 ms (profiled).
        self.call_after_refresh(self._start_fetches)

    def _start_fetches(self) -> None:
        self.chat_screen.load_models()
        if self.api_key is not None:
            self.chat_screen.refresh_account()
        self.fetches_started.set()

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Textual's notification, without terminal control characters.

        Notifications quote text from outside (file names, conversation titles, server
        errors), and Textual hands control characters to the terminal as they are.
        Every `notify` of a widget or screen comes through here.
        """
        super().notify(
            strip_terminal_controls(message),
            title=strip_terminal_controls(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def _fatal_error(self) -> None:
        """Textual's crash report, minus the local variables of each frame.

        Textual (8.2, `App._fatal_error`) prints every frame's locals, and a local may
        hold the raw key: a header being built, a key being typed. `ApiKey` hides
        itself, a plain string cannot. The report goes to the terminal, and from there
        into bug reports; the code and the error are enough to debug with.
        """
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def _ask_for_key(self) -> None:
        from poe_tui.ui.screens.key_setup import KeySetupScreen

        screen = KeySetupScreen(self.base_url, keyring_problem=self.keyring_problem)
        self.push_screen(screen, callback=self._key_chosen)

    def _key_chosen(self, key: ApiKey | None) -> None:
        if key is None:
            self.notify(
                "No API key: replies will fail until you add one "
                "(run `poe-tui key set` or set POE_API_KEY). `poe-tui --demo` needs none.",
                title="No key",
                severity="warning",
                timeout=10,
                markup=False,
            )
            return
        self.api_key = key
        self.client.api_key = key
        self.chat_screen.refresh_account()

    # --- settings, theme, keys ----------------------------------------------------------

    def save_settings(self, **changes: Any) -> None:
        """Apply changes now and remember them in state.toml beside the config file
        (when there is one); the user's config.toml is never rewritten."""
        self.settings = replace(self.settings, **changes)
        if self.demo:
            # Demo bots do not exist on the real Poe; keep them out of what is remembered.
            changes.pop("default_bot", None)
        if self.config_path is None or not changes:
            return
        try:
            remember(self.config_path, **changes)
        except OSError as error:
            self.notify(f"Could not save settings: {error}", severity="warning", markup=False)

    def _apply_theme(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            self.notify(
                f"Unknown theme {self.settings.theme!r}; using {self.theme!r}.",
                title="Config file",
                severity="warning",
                markup=False,
            )
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name != self.settings.theme:
            self.save_settings(theme=theme.name)

    def _apply_keymap(self) -> None:
        keymap = dict(self.settings.keybindings)
        if not keymap:
            return  # checking ids would import every screen before the first frame
        unknown = sorted(set(keymap) - self.binding_ids())
        if unknown:
            self.notify(
                f"Unknown key binding ids in the config: {', '.join(unknown)}.",
                title="Config file",
                severity="warning",
                markup=False,
            )
        self.set_keymap(keymap)

    @staticmethod
    def remappable_bindings() -> Iterable[Binding]:
        """Every binding with an id that users may remap in the config's [keybindings].

        The classes are imported as the walk reaches them, the chat's own first, so
        `key_for` on the way to the first frame does not import every screen.
        """
        for where in REMAPPABLE_CLASSES:
            module, name = where.split(":")
            cls = PoeApp if name == "PoeApp" else getattr(import_module(module), name)
            for binding in cls.BINDINGS:
                if isinstance(binding, Binding) and binding.id:
                    yield binding

    def binding_ids(self) -> set[str]:
        return {binding.id for binding in self.remappable_bindings() if binding.id}

    def key_for(self, binding_id: str) -> str:
        """The key bound to `binding_id` now (after the keymap), as shown to people."""
        keys = self.settings.keybindings.get(binding_id)
        if keys is None:
            # The first binding with the id: the walk stops there instead of importing
            # every screen (the chat's own keys come first, and the pricing browser's
            # DataTable was on the way to the first frame).
            keys = next((b.key for b in self.remappable_bindings() if b.id == binding_id), None)
        if not keys:
            return ""
        return self.get_key_display(Binding(keys.split(",")[0].strip(), ""))

    def action_toggle_keys(self) -> None:
        # By name: importing HelpPanel brings Textual's Markdown and markdown-it (~30 ms)
        # onto the way to the first frame.
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Quit and Keys come from ChatCommands, with their keys shown.
        for command in super().get_system_commands(screen):
            if command.title not in ("Quit", "Keys"):
                yield command

    # --- models -------------------------------------------------------------------------

    def model_info(self, bot: str) -> ModelInfo | None:
        for model in self.models or ():
            if model.id.casefold() == bot.casefold():
                return model
        return None

    def display_name(self, bot: str) -> str:
        model = self.model_info(bot)
        return model.display_name if model else bot
