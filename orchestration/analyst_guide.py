"""The SQL of docs/analyst-guide.md, read back so that a test and a benchmark run every query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from orchestration.paths import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "analyst-guide.md"

_HEADING = re.compile(r"^#{2,4}\s+(?P<title>.+?)\s*$")
_FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")


@dataclass(frozen=True)
class GuideQuery:
    """One ```sql block of the guide, named by the heading above it."""

    title: str
    sql: str
    line: int
    """1-based line of the opening fence, so a failure points into the guide."""

    @property
    def number(self) -> str:
        """The section number of the question ("3.2"), else the whole title."""
        return self.title.split(" ", 1)[0]


def guide_queries(path: Path = GUIDE) -> list[GuideQuery]:
    """Every ```sql block of the guide, in order."""
    queries: list[GuideQuery] = []
    title = ""
    block: list[str] | None = None
    start = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fence = _FENCE.match(line)
        if block is not None:
            if fence and not fence["lang"]:
                queries.append(GuideQuery(title, "\n".join(block).strip(), start))
                block = None
            else:
                block.append(line)
        elif fence and fence["lang"].lower() == "sql":
            block, start = [], number
        elif (heading := _HEADING.match(line)) is not None:
            title = heading["title"]
    if block is not None:
        raise ValueError(f"{path}:{start}: a ```sql block is never closed")
    return queries
