"""A block of a reply's text, and the virtual size that spares a streaming reply a layout.

Textual lays the whole screen out again whenever a widget's virtual size changes, even
though the layout pass that changed it has just placed and painted everything. A growing
reply changes the virtual size of its live block, its `MessageView` and the conversation
on every flush: each flush cost two full layouts and paints instead of one, and each
frame repainted those widgets once more (profiled, benchmarks/README.md). These
widgets' virtual sizes only ever come out of layout, so the change needs nothing more;
scrollbars are updated by the layout pass itself, and ones that come or go still ask
for their own layout.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Static


def virtual_size_from_layout() -> Reactive[Size]:
    """`Widget.virtual_size`, changed without asking for another layout or a repaint."""
    return Reactive(Size(0, 0), layout=False, repaint=False)


class ReplyText(Static):
    """A `Static` in a reply (prose, a code block, the live tail)."""

    virtual_size = virtual_size_from_layout()
