"""The alarm semantics of contract §3 as a plain state machine, without the database.

For one rule and one device, readings are taken in timestamp order. While no
alarm is active, an unbroken run of readings that satisfy ``metric operator
threshold`` raises one once it has lasted ``for_seconds`` of reading time (0:
at the first such reading). An active alarm keeps the worst value seen and
clears at the first reading that does not satisfy ``metric operator
clear_threshold`` (the threshold when none is given). A clear threshold is
never stricter than the threshold, so a reading that clears cannot raise.
"""

from __future__ import annotations

import operator as op
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

_COMPARE = {">": op.gt, ">=": op.ge, "<": op.lt, "<=": op.le}


@dataclass(frozen=True, slots=True)
class Condition:
    """What a rule tests: ``metric operator threshold``, clearing by ``clear``."""

    operator: str
    threshold: float
    clear: float
    for_seconds: int

    def holds(self, value: float) -> bool:
        return _COMPARE[self.operator](value, self.threshold)

    def still_holds(self, value: float) -> bool:
        """True while an active alarm stays active."""
        return _COMPARE[self.operator](value, self.clear)

    def holds_for_some(self, low: float, high: float) -> bool:
        """Whether some value of a set whose least is ``low`` and greatest
        ``high`` satisfies the condition (one comparison for a whole batch)."""
        return self.holds(high if self.operator in (">", ">=") else low)

    def worse(self, value: float, than: float) -> bool:
        return value > than if self.operator in (">", ">=") else value < than


@dataclass(slots=True)
class Track:
    """One rule on one device: the pending run, or the active alarm's worst value."""

    breach_since: datetime | None = None
    active: bool = False
    worst: float | None = None
    #: What happened while stepping: ("raised" | "cleared", reading time, value).
    events: list[tuple[str, datetime, float]] = field(default_factory=list)

    def step(self, condition: Condition, timestamp: datetime, value: float) -> None:
        """Take one reading, newer than every reading stepped before."""
        if self.active:
            if not condition.still_holds(value):
                self.active = False
                self.worst = None
                self.events.append(("cleared", timestamp, value))
            elif self.worst is None or condition.worse(value, self.worst):
                self.worst = value
            return
        if not condition.holds(value):
            self.breach_since = None
            return
        if self.breach_since is None:
            self.breach_since = timestamp
        if (timestamp - self.breach_since).total_seconds() >= condition.for_seconds:
            self.breach_since = None
            self.active = True
            self.worst = value
            self.events.append(("raised", timestamp, value))

    def run(self, condition: Condition, readings: Iterable[tuple[datetime, float]]) -> Track:
        for timestamp, value in readings:
            self.step(condition, timestamp, value)
        return self
