"""Which landing files to read: contract section 1."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Format(Enum):
    """How a landing file lays out its records."""

    NDJSON = "ndjson"
    """One JSON object per line (a Kafka or RabbitMQ consumer's dump)."""
    JSON = "json"
    """One HTTP batch body: a JSON array of objects, or a single object."""


_SUFFIXES = {".ndjson": Format.NDJSON, ".jsonl": Format.NDJSON, ".json": Format.JSON}
_IN_PROGRESS_SUFFIXES = (".tmp", ".partial")


@dataclass(frozen=True)
class LandingFile:
    """An accepted landing file."""

    path: Path
    relative: str
    """Path relative to `landing/`, with forward slashes: the `source_file` of bronze."""
    format: Format
    gzipped: bool


@dataclass(frozen=True)
class LandingScan:
    """What a scan of `landing/` found."""

    accepted: list[LandingFile]
    ignored: list[str]
    """Files whose name is not an accepted landing format."""
    in_progress: list[str]
    """Files still being written (`.tmp`, `.partial`, or a name starting with `.`)."""


def classify(name: str) -> tuple[Format, bool] | None:
    """The format of a file name and whether it is gzipped, or None if not accepted."""
    lower = name.lower()
    gzipped = lower.endswith(".gz")
    if gzipped:
        lower = lower[:-3]
    for suffix, fmt in _SUFFIXES.items():
        if lower.endswith(suffix):
            return fmt, gzipped
    return None


def is_in_progress(relative: Path) -> bool:
    """A writer has not finished this file: a temporary name, or a hidden file or folder."""
    if any(part.startswith(".") for part in relative.parts):
        return True
    return relative.name.lower().endswith(_IN_PROGRESS_SUFFIXES)


def _files_below(root: Path) -> list[Path]:
    """Every file below root, following symlinked folders (each real folder once)."""
    found: list[Path] = []
    seen: set[str] = set()
    for folder, subfolders, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders.clear()
            continue
        seen.add(real)
        found += [Path(folder) / name for name in files if (Path(folder) / name).is_file()]
    return found


def scan_landing(landing: Path) -> LandingScan:
    """List `landing/` recursively, in a stable order (sorted by relative path)."""
    accepted: list[LandingFile] = []
    ignored: list[str] = []
    in_progress: list[str] = []
    if not landing.is_dir():
        return LandingScan(accepted, ignored, in_progress)
    for path in sorted(_files_below(landing)):
        relative = path.relative_to(landing)
        name = relative.as_posix()
        if is_in_progress(relative):
            in_progress.append(name)
            continue
        kind = classify(relative.name)
        if kind is None:
            ignored.append(name)
        else:
            accepted.append(LandingFile(path, name, kind[0], kind[1]))
    return LandingScan(accepted, ignored, in_progress)
