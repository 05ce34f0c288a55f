"""The turn: one headless runner that every front end uses (DESIGN.md section 3).

- `reducer`: the one place stream events become changes to a reply;
- `sink`: how the runner hands those changes to the history (the store implements it);
- `turn`: what a turn sends, worked out once from the conversation;
- `runner`: uploads, the stream, saving before showing, and the end of the turn.
"""

from poe_tui.core.chat.reducer import ReplyDelta, apply_delta, mark_failed, reduce_events
from poe_tui.core.chat.runner import TurnObserver, TurnRunner
from poe_tui.core.chat.sink import NullSink, TurnSink
from poe_tui.core.chat.turn import Turn

__all__ = [
    "NullSink",
    "ReplyDelta",
    "Turn",
    "TurnObserver",
    "TurnRunner",
    "TurnSink",
    "apply_delta",
    "mark_failed",
    "reduce_events",
]
