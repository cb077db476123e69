"""What one day's writer wrote: record codes and `DayResult`, summed into the report.

A record's code says what it is: the low byte its category (`VALID`, `DUP`, or
`MAL_BASE` + a malformed kind's index in `defects.MALFORMED_KINDS`), `LATE_BIT` whether it
sits in a later dump day than its event's, and the bits from `ODD_SHIFT` up the oddity
(1 + its index in `defects.ODDITY_KINDS`, 0 for none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.generate.write.defects import MALFORMED_KINDS, ODDITY_KINDS

VALID, DUP = 0, 1
MAL_BASE = 16
LATE_BIT = 1 << 8
ODD_SHIFT = 9


@dataclass
class DayResult:
    """What one day's writer produced; summed up into the report."""

    files: list[str] = field(default_factory=list)
    events: int = 0
    duplicates: int = 0
    late: int = 0
    malformed: dict[str, int] = field(default_factory=dict)
    oddities: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, code: int, times: int = 1) -> None:
        """Count `times` records of this code."""
        cat = code & 0xFF
        if cat >= MAL_BASE:
            kind = MALFORMED_KINDS[cat - MAL_BASE][0]
            self.malformed[kind] = self.malformed.get(kind, 0) + times
            return
        self.events += times
        if cat == DUP:
            self.duplicates += times
        if code & LATE_BIT:
            self.late += times
        odd = (code >> ODD_SHIFT) - 1
        if odd >= 0:
            self.oddities[ODDITY_KINDS[odd]] = self.oddities.get(ODDITY_KINDS[odd], 0) + times
