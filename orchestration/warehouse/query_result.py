"""What a query gives back, and how it fails: shared by the query command and the engines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


class QueryError(Exception):
    """The query could not run or failed: one line for the user, exit code 1."""


class Refused(Exception):
    """The query is not a single read-only statement: one line for the user, exit code 2."""


@dataclass(frozen=True)
class Result:
    """A query's column names and its rows (an iterator: rows stream to the output)."""

    columns: list[str]
    rows: Iterable[Sequence[Any]]


def first_line(error: BaseException) -> str:
    """The first non-empty line of an engine's error message."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__
