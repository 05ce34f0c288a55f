"""Everything the fake server remembers: balance, points history and a request log.

The server runs on its own thread while tests read this from theirs, so every mutation
and every read of the shared lists goes through one lock.
"""

from __future__ import annotations

import random
import string
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from poe_tui.fakepoe.billing import Cost, reply_cost, usd_string
from poe_tui.fakepoe.catalogue import Model, find_model
from poe_tui.fakepoe.fault_plan import FaultPlan

DEFAULT_BALANCE = 250_000
SEED_HISTORY_ENTRIES = 40
SEED_HISTORY_DAYS = 30
_US_PER_DAY = 86_400 * 1_000_000
_QUERY_ID_ALPHABET = string.ascii_lowercase + string.digits


def now_us() -> int:
    return time.time_ns() // 1000


def new_query_id(rng: random.Random | None = None) -> str:
    """An id shaped like Poe's (e.g. `ltol8bhnkya9ak3twt`): 18 lowercase alphanumerics."""
    pick = (rng or random.SystemRandom()).choice
    return pick(string.ascii_lowercase) + "".join(pick(_QUERY_ID_ALPHABET) for _ in range(17))


@dataclass
class RecordedRequest:
    """One request as the server saw it, for tests to inspect."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None when absent or not JSON
    # Top-level keys the OpenAI route does not know (custom bot parameters / extra_body).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredUpload:
    """A file sent to the upload endpoint, served back at its attachment URL."""

    id: str
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class HistoryEntry:
    """One row of `/usage/points_history` (§6.2)."""

    creation_time: int  # microseconds since the epoch
    bot_name: str
    query_id: str
    cost_points: int
    cost_breakdown_in_points: dict[str, str]
    usage_type: str = "API"
    chat_name: str | None = None

    @property
    def cost_usd(self) -> str:
        return usd_string(self.cost_points)

    def to_json(self) -> dict[str, Any]:
        return {
            "creation_time": self.creation_time,
            "bot_name": self.bot_name,
            "query_id": self.query_id,
            "usage_type": self.usage_type,
            "cost_points": self.cost_points,
            "cost_usd": self.cost_usd,
            "cost_breakdown_in_points": dict(self.cost_breakdown_in_points),
            "chat_name": self.chat_name,
        }


class FakePoeState:
    """Mutable server state: balance, history (newest first), request log and counters."""

    def __init__(self, balance: int = DEFAULT_BALANCE, *, seed_history: bool = True) -> None:
        self._lock = threading.Lock()
        self.balance = balance
        self.history: list[HistoryEntry] = seeded_history() if seed_history else []
        self.requests: list[RecordedRequest] = []
        self.counters: Counter[str] = Counter()
        self.fault_counters: Counter[str] = Counter()  # requests met, by fault plan id
        self.uploads: dict[str, StoredUpload] = {}
        # How far this server's clock runs ahead of the machine's (negative: behind), to
        # test clients against a Poe whose clock disagrees with theirs. It moves the
        # stamps of new history rows and the `Date` header alike.
        self.clock_skew_us = 0
        # Fault plans armed for the next chat requests, one entry a request, oldest first.
        self._armed_faults: list[FaultPlan] = []

    def now_us(self) -> int:
        """The server's clock, in microseconds since the epoch."""
        return now_us() + self.clock_skew_us

    def record(self, request: RecordedRequest) -> RecordedRequest:
        with self._lock:
            self.requests.append(request)
            self.counters[request.path] += 1
        return request

    def arm_fault(self, plan: FaultPlan) -> None:
        """Break the next chat requests with `plan`: `plan.times` of them, or one."""
        with self._lock:
            self._armed_faults.extend([plan] * (1 if plan.times is None else plan.times))

    def take_armed_fault(self) -> FaultPlan | None:
        """The plan armed for this chat request, if any; it is used up (and counted)."""
        with self._lock:
            plan = self._armed_faults.pop(0) if self._armed_faults else None
        if plan is not None and plan.id:
            self.count_fault_attempt(plan.id)
        return plan

    def disarm_faults(self) -> None:
        with self._lock:
            self._armed_faults.clear()

    def meets_fault(self, plan: FaultPlan) -> bool:
        """Count one more request sent with `plan`; False once its `times` are used up."""
        if not plan.id:
            return True
        attempt = self.count_fault_attempt(plan.id)
        return plan.times is None or attempt <= plan.times

    def count(self, path: str) -> int:
        """How many requests reached `path` (e.g. "/v1/chat/completions")."""
        with self._lock:
            return self.counters[path]

    def count_fault_attempt(self, fault_id: str) -> int:
        """One more request carrying `fault_id`; returns how many did so far."""
        with self._lock:
            self.fault_counters[fault_id] += 1
            return self.fault_counters[fault_id]

    def fault_attempts(self, fault_id: str) -> int:
        """How many requests met the fault plan with this id (see fakepoe.fault_plan)."""
        with self._lock:
            return self.fault_counters[fault_id]

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def charge(self, model: Model, cost: Cost) -> HistoryEntry | None:
        """Bill one successful reply: lower the balance and log it at the top of history."""
        if cost.total_points == 0:
            return None  # free models leave no trace, like an unbilled call
        entry = HistoryEntry(
            self.now_us(), model.display_name, new_query_id(), cost.total_points, cost.breakdown()
        )
        with self._lock:
            self.balance = max(0, self.balance - cost.total_points)
            self.history.insert(0, entry)
        return entry

    def history_page(
        self, limit: int, starting_after: str | None
    ) -> tuple[list[HistoryEntry], bool]:
        """One page, newest first, after the entry `starting_after`; KeyError if unknown."""
        with self._lock:
            start = 0
            if starting_after is not None:
                ids = [e.query_id for e in self.history]
                if starting_after not in ids:
                    raise KeyError(starting_after)
                start = ids.index(starting_after) + 1
            page = self.history[start : start + limit]
            return page, start + limit < len(self.history)

    def add_upload(self, name: str, content_type: str, data: bytes) -> StoredUpload:
        upload = StoredUpload(new_query_id(), name, content_type, data)
        with self._lock:
            self.uploads[upload.id] = upload
        return upload

    def upload(self, upload_id: str) -> StoredUpload | None:
        with self._lock:
            return self.uploads.get(upload_id)

    def snapshot_balance(self) -> int:
        with self._lock:
            return self.balance


# Bots the seeded history pretends were used: a realistic mix of owners and prices.
SEED_BOTS = (
    "gpt-5",
    "claude-sonnet-4.5",
    "gemini-2.5-flash",
    "gpt-4o-mini",
    "grok-4",
    "deepseek-r1",
    "claude-haiku-4.5",
    "llama-3.3-70b",
)


def _seed_models() -> list[Model]:
    return [m for m in (find_model(name) for name in SEED_BOTS) if m is not None]


def seeded_history(
    count: int = SEED_HISTORY_ENTRIES,
    *,
    clock: Callable[[], int] = now_us,
    seed: int = 20_250_101,
) -> list[HistoryEntry]:
    """Plausible past usage over the last 30 days so charts have data from the start.

    Deterministic apart from the clock, so tests and screenshots see the same rows.
    """
    rng = random.Random(seed)
    models = _seed_models()
    now = clock()
    times = sorted(
        (now - rng.randrange(SEED_HISTORY_DAYS * _US_PER_DAY) for _ in range(count)), reverse=True
    )
    entries = []
    for when in times:
        model = rng.choice(models)
        cost = reply_cost(model, rng.randrange(40, 6000), rng.randrange(80, 2500))
        entries.append(
            HistoryEntry(
                when, model.display_name, new_query_id(rng), cost.total_points, cost.breakdown()
            )
        )
    refund_at = count // 3
    refunded = entries[refund_at + 1]
    entries[refund_at] = HistoryEntry(
        entries[refund_at].creation_time,
        refunded.bot_name,
        new_query_id(rng),
        -refunded.cost_points,
        {"Refund": f"{-refunded.cost_points} points", "Total": f"{-refunded.cost_points} points"},
    )
    return entries
