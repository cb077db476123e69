"""The HTTP receiver under faults: load, SIGKILL mid-stream, redelivery, hostile input, SIGTERM.

Every test runs real `hookhouse serve` processes (tests/receiver_process.py) on a fresh data
home and checks what a sender and the warehouse rely on: every batch answered `OK` is in a
committed landing file, whole and exactly as sent, and then in bronze; nothing is invented,
nothing half-written is read; a hostile request gets the answer of its kind and leaves the
server serving. Messages are the generator's events, numbered by a leading `hh_seq` field
(tests/receiver_load.py) where a test must tell batches apart in the landing files.

The long variants (100 kill points, 10,000 hostile requests, 5 minutes at 50,000 messages a
second) are in tests/test_receiver_stress.py (`make stress`).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import random
import signal
import socket
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest

from orchestration.ingest import ingest
from orchestration.paths import DataHome
from tests.conftest import bronze_table
from tests.receiver_load import (
    batches_of,
    canonical,
    event_key,
    generated_messages,
    landed_batches,
    landed_line,
    post_load,
    post_paced,
    tag_of,
    tagged_batch,
)
from tests.receiver_process import (
    AUTH,
    TOKEN,
    committed_files,
    hidden_files,
    landing_lines,
    raw_request,
    send_all,
    start_serve,
)

SIZE = 50
"""Messages in a batch of the crash runs."""


def check_bronze(
    home: DataHome, messages: list[bytes], size: int, per_file: list[list[int]]
) -> None:
    """Ingest, then: bronze holds every message of the landed batches (`per_file`: those of
    each committed file) once per landing file of distinct content it is in (the ingest reads
    a byte-identical copy once), and nothing else."""
    files = zip(committed_files(home), per_file, strict=True)
    distinct = {path.read_bytes(): batches for path, batches in files}
    expected = Counter(batch for batches in distinct.values() for batch in batches)
    report = ingest(home)
    assert not (report.in_progress or report.skipped or report.ignored), report
    events = bronze_table(home, "hook_events")
    assert bronze_table(home, "hook_rejects").height == 0
    keys = {event_key(tagged_batch(messages, batch * size + j, 1)[1:-1]): batch
            for batch in expected for j in range(size)}  # fmt: skip
    assert events["event_key"].n_unique() == len(keys) == size * len(expected)
    counted = Counter(events["event_key"].to_list())
    assert counted.keys() == keys.keys(), "bronze lacks a landed message, or has another"
    wrong = [key for key, batch in keys.items() if counted[key] != expected[batch]]
    assert not wrong, f"{len(wrong)} messages in bronze the wrong number of times"


def test_load_then_ingest_loses_and_duplicates_nothing(home: DataHome) -> None:
    messages = generated_messages(30_000)
    bodies = batches_of(messages, 100)
    serve = start_serve(home, "--rate", "0")
    try:
        result = post_load(serve.port, TOKEN, bodies, 20)
    finally:
        assert serve.stop() == 0
    assert result.statuses == Counter({200: len(bodies)}) and not result.errors
    assert len(landing_lines(home)) == len(messages)
    ingest(home)
    events = bronze_table(home, "hook_events")
    assert bronze_table(home, "hook_rejects").height == 0
    sent = {event_key(message) for message in messages}
    assert len(sent) == len(messages) == events.height == events["event_key"].n_unique()
    assert set(events["event_key"].to_list()) == sent


@dataclass
class CrashRun:
    """What a run of kills did: kill points, batches acknowledged, posted again, left."""

    delays: list[float] = field(default_factory=list)
    acknowledged: set[int] = field(default_factory=set)
    posted: int = 0
    abandoned: int = 0
    """Temporary files the kills left, each removed by the next start."""
    planted: int = 0
    """Temporary files planted as a killed writer's, removed by the next start too."""
    batches: int = 0


def _plant_abandoned(home: DataHome, dead_pid: int) -> Path | None:
    """A temporary file named as the killed writer names them, with half a line in it, next to
    a committed file (None while there is none)."""
    committed = next(iter(committed_files(home)), None)
    if committed is None:
        return None
    stamp_host = "-".join(committed.name.split("-")[:3])  # hooks-<UTC time>-<host>
    planted = committed.parent / f".{stamp_host}-{dead_pid}-00000000-1.ndjson.tmp"
    planted.write_bytes(b'{"hh_seq":0,"event_ty')
    return planted


def crash_run(home: DataHome, kills: int, seed: int, per_second: float = 300.0) -> CrashRun:
    """SIGKILL `kills` servers on `home` while 20 posters post at `per_second` batches a
    second; the batches of a killed server that got no `OK` are posted again to the next one;
    a last server takes what is left and stops gracefully."""
    rng = random.Random(seed)
    messages = generated_messages(4000, seed)
    early = [0.0, 0.002, 0.01][:kills]  # right after the listening line: before any commit
    later = [rng.uniform(0.02, 0.2) if rng.random() < 0.4 else rng.uniform(0.2, 0.9)
             for _ in range(kills - len(early))]  # fmt: skip
    run = CrashRun(delays=rng.sample(early + later, kills))
    pending: list[int] = []
    left: set[Path] = set()
    for delay in [*run.delays, None]:
        serve = start_serve(home, "--rate", "0")
        remaining = set(hidden_files(home))
        assert not left & remaining, f"the next start left {sorted(left & remaining)}"
        fresh = int(((delay or 0.0) + 0.2) * per_second) - len(pending)
        order = pending + list(range(run.batches, run.batches + max(0, fresh)))
        run.batches += max(0, fresh)
        killer = threading.Timer(delay, serve.process.kill) if delay is not None else None
        if killer is not None:
            killer.start()
        bodies = [tagged_batch(messages, batch, SIZE) for batch in order]
        result = post_paced(serve.port, TOKEN, bodies.__getitem__, 20, per_second, count=len(order))
        assert set(result.statuses) <= {200}, result.statuses
        run.posted += len(result.acknowledged) + len(result.unanswered)
        acknowledged = {order[index] for index in result.acknowledged}
        run.acknowledged |= acknowledged
        pending = [batch for batch in order if batch not in acknowledged]
        if killer is None:
            assert not pending, f"{len(pending)} batches unanswered by a server not killed"
            assert serve.stop() == 0
            break
        killer.join()
        assert serve.stop(signal.SIGKILL) == -signal.SIGKILL
        left = set(hidden_files(home))
        run.abandoned += len(left)
        if not run.planted and (planted := _plant_abandoned(home, serve.process.pid)):
            left.add(planted)
            run.planted += 1
    assert not hidden_files(home), "a temporary file outlived the last graceful stop"
    per_file = landed_batches(home, messages, SIZE)
    assert run.acknowledged == set(range(run.batches)) == {b for file in per_file for b in file}
    check_bronze(home, messages, SIZE, per_file)
    return run


def test_sigkill_mid_stream_loses_nothing_and_leaves_nothing_half_written(
    home: DataHome,
) -> None:
    run = crash_run(home, kills=20, seed=11)
    assert run.planted == 1
    print(
        f"crash: {len(run.delays)} kills at {min(run.delays):.3f}..{max(run.delays):.3f} s, "
        f"{run.batches} batches acknowledged, {run.posted} posted, "
        f"{run.abandoned} abandoned temporary files (+{run.planted} planted) removed by the "
        "next start"
    )


def test_a_batch_delivered_twice_has_one_event_key_per_message(home: DataHome) -> None:
    messages = generated_messages(600)[:400]
    first, second, third, fourth = batches_of(messages, 100)
    serve = start_serve(home, "--rate", "0", "--commit-delay-ms", "500")
    try:  # `first` twice, each time sharing a commit with another batch: two distinct files;
        for bodies in ([first, second], [first, third], [fourth], [fourth]):  # `fourth` alone
            result = post_load(serve.port, TOKEN, bodies, len(bodies))
            assert result.statuses == Counter({200: len(bodies)})
    finally:
        assert serve.stop() == 0
    files = [path.read_bytes().count(b"\n") for path in committed_files(home)]
    assert files == [200, 200, 100, 100]
    report = ingest(home)
    assert len(report.already_ingested) == 1  # the second `fourth` file: the same bytes
    events = bronze_table(home, "hook_events")
    rows = Counter(events["event_key"].to_list())
    twice = {event_key(message) for message in messages[:100]}
    assert len(rows) == len(messages) and events.height == 500
    assert {key for key, count in rows.items() if count == 2} == twice
    assert max(rows.values()) == 2


def test_sigterm_mid_stream_commits_what_it_acknowledged_then_refuses(home: DataHome) -> None:
    messages = generated_messages(2000)
    serve = start_serve(home, "--rate", "0")
    stopper = threading.Timer(0.6, serve.process.send_signal, (signal.SIGTERM,))
    stopper.start()
    result = post_paced(
        serve.port, TOKEN, lambda index: tagged_batch(messages, index, 50), 10, 400, seconds=30
    )
    stopper.join()
    assert serve.stop() == 0
    assert set(result.statuses) <= {200, 503} and result.statuses[200] >= 50, result.statuses
    assert result.refused == 10 and result.seconds < 20  # every poster was refused, promptly
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", serve.port)):
        pass
    assert not hidden_files(home)
    landed = Counter(tag_of(line) // 50 for line in landing_lines(home))
    assert set(landed.values()) == {50}  # whole batches, each once
    assert set(result.acknowledged) <= set(landed) <= {*result.acknowledged, *result.unanswered}
    messages_logged = [record["message"] for record in serve.records()]
    assert "stopping: committing in-flight batches" in messages_logged
    assert "landing writer closed" in messages_logged


NEAR_MISSES = (TOKEN[:-1] + "g", TOKEN[:-1], TOKEN + "0", TOKEN.upper(), "T" + TOKEN[1:])
"""Tokens that differ from the accepted one by one character, or its case."""
HOSTILE_LIMITS = ("--rate", "0", "--max-body-mib", "1", "--max-messages", "500",
                  "--body-timeout", "1")  # fmt: skip
BOMBS = {"gzip": gzip.compress(b"[" + b" " * (48 << 20) + b"]"),
         "deflate": zlib.compress(b"[" + b" " * (48 << 20) + b"]")}  # fmt: skip
"""Bodies of 48 MiB that are 49 KiB on the wire (the server takes 1 MiB)."""


@dataclass(frozen=True)
class Hostile:
    """One request of a bad-input run, and what it must get."""

    kind: str
    raw: bytes
    expect: frozenset[int | None]
    """The answers allowed; None: the connection closed without one."""
    kept: bytes | None = None
    """The body the quarantine must keep, byte for byte."""
    lines: tuple[bytes, ...] = ()
    """A valid batch: the landing lines it adds."""
    secret: str | None = None
    """A wrong token it presents, which no log line may show."""
    hang_up: bool = False


def _post(body: bytes, headers: dict[str, str] | None = None, *, token: str | None = TOKEN,
          length: int | None = -1) -> bytes:  # fmt: skip
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return raw_request("POST", "/hooks", body, {**auth, **(headers or {})}, length=length)


def _valid(rng: random.Random, number: int, messages: list[bytes]) -> Hostile:
    body, size, style = tagged_batch(messages, number, 20), 20, rng.randrange(5)
    raw = _post(body)
    if style == 1:
        raw = _post(body, {"X-Hookhouse-Token": TOKEN}, token=None)
    elif style == 2:
        raw = _post(gzip.compress(body), {"Content-Encoding": "gzip"})
    elif style == 3:
        raw = _post(zlib.compress(body), {"Content-Encoding": "deflate"})
    elif style == 4:  # one message, not in an array
        raw, size = _post(tagged_batch(messages, number * 20, 1)[1:-1]), 1
    lines = tuple(landed_line(messages, number * 20 + j) for j in range(size))
    return Hostile("valid", raw, frozenset({200}), lines=lines)


REFUSED = {"no token": 401, "wrong token": 401, "near miss": 401, "scheme": 401, "image": 415,
           "multipart": 415, "encoding": 415, "bomb": 413, "declared": 413, "too many": 413,
           "too large": 413, "not json": 400, "scalar": 400, "not utf-8": 400, "empty": 400,
           "bad gzip": 400, "deep": 400, "truncated": 0, "garbage": 400, "route": 0}  # fmt: skip
"""The kinds of refused requests, and their answer."""
NOT_BATCHES = {
    "not json": [b"hello", b'{"a":', b"[1,2", b"<xml/>", b"{'a': 1}", b"[NaN]", b"]["],
    "scalar": [b"1", b'"x"', b"null", b"true", b"3.5", b"-0"],
    "not utf-8": [
        b'[{"a":"\xff\xfe"}]',
        '[{"é":1}]'.encode("latin-1"),
        '[{"a":1}]'.encode("utf-16"),
        b'[{"a":"\xed\xa0\x80"}]',  # a surrogate, encoded
    ],
    "empty": [b"", b" \r\n\t "],
    "deep": [b"[" * 100_000, b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000],
}
GARBAGE = [b"GARBAGE\r\n\r\n", b"POST /hooks HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
           b"GET / HTTP/9.9\r\n\r\n", b"POST /hooks HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n",
           _post(b"zz\r\nabc\r\n", {"Transfer-Encoding": "chunked"}, length=None)]  # fmt: skip
ROUTES = [("GET", "/hooks", 405), ("POST", "/hook", 404), ("PUT", "/", 405),
          ("GET", "/healthz", 200), ("POST", f"/hooks/{TOKEN}", 404),
          ("POST", f"/{NEAR_MISSES[0]}/hooks", 404),
          ("POST", f"/hooks?token={TOKEN}", 401)]  # fmt: skip
"""Wrong routes, and tokens where they do not belong (a path is logged, a token never)."""
CHUNK = b"%x\r\n%s\r\n" % (1 << 16, b" " * (1 << 16))


def _hostile(rng: random.Random) -> Hostile:
    """A request of one of the refused kinds, chosen at random."""
    kind, body, headers = rng.choice(sorted(REFUSED)), b'[{"event_type":"x"}]', {}
    expect: frozenset[int | None] = frozenset({REFUSED[kind]})
    if kind in ("no token", "wrong token", "near miss"):
        token = {"no token": None, "near miss": rng.choice(NEAR_MISSES)}.get(
            kind, f"wrong-{rng.randbytes(12).hex()}"
        )
        header = {"X-Hookhouse-Token": token} if token and rng.random() < 0.5 else {}
        return Hostile(kind, _post(body, header, token=None if header else token), expect,
                       secret=token)  # fmt: skip
    if kind == "scheme":
        basic = base64.b64encode(f"altcraft:{TOKEN}".encode()).decode()
        scheme = rng.choice([f"Token {TOKEN}", f"Basic {basic}", f"Bearer{TOKEN}", "Bearer "])
        return Hostile(kind, _post(body, {"Authorization": scheme}, token=None), expect)
    if kind == "bomb":
        encoding = rng.choice(sorted(BOMBS))
        return Hostile(kind, _post(BOMBS[encoding], {"Content-Encoding": encoding}), expect)
    if kind == "declared":  # the server answers before the body
        return Hostile(kind, _post(b"", length=rng.choice([2 << 20, 10**12])), expect)
    if kind == "too large":  # 2 MiB, chunked: the server counts as it reads, and hangs up
        raw = _post(CHUNK * 32 + b"0\r\n\r\n", {"Transfer-Encoding": "chunked"}, length=None)
        return Hostile(kind, raw, frozenset({413, None}))
    if kind == "too many":
        return Hostile(kind, _post(b"[" + b",".join([b"{}"] * 501) + b"]"), expect)
    if kind == "truncated":  # a body shorter than its Content-Length, then the sender is gone
        raw = _post(body[: rng.randrange(len(body))], length=len(body) + 100)
        return Hostile(kind, raw, frozenset(), hang_up=True)
    if kind == "garbage":
        raw = rng.choice([*GARBAGE, rng.randbytes(rng.randrange(1, 600))])
        return Hostile(kind, raw, frozenset({400, None}))
    if kind == "route":
        method, path, status = rng.choice(ROUTES)
        return Hostile(kind, raw_request(method, path, body), frozenset({status}))
    if kind == "multipart":
        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        body = b'--b\r\nContent-Disposition: form-data; name="h"\r\n\r\n[{}]\r\n--b--\r\n'
    elif kind == "image":
        headers, body = {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + rng.randbytes(64)
    elif kind == "encoding":
        headers, body = {"Content-Encoding": rng.choice(["br", "zstd"])}, rng.randbytes(40)
    elif kind == "bad gzip":
        headers = {"Content-Encoding": "gzip"}
        body = rng.choice([rng.randbytes(50), gzip.compress(b"[{}, {}]" * 50)[:-12]])
    else:
        body = rng.choice(NOT_BATCHES[kind])
    return Hostile(kind, _post(body, headers), expect, kept=body)


def hostile_run(home: DataHome, requests: int, seed: int) -> Counter[str]:
    """`requests` requests against one server, a quarter of them valid batches, while slow
    senders dribble bodies; every answer, landing line, quarantined body and log line checked."""
    rng = random.Random(seed)
    messages = generated_messages(2000, seed)
    cases = [_valid(rng, n, messages) if rng.random() < 0.25 else _hostile(rng)
             for n in range(requests)]  # fmt: skip
    serve = start_serve(home, *HOSTILE_LIMITS)
    try:
        sending = send_all(serve.port, [(c.raw, c.hang_up) for c in cases], AUTH, dribblers=4)
        answers, dribbled = asyncio.run(sending)
        assert serve.process.poll() is None, "the server died"
        assert httpx.get(f"{serve.url}/healthz", timeout=10).status_code == 200
    finally:
        code = serve.stop()
    assert code == 0
    both = list(zip(cases, answers, strict=True))
    wrong = Counter((c.kind, a.status) for c, a in both
                    if not c.hang_up and (a.status not in c.expect or a.timed_out))  # fmt: skip
    assert not wrong, f"unexpected answers (kind, status): {wrong}"
    valid = sorted(a.seconds for c, a in both if c.kind == "valid")
    assert valid[int(0.95 * len(valid))] < 1.0 and valid[-1] < 5.0, "valid batches were held up"
    assert set(dribbled) <= {408, None} and 408 in dribbled, Counter(dribbled)
    landed = Counter(map(canonical, landing_lines(home)))
    assert landed == Counter(canonical(line) for c in cases for line in c.lines)
    kept = {path.stem: path.read_bytes() for path in home.quarantine.rglob("*.body")}
    assert kept == {a.headers["x-request-id"]: c.kept for c, a in both if c.kept is not None}
    for about in home.quarantine.rglob("*.json"):
        assert TOKEN not in about.read_text() and orjson.loads(about.read_bytes())["reason"]
    records = serve.records()  # every line is one JSON object
    assert all(isinstance(record, dict) for record in records) and len(records) > requests / 2
    secrets = {TOKEN, *NEAR_MISSES, *(c.secret for c in cases if c.secret)}
    leaked = [line for line in serve.lines if any(secret in line for secret in secrets)]
    assert not leaked, f"{len(leaked)} log lines show a token: {leaked[:3]}"
    return Counter(case.kind for case in cases)


def test_hostile_requests_get_their_answers_and_lose_no_valid_batch(home: DataHome) -> None:
    kinds = hostile_run(home, requests=1200, seed=5)
    print(f"hostile: {sum(kinds.values())} requests: {dict(kinds)}")
