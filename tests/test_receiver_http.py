"""`hookhouse serve` as Altcraft meets it: a real server process on 127.0.0.1, real requests.

What a sender sees (answers, headers) and what lands (landing files, quarantine), for each rule
of the receiver: tokens, limits, bad bodies, a full or unwritable disk, metrics and a stop.
Load, crashes and hostile input at volume are in tests/test_receiver_faults.py.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from orchestration.ingest import ingest
from orchestration.paths import DataHome
from tests.conftest import bronze_table
from tests.ingest_helpers import event
from tests.receiver_process import AUTH, HOOKHOUSE, TOKEN, landing_lines, start_serve

JSON = {"Content-Type": "application/json"}


def body_of(*messages: object) -> bytes:
    return json.dumps(list(messages)).encode()


def quarantined(home: DataHome) -> dict[str, tuple[bytes, dict]]:
    """Request id -> (the kept body, what was recorded about it)."""
    kept = {}
    for path in home.quarantine.rglob("*.body"):
        about = json.loads(path.with_suffix(".json").read_text())
        kept[path.stem] = (path.read_bytes(), about)
    return kept


@pytest.fixture
def served(home: DataHome) -> Iterator:
    server = start_serve(home, "--max-messages", "50", "--max-body-mib", "1")
    yield server
    server.stop()
    assert not any(TOKEN in line for line in server.lines)


def test_a_batch_is_answered_ok_once_it_is_in_a_landing_file_and_the_ingest_reads_it(
    home: DataHome, served
) -> None:
    first = event("deliv", profile_id="p1")
    second = event("open", profile_id="p2")
    answer = served.post(body_of(first, second), JSON)
    assert (answer.status_code, answer.text) == (200, "OK")
    assert len(answer.headers["x-request-id"]) == 32
    # One object alone is a batch too; so is the root path; an empty array is answered OK.
    assert served.post(json.dumps(event("click", profile_id="p3")).encode()).text == "OK"
    assert httpx.post(f"{served.url}/", content=b"[]", headers=AUTH).text == "OK"
    lines = landing_lines(home)
    assert [orjson.loads(line)["profile_id"] for line in lines] == ["p1", "p2", "p3"]
    assert not [p for p in home.receiver_landing.rglob("*") if p.name.startswith(".")]
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected) == (3, 0)
    sources = set(bronze_table(home, "hook_events")["source_file"])
    assert all(source.startswith("receiver/http/") for source in sources)


def test_invalid_records_in_a_valid_batch_land_and_the_ingest_rejects_them_with_reasons(
    home: DataHome, served
) -> None:
    assert served.post(body_of(event("deliv"), {"no": "event_type"}, 7)).status_code == 200
    ingest(home, workers=1)
    rejects = bronze_table(home, "hook_rejects")
    assert rejects.height == 2 and all(rejects["error"].str.len_chars() > 0)


def test_the_same_batch_posted_twice_as_a_retry_counts_once(home: DataHome, served) -> None:
    batch = body_of(event("deliv", profile_id="a"), event("open", profile_id="a"))
    assert served.post(batch).status_code == served.post(batch).status_code == 200
    assert len(landing_lines(home)) == 4  # both deliveries landed
    ingest(home, workers=1)
    events = bronze_table(home, "hook_events")
    # Two files of the same content are one (the file hash); repeated lines in one file are
    # one event by the event key, which is what core.hook_events keeps.
    assert events["event_key"].n_unique() == 2 and events.height in (2, 4)


def test_a_request_without_a_known_token_is_refused_and_no_token_is_logged(
    home: DataHome, served
) -> None:
    batch = body_of(event())
    anonymous = httpx.post(f"{served.url}/hooks", content=batch)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    near_miss = TOKEN[:-1] + ("x" if TOKEN[-1] != "x" else "y")
    for headers in ({"Authorization": f"Bearer {near_miss}"}, {"X-Hookhouse-Token": near_miss},
                    {"Authorization": f"Basic {TOKEN}"}):  # fmt: skip
        assert httpx.post(f"{served.url}/hooks", content=batch, headers=headers).status_code == 401
    shared = httpx.post(f"{served.url}/hooks", content=batch, headers={"X-Hookhouse-Token": TOKEN})
    assert shared.status_code == 200
    assert len(landing_lines(home)) == 1 and not home.quarantine.exists()
    # A token put in the path or the query string by mistake is not logged either.
    assert httpx.post(f"{served.url}/hooks/{TOKEN}", content=batch).status_code == 404
    assert httpx.post(f"{served.url}/hooks?token={TOKEN}", content=batch).status_code == 401
    served.stop()
    assert not any(TOKEN in line or near_miss in line for line in served.lines)
    assert all(isinstance(record, dict) for record in served.records())


def test_a_token_is_rotated_in_the_token_file_without_a_restart(home: DataHome, tmp_path) -> None:
    old, new = "old-token-aaaaaaaaaaaa", "new-token-bbbbbbbbbbbb"
    token_file = tmp_path / "tokens"
    token_file.write_text(f"# receiver tokens\n{old}\n")
    server = start_serve(home, "--token-file", str(token_file), tokens="")

    def status(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.post(f"{server.url}/hooks", content=b"[]", headers=headers).status_code

    assert (status(old), status(new)) == (200, 401)

    def eventually(token: str, expected: int) -> None:
        deadline = time.monotonic() + 10
        while status(token) != expected:
            assert time.monotonic() < deadline, f"token file change not seen ({expected})"
            time.sleep(0.1)

    token_file.write_text(f"{old}\n{new}\n")  # both, while senders switch over
    eventually(new, 200)
    assert status(old) == 200
    token_file.write_text(f"{new}\n")
    eventually(old, 401)
    server.stop()
    assert not any(old in line or new in line for line in server.lines)


@pytest.mark.parametrize(
    ("tokens", "message"),
    [("", "no receiver token is configured"), ("short", "at least 16 are needed")],
)
def test_serve_refuses_to_start_without_usable_tokens(
    home: DataHome, tokens: str, message: str
) -> None:
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root), "HOOKHOUSE_RECEIVER_TOKENS": tokens}
    done = subprocess.run(
        [str(HOOKHOUSE), "serve", "--port", "0"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and message in done.stderr
    assert tokens not in done.stderr or not tokens


def test_bodies_that_are_not_batches_are_quarantined_whole_and_answered_400(
    home: DataHome, served
) -> None:
    bodies = [b"{not json", b"\xff\xfe[1]", b"42", b'"text"', b"null", b"", b"[1,"]
    request_ids = []
    for body in bodies:
        answer = served.post(body)
        assert answer.status_code == 400, (body, answer.text)
        request_ids.append(answer.headers["x-request-id"])
    assert "not UTF-8" in served.post(b"\xff").text
    kept = quarantined(home)
    for request_id, body in zip(request_ids, bodies, strict=True):
        assert kept[request_id][0] == body
        assert kept[request_id][1]["request_id"] == request_id and kept[request_id][1]["reason"]
    assert all(TOKEN not in json.dumps(about) for _, about in kept.values())
    assert landing_lines(home) == []


def test_limits_answer_413_and_429_without_landing_anything(home: DataHome, served) -> None:
    too_many = body_of(*[event(profile_id=str(n)) for n in range(51)])
    answer = served.post(too_many)
    assert answer.status_code == 413 and "51 messages" in answer.text
    huge = b"[" + b",".join([json.dumps(event()).encode()] * 9000) + b"]"
    assert len(huge) > 1024 * 1024 and served.post(huge).status_code == 413
    bomb = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")
    assert served.post(bomb, {"Content-Encoding": "gzip"}).status_code == 413
    assert served.post(b"[]", {"Content-Type": "multipart/form-data"}).status_code == 415
    assert served.post(b"[]", {"Content-Encoding": "br"}).status_code == 415
    zipped = gzip.compress(body_of(event(profile_id="zipped")))
    assert served.post(zipped, {"Content-Encoding": "gzip"}).status_code == 200
    assert [orjson.loads(line)["profile_id"] for line in landing_lines(home)] == ["zipped"]
    limited = start_serve(home, "--rate", "1", "--burst", "2")
    statuses = [limited.post(b"[]").status_code for _ in range(4)]
    refused = limited.post(b"[]")
    limited.stop()
    assert statuses[:2] == [200, 200] and 429 in statuses
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_an_unwritable_landing_folder_answers_503_and_writes_nothing_half_done(
    home: DataHome, served
) -> None:
    blocked = home.receiver_landing / "http"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the receiver's folder should be\n")
    answer = served.post(body_of(event()))
    assert answer.status_code == 503 and answer.headers["retry-after"]
    blocked.unlink()
    assert served.post(body_of(event(profile_id="after"))).status_code == 200
    assert [orjson.loads(line)["profile_id"] for line in landing_lines(home)] == ["after"]
    assert not list(home.receiver_landing.rglob(".*"))


def test_a_full_disk_answers_503_and_every_ok_batch_is_whole_on_it(
    home: DataHome, tmp_path: Path
) -> None:
    home.receiver_landing.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(home.receiver_landing)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"a small file system cannot be mounted here: {mounted.stderr.strip()}")
    try:
        server = start_serve(home, "--min-free-mib", "0")
        answers = []
        for number in range(60):
            batch = body_of(*[event(profile_id=f"{number}-{n}") for n in range(100)])
            answers.append(server.post(batch).status_code)
        server.stop()
        assert answers[0] == 200 and answers[-1] == 503 and set(answers) == {200, 503}
        lines = landing_lines(home)
        assert len(lines) == 100 * answers.count(200)  # every OK batch, whole; nothing else
        assert not list(home.receiver_landing.rglob(".*"))
    finally:
        subprocess.run(["umount", str(home.receiver_landing)], check=True)


def test_metrics_health_and_a_graceful_stop(home: DataHome) -> None:
    server = start_serve(home)
    assert httpx.get(f"{server.url}/healthz").text == "ok\n"
    assert httpx.get(f"{server.url}/readyz").status_code == 200
    for _ in range(3):
        assert server.post(body_of(event(), event("open"))).status_code == 200
    server.post(b"{")
    metrics = httpx.get(f"{server.url}/metrics").text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in metrics.splitlines()
        if line.startswith("hookhouse_receiver_") and " " in line
    }
    assert values["hookhouse_receiver_messages_total"] == 6
    assert values["hookhouse_receiver_batches_total"] == 3
    assert values['hookhouse_receiver_requests_total{endpoint="hooks",status="200"}'] == 3
    assert values['hookhouse_receiver_quarantined_total{reason="400"}'] == 1
    assert values["hookhouse_receiver_request_seconds_count"] == 4
    assert 1 <= values["hookhouse_receiver_commits_total"] <= 3
    assert (
        values["hookhouse_receiver_fsync_seconds_count"]
        == values["hookhouse_receiver_commits_total"]
    )
    assert server.stop(signal.SIGTERM) == 0
    messages = [record["message"] for record in server.records()]
    assert "stopping: committing in-flight batches" in messages
    assert "landing writer closed" in messages
    requests = [r for r in server.records() if r["message"] == "request"]
    assert len(requests) == 4 and all(len(r["request_id"]) == 32 for r in requests)
    assert len(landing_lines(home)) == 6


@pytest.mark.parametrize("unit", ["hookhouse-serve.service", "hookhouse-consume-rabbitmq@.service"])
def test_the_systemd_units_run_commands_that_exist(unit: str) -> None:
    import configparser
    import shlex

    from orchestration.cli import build_parser
    from orchestration.paths import REPO_ROOT

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(REPO_ROOT / "deploy" / unit)
    command = shlex.split(parser["Service"]["ExecStart"].replace("%i", "altcraft-hooks"))
    assert command[0].endswith("/hookhouse")
    args = build_parser().parse_args(command[1:])
    assert callable(args.handler)
    assert parser["Service"]["KillSignal"] == "SIGTERM"
