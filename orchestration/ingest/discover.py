"""Which landing files to read: contract section 1.

Every entry below `landing/` ends in one list of the scan: accepted (a landing file), ignored
(not a landing format), in progress (still being written), or skipped, with its reason: a
folder that cannot be listed, a FIFO, socket or device, a dangling symbolic link, a link loop,
a link to a folder read already, an entry whose type cannot be read. Nothing below `landing/`
is passed over without a line in the run's report. A FIFO is never opened: opening one for
reading waits for a writer, and would hang the run.

Names (`source_file` in bronze, and every name the report shows) are the path relative to
`landing/` with forward slashes, as text. A file name is bytes, and not every one is UTF-8:
in a name, a byte that is not part of a UTF-8 character, or that is a control character
(newline, tab, ...), is written `\\xNN` (two lower-case hex digits), and a backslash is written
`\\\\`. So every name reads as text, prints on one line, and maps back to its bytes
(`landing_name_bytes`): `b'caf\\xe9.ndjson'` (Latin-1) is `caf\\xe9.ndjson`, and a file
literally named `caf\\xe9.ndjson` is `caf\\\\xe9.ndjson`. A name that is valid UTF-8 with no
backslash and no control character, which is nearly every name, is stored as it is.
"""

from __future__ import annotations

import errno
import os
import re
import stat
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
    """Path relative to `landing/`, with forward slashes, as `readable_name` writes it: the
    `source_file` of bronze."""
    format: Format
    gzipped: bool


@dataclass(frozen=True)
class Skipped:
    """A landing entry a run does not read, and why. It is looked at again on the next run."""

    entry: str
    """Path relative to `landing/` (`readable_name`); a folder's ends in `/`."""
    reason: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.reason}"


@dataclass(frozen=True)
class LandingScan:
    """What a scan of `landing/` found."""

    accepted: list[LandingFile]
    ignored: list[str]
    """Files whose name is not an accepted landing format."""
    in_progress: list[str]
    """Files still being written (`.tmp`, `.partial`, or a name starting with `.`)."""
    skipped: list[Skipped]
    """Entries that cannot be read as files, sorted by name."""


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


_ESCAPED = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff]")
"""What `readable_name` escapes: a backslash, a control character (C0, DEL, C1) or another line
break (U+2028, U+2029), and the surrogates by which Python holds the bytes of a name that are
not UTF-8 (surrogateescape)."""


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogateescape"))


def readable_name(name: str) -> str:
    """A file system name (surrogateescape'd, as Python lists it) as lossless, printable text."""
    if name.isprintable() and "\\" not in name:  # nearly every name: nothing to escape
        return name
    return _ESCAPED.sub(_escape, name)


_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2})")


def landing_name_bytes(readable: str) -> bytes:
    """The file system bytes of a name `readable_name` wrote: its inverse."""
    parts = _ESCAPE.split(readable)  # text, escape, text, escape, ..., text
    out = bytearray()
    for index, part in enumerate(parts):
        if index % 2 == 0:
            out += part.encode("utf-8")
        else:
            out += b"\\" if part == "\\" else bytes([int(part[1:], 16)])
    return bytes(out)


_NOT_FILES = {
    stat.S_IFIFO: "a named pipe (FIFO), not a regular file: not opened",
    stat.S_IFSOCK: "a socket, not a regular file",
    stat.S_IFCHR: "a character device, not a regular file",
    stat.S_IFBLK: "a block device, not a regular file",
}


def not_a_file(mode: int) -> str | None:
    """Why an entry of this `st_mode` is not read as a file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return _NOT_FILES.get(stat.S_IFMT(mode), "not a regular file")


def _why_not_read(path: str) -> str | None:
    """Why the entry at `path` is not read as a file, or None when it is a regular file.

    Only `stat` is asked (it follows links): the entry is never opened.
    """
    try:
        return not_a_file(os.stat(path).st_mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a symbolic link loop (too many levels of symbolic links)"
        if error.errno == errno.ENOENT and os.path.islink(path):
            target = readable_name(os.readlink(path))
            return f"a symbolic link to {target}, which does not exist"
        if error.errno == errno.ENOENT:
            return "removed while landing/ was scanned"
        return f"cannot be examined: {error.strerror or error}"


class _Walk:
    """Every entry below `landing/`, following links to folders (each real folder once)."""

    def __init__(self, landing: Path) -> None:
        self.landing = landing
        self.entries: list[tuple[Path, str, str | None]] = []
        """(path, name, why it is not read or None), for every entry that is not a folder."""
        self.skipped: list[Skipped] = []

    def run(self) -> _Walk:
        read: dict[str, str] = {}  # real folder -> the name it was read under
        root = os.fspath(self.landing)
        for folder, subfolders, files in os.walk(root, onerror=self._unlisted, followlinks=True):
            subfolders.sort()  # a stable order: the same folder is read under the same name
            name = self._folder_name(folder)
            real = os.path.realpath(folder)
            if real in read:
                subfolders.clear()
                self.skipped.append(Skipped(name, f"a link to {read[real]}, a folder read already"))
                continue
            read[real] = name
            for file in files:
                path = os.path.join(folder, file)
                self.entries.append((Path(path), self._name(path), _why_not_read(path)))
        return self

    def _name(self, path: str) -> str:
        return readable_name(Path(os.path.relpath(path, self.landing)).as_posix())

    def _folder_name(self, folder: str) -> str:
        relative = self._name(folder)
        return "landing/" if relative == "." else f"{relative}/"

    def _unlisted(self, error: OSError) -> None:
        folder = self._folder_name(str(error.filename))
        self.skipped.append(Skipped(folder, f"a folder that cannot be listed: {error.strerror}"))


def scan_landing(landing: Path) -> LandingScan:
    """List `landing/` recursively, in a stable order (sorted by relative path)."""
    scan = LandingScan([], [], [], [])
    if not landing.is_dir():
        return scan
    walk = _Walk(landing).run()
    scan.skipped.extend(walk.skipped)
    for path, name, why_not in sorted(walk.entries):
        relative = path.relative_to(landing)
        if is_in_progress(relative):
            scan.in_progress.append(name)
        elif why_not is not None:
            scan.skipped.append(Skipped(name, why_not))
        elif (kind := classify(relative.name)) is None:
            scan.ignored.append(name)
        else:
            scan.accepted.append(LandingFile(path, name, kind[0], kind[1]))
    scan.skipped.sort(key=lambda skipped: skipped.entry)
    return scan


def cannot_be_read(error: OSError) -> str:
    """Why a file that could not be read is skipped: the system's reason (not its path, which
    `error` spells as the file system does, maybe not as UTF-8)."""
    return f"cannot be read: {error.strerror or error}"
