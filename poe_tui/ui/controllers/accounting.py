"""Points: the balance, the month's history, what each reply cost, and the send guards.

A plain class the chat screen composes. It asks the client, settles replies against the
points history and decides which guards warn; the screen shows what it reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from poe_tui.core.accounting import (
    CostTracker,
    ObservedCost,
    PointsLedger,
    observed_costs,
    observed_for,
)
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.errors import InsufficientPointsError, PoeError
from poe_tui.core.guards import GuardLimits, SendWarning, out_of_points_note, send_warnings
from poe_tui.core.models import ModelInfo
from poe_tui.core.usage import Balance

if TYPE_CHECKING:
    from poe_tui.core.client import PoeClient


@dataclass(slots=True)
class AccountUpdate:
    """What one refresh found, for the screen to show."""

    now: datetime
    balance: Balance | None = None
    balance_error: PoeError | None = None
    history_error: PoeError | None = None
    history_loaded: bool = False
    priced: list[Message] = field(default_factory=list)  # replies whose points are known now
    explained: list[Message] = field(default_factory=list)  # out-of-points errors with the balance
    still_waiting: bool = False  # some replies' bills are not in the history yet


class AccountingController:
    def __init__(self, names_for: Callable[[str], set[str]], clock: Callable[[], float]) -> None:
        self.ledger = PointsLedger()
        self.costs = CostTracker(names_for=names_for)
        self.clock = clock
        self.last_balance: int | None = None
        self._out_of_points: list[tuple[Message, str]] = []
        self._waived: set[tuple[str, str]] = set()  # (conversation id, bot) asked "always"
        self._owners: dict[str, Conversation] = {}  # reply id -> its conversation

    # --- refreshing -------------------------------------------------------------------

    async def refresh(self, client: PoeClient) -> AccountUpdate:
        now = datetime.fromtimestamp(self.clock(), tz=UTC).astimezone()
        update = AccountUpdate(now)
        try:
            update.balance = await client.get_balance()
        except PoeError as error:
            update.balance_error = error
            return update
        points = update.balance.current_point_balance
        update.explained = self._explain_out_of_points(points)
        try:
            await self.ledger.refresh(client, int(now.timestamp() * 1_000_000))
        except PoeError as error:
            update.history_error = error
        update.history_loaded = self.ledger.loaded
        drop = None if self.last_balance is None else self.last_balance - points
        self.last_balance = points
        settled = self.costs.settle(
            self.ledger.entries, balance_drop=drop, clock_offset_us=client.server_clock.offset_us
        )
        update.priced = [reply for reply in settled if reply.points is not None]
        update.still_waiting = bool(self.costs.waiting)
        return update

    def observed(self) -> dict[str, ObservedCost] | None:
        """What each bot cost lately, once the history is loaded."""
        return observed_costs(self.ledger.entries) if self.ledger.loaded else None

    # --- replies ------------------------------------------------------------------------

    def reply_ended(
        self,
        conversation: Conversation,
        reply: Message,
        failure: PoeError | None,
        model: ModelInfo | None,
    ) -> bool:
        """Wait for the reply's bill in the history (free bots send none); True when its
        error text changed (out of points: what to do, before the balance is known)."""
        self._owners[reply.id] = conversation
        explained = False
        if isinstance(failure, InsufficientPointsError):
            self._out_of_points.append((reply, failure.message))
            reply.error_message = f"{failure.message}\n{out_of_points_note(None, failure.message)}"
            explained = True
        free = model is not None and model.pricing is not None and model.pricing.is_free
        if reply.text.strip() and not free:
            self.costs.expect(reply)
        return explained

    def retried(self, reply: Message) -> None:
        self.costs.forget(reply)

    def owner_of(self, reply: Message) -> Conversation | None:
        return self._owners.get(reply.id)

    def _explain_out_of_points(self, balance: int) -> list[Message]:
        waiting, self._out_of_points = self._out_of_points, []
        explained = []
        for reply, message in waiting:
            if reply.status is MessageStatus.FAILED:
                reply.error_message = f"{message}\n{out_of_points_note(balance, message)}"
                explained.append(reply)
        return explained

    # --- guards -------------------------------------------------------------------------

    def warnings(
        self, conversation_id: str, bot: str, model: ModelInfo | None, limits: GuardLimits
    ) -> list[SendWarning]:
        """What to ask before `bot` answers in this conversation (nothing once waived)."""
        if (conversation_id, bot.casefold()) in self._waived:
            return []
        observed = observed_for(model, observed_costs(self.ledger.entries)) if model else None
        return send_warnings(model, self.last_balance, limits, observed)

    def waive(self, conversation_id: str, bot: str) -> None:
        self._waived.add((conversation_id, bot.casefold()))
