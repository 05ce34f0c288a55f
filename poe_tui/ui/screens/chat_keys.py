"""The chat screen's keys. Each has an id, so users can remap it in the config
(`[keys]`), and the README's key table is checked against these."""

from __future__ import annotations

from textual.binding import Binding, BindingType

# Terminals send Alt+1 as Esc 1, which Textual reads as "¡" (macOS Option+1): each
# suggestion binding also takes that character's key name.
ALT_DIGIT_KEYS = {1: "inverted_exclamation_mark", 2: "trade_mark_sign", 3: "pound_sign"}

CHAT_BINDINGS: list[BindingType] = [
    Binding("ctrl+n", "new_conversation", "New chat", id="new_conversation"),
    Binding("f2,ctrl+o", "pick_model", "Model", id="pick_model"),
    Binding("escape", "cancel_reply", "Stop reply", id="cancel_reply"),
    Binding("ctrl+r", "retry", "Retry", id="retry_reply"),
    # Priority: the prompt (a TextArea) would take ctrl+y as "redo" otherwise.
    Binding("ctrl+y", "copy_code", "Copy code", show=False, priority=True, id="copy_code"),
    Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="toggle_sidebar"),
    Binding("f3", "toggle_conversations", "Chats", show=False, id="toggle_conversations"),
    Binding("f5", "refresh_balance", "Balance", show=False, id="refresh_balance"),
    Binding("ctrl+f", "search_history", "Search chats", show=False, id="search_history"),
    Binding("f8", "export_conversation('md')", "Export", show=False, id="export_markdown"),
    Binding("shift+f8", "export_conversation('json')", "Export JSON", show=False, id="export_json"),
    Binding("f9", "import_conversation", "Import", show=False, id="import_conversation"),
    Binding("ctrl+t", "attach_file", "Attach", show=False, id="attach_file"),
    Binding("f4", "pricing_browser", "Prices", id="pricing_browser"),
    # Priority: the prompt would otherwise see alt+digit first. Only live while
    # the prompt is empty and the latest reply has chips (see check_action).
    # Terminals send Alt+1 as Esc 1, which Textual reads as "¡" (macOS Option+1), so
    # each binding also takes that character's key name.
    *(
        Binding(
            f"alt+{n},{ALT_DIGIT_KEYS[n]}",
            f"suggestion({n})",
            f"Suggestion {n}",
            show=False,
            priority=True,
            id=f"suggestion_{n}",
        )
        for n in (1, 2, 3)
    ),
]
