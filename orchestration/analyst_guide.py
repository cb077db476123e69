"""The SQL of docs/analyst-guide.md, read back so that a test and a benchmark run every query."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from orchestration.paths import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "analyst-guide.md"

_HEADING = re.compile(r"^#{2,4}\s+(?P<title>.+?)\s*$")
_FENCE = re.compile(r"^```(?P<lang>\S*)(?:\s+(?P<engine>\S+))?\s*$")


@dataclass(frozen=True)
class GuideQuery:
    """One ```sql block of the guide, named by the heading above it."""

    title: str
    sql: str
    line: int
    """1-based line of the opening fence, so a failure points into the guide."""
    spark_sql: str | None = None
    """The same query in Spark's dialect, where the guide gives one (a ```sql spark block
    right after it); else `sql` runs on Spark as written."""

    def for_engine(self, engine: str) -> str:
        """The SQL to run on `engine` ("duckdb" or "spark")."""
        return self.spark_sql if engine == "spark" and self.spark_sql is not None else self.sql

    @property
    def number(self) -> str:
        """The section number of the question ("3.2"), else the whole title."""
        return self.title.split(" ", 1)[0]


def guide_queries(path: Path = GUIDE) -> list[GuideQuery]:
    """Every ```sql block of the guide, in order."""
    queries: list[GuideQuery] = []
    title = ""
    block: list[str] | None = None
    start, engine = 0, None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fence = _FENCE.match(line)
        if block is not None:
            if fence and not fence["lang"]:
                sql = "\n".join(block).strip()
                if engine is None:
                    queries.append(GuideQuery(title, sql, start))
                elif engine == "spark" and queries and queries[-1].title == title:
                    queries[-1] = replace(queries[-1], spark_sql=sql)
                else:
                    raise ValueError(
                        f"{path}:{start}: a ```sql {engine} block must follow its question's "
                        "```sql block (engines: spark)"
                    )
                block = None
            else:
                block.append(line)
        elif fence and fence["lang"].lower() == "sql":
            block, start, engine = [], number, fence["engine"]
        elif (heading := _HEADING.match(line)) is not None:
            title = heading["title"]
    if block is not None:
        raise ValueError(f"{path}:{start}: a ```sql block is never closed")
    return queries
