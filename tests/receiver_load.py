"""Load on a receiver: concurrent posters over keep-alive HTTP/1.1, timing every answer.

The client is a few lines of asyncio streams, not an HTTP library, so that on a 2-core machine
the cycles go to the server being measured. Messages are the generator's realistic events,
made unique, in batches of a chosen size.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from xxhash import xxh3_128_hexdigest

from orchestration.generate import generate_dumps
from orchestration.paths import DataHome
from tests.receiver_process import committed_files


def generated_messages(count: int, seed: int = 7) -> list[bytes]:
    """`count` distinct generated hook events, each one JSON line (no newline)."""
    with tempfile.TemporaryDirectory() as folder:
        generate_dumps(
            Path(folder), count, seed, days=3, duplicate_rate=0.0, late_rate=0.0,
            malformed_rate=0.0, layout="ndjson",
        )  # fmt: skip
        lines: list[bytes] = []
        for path in sorted(Path(folder).rglob("*.ndjson")):
            lines.extend(line for line in path.read_bytes().splitlines() if line.strip())
    unique = list(dict.fromkeys(lines))
    return unique[:count]


def batches_of(messages: list[bytes], size: int) -> list[bytes]:
    """JSON-array bodies of `size` messages each (the last may be shorter)."""
    return [
        b"[" + b",".join(messages[start : start + size]) + b"]"
        for start in range(0, len(messages), size)
    ]


@dataclass
class LoadResult:
    """What a load run saw: every answer's status and latency, and the wall time."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    """Indexes of the bodies answered 200."""
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    unanswered: list[int] = field(default_factory=list)
    """Indexes of the bodies sent whose connection was lost before an answer (paced mode)."""
    refused: int = 0
    """Connections refused (paced mode: a refused poster stops; the server is gone)."""
    behind: float = 0.0
    """Paced mode: the most a body was sent after its due time, in seconds."""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _request(body: bytes, token: str) -> bytes:
    head = (
        f"POST /hooks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response: its status, and whether the server closes the connection after it."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, closes = 0, False
    for header in head.split(b"\r\n")[1:]:
        name, _, value = header.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closes = value.strip().lower() == b"close"
    await reader.readexactly(length)
    return status, closes


async def _poster(
    port: int, token: str, queue: asyncio.Queue[tuple[int, bytes]], result: LoadResult
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            try:
                index, body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            writer.write(_request(body, token))
            await writer.drain()
            status, _ = await _answer(reader)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
            if status == 200:
                result.acknowledged.append(index)
    except (OSError, asyncio.IncompleteReadError) as error:
        result.errors.append(repr(error))
    finally:
        writer.close()


async def _run(port: int, token: str, bodies: list[bytes], posters: int) -> LoadResult:
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for item in enumerate(bodies):
        queue.put_nowait(item)
    result = LoadResult()
    started = time.perf_counter()
    await asyncio.gather(*(_poster(port, token, queue, result) for _ in range(posters)))
    result.seconds = time.perf_counter() - started
    return result


def post_load(port: int, token: str, bodies: list[bytes], posters: int) -> LoadResult:
    """Post every body once, from `posters` concurrent keep-alive connections."""
    return asyncio.run(_run(port, token, bodies, posters))


TAG = b'{"hh_seq":'
"""Tagged messages start with this field: its value numbers the message across the run."""


def tagged_batch(messages: list[bytes], number: int, size: int) -> bytes:
    """Body `number`: `size` of `messages` (cycled), each made distinct by a leading `hh_seq`,
    `number * size + position`. `messages` are JSON objects (each starts with `{`)."""
    first = number * size
    count = len(messages)
    parts = [b"%s%d,%s" % (TAG, first + j, messages[(first + j) % count][1:]) for j in range(size)]
    return b"[" + b",".join(parts) + b"]"


def tag_of(line: bytes) -> int:
    """The `hh_seq` of a landing line of a tagged message (the receiver keeps key order)."""
    if line.startswith(TAG):
        return int(line[len(TAG) : line.index(b",", len(TAG))])
    return int(orjson.loads(line)["hh_seq"])


@dataclass
class _Pace:
    body_of: Callable[[int], bytes]
    token: str
    started: float
    interval: float
    count: int | None
    until: float | None
    result: LoadResult
    taken: Iterator[int] = field(default_factory=itertools.count)

    def next_index(self) -> int | None:
        index = next(self.taken)
        due = self.started + index * self.interval
        if self.count is not None and index >= self.count:
            return None
        if self.until is not None and max(due, time.perf_counter()) >= self.until:
            return None
        return index


async def _paced_poster(port: int, pace: _Pace) -> None:
    result = pace.result
    while True:  # one connection after another, until the server refuses or the work is done
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            result.refused += 1
            return
        index: int | None = None
        try:
            while (index := pace.next_index()) is not None:
                due = pace.started + index * pace.interval
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                started = time.perf_counter()
                result.behind = max(result.behind, started - due)
                async with asyncio.timeout(60):
                    writer.write(_request(pace.body_of(index), pace.token))
                    await writer.drain()
                    status, closes = await _answer(reader)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] += 1
                if status == 200:
                    result.acknowledged.append(index)
                if closes:
                    break
            else:
                return
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
            result.errors.append(repr(error))
            if index is not None:
                result.unanswered.append(index)
        finally:
            writer.close()


async def _run_paced(port: int, posters: int, pace: _Pace) -> LoadResult:
    pace.started = time.perf_counter()
    if pace.until is not None:
        pace.until += pace.started
    await asyncio.gather(*(_paced_poster(port, pace) for _ in range(posters)))
    pace.result.seconds = time.perf_counter() - pace.started
    return pace.result


def post_paced(
    port: int,
    token: str,
    body_of: Callable[[int], bytes],
    posters: int,
    per_second: float,
    *,
    count: int | None = None,
    seconds: float | None = None,
) -> LoadResult:
    """Post bodies `body_of(0)`, `body_of(1)`, ... at `per_second` bodies a second (body `i` is
    due `i / per_second` s after the start; 0: as fast as possible), from `posters` keep-alive
    connections, until `count` bodies or `seconds` have passed. A lost connection is opened
    again (its body counted in `unanswered`); a poster whose connection is refused stops."""
    if count is None and seconds is None:
        raise ValueError("post_paced needs a count or a duration")
    interval = 1.0 / per_second if per_second > 0 else 0.0
    pace = _Pace(body_of, token, 0.0, interval, count, seconds, LoadResult())
    return asyncio.run(_run_paced(port, posters, pace))


def canonical(message: bytes) -> bytes:
    """A JSON value's minified dump with sorted keys: equal for equal values."""
    return orjson.dumps(orjson.loads(message), option=orjson.OPT_SORT_KEYS)


def event_key(message: bytes) -> str:
    """The event key the ingest gives a record (parse.py: xxh3-128 of the sorted dump)."""
    return xxh3_128_hexdigest(canonical(message))


def landed_line(messages: list[bytes], tag: int) -> bytes:
    """Tagged message `tag` as the receiver lands it, minified (`canonical` to compare)."""
    return orjson.dumps(orjson.loads(tagged_batch(messages, tag, 1))[0])


def landed_batches(home: DataHome, messages: list[bytes], size: int) -> list[list[int]]:
    """The batch numbers of each committed file, in order, after checking that every file is a
    concatenation of whole batches, each line one message as sent (the same JSON value)."""
    files: list[list[int]] = []
    for path in committed_files(home):
        data = path.read_bytes()
        assert data.endswith(b"\n"), f"{path.name} does not end with a whole line"
        lines = data[:-1].split(b"\n")
        assert len(lines) % size == 0, f"{path.name}: {len(lines)} lines, not whole batches"
        batches: list[int] = []
        for start in range(0, len(lines), size):
            first = tag_of(lines[start])
            assert first % size == 0, f"{path.name}: line {start} starts no batch"
            tags = [tag_of(line) for line in lines[start : start + size]]
            assert tags == list(range(first, first + size)), f"{path.name}: batch cut at {start}"
            for tag, line in zip(tags, lines[start : start + size], strict=True):
                sent = landed_line(messages, tag)
                assert line == sent or canonical(line) == canonical(sent), f"{tag} changed"
            batches.append(first // size)
        files.append(batches)
    return files
