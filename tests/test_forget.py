"""`hookhouse forget`: a person's records leave bronze, the audit keeps only keyed hashes, a
later delivery of theirs is dropped at ingest; hand-built events with hand-counted answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.crashpoints import CRASH_AT_ENV
from orchestration.ingest import ingest
from orchestration.paths import REPO_ROOT, DataHome
from orchestration.privacy.erasures import read_erasures
from orchestration.privacy.forget import forget, rebuild_pending
from orchestration.privacy.identifiers import Identifier
from orchestration.privacy.keys import KEY_FILE_ENV
from tests.conftest import bronze_table, write_landing
from tests.test_cli import hookhouse

ANNA_EMAIL, ANNA_PHONE = "anna@mail.example", "+79001234567"


def hook(event_type: str, day: str, profile_id: str | None, **payload: object) -> str:
    record = {"event_type": event_type, "event_date": f"{day}T10:00:00Z", "account_id": 1}
    if profile_id is not None:
        record["profile_id"] = profile_id
    return json.dumps(record | payload)


def subscription(**element: object) -> dict[str, object]:
    return {"subscription": [{"resource_id": 3, "status": "subscribed", **element}]}


ANNA_OPEN = hook("email_open", "2026-10-01", "pa", **subscription(email=ANNA_EMAIL))
ANNA_SMS = hook("sms_send", "2026-10-02", "pa", **subscription(phone=ANNA_PHONE))
ANNA_PIXEL = hook("pixel_open", "2026-10-02", None, custom_data={"email": "Anna@Mail.Example"})
ANNA_REJECT = '{"event_type": "email_open", "profile_id": "pa", "email": "anna@mail.example"'
BORIS_OPEN = hook("email_open", "2026-10-01", "pb", **subscription(email="boris@mail.example"))
BORIS_SMS = hook("sms_send", "2026-10-02", "pb", **subscription(phone="+79007654321"))
BORIS_REJECT = '{"event_type": "email_open", "profile_id": "pb"'
LINES = [ANNA_OPEN, BORIS_OPEN, ANNA_SMS, ANNA_REJECT, ANNA_PIXEL, BORIS_SMS, BORIS_REJECT]
"""Anna: 3 events (an email open, an SMS on her phone, a pixel with her address in another
case and no profile id) and 1 reject; Boris: 2 events, 1 reject."""

ANNA = [Identifier("email", ANNA_EMAIL), Identifier("phone", ANNA_PHONE)]


@pytest.fixture
def landed(home: DataHome) -> DataHome:
    write_landing(home, "night1.ndjson", "\n".join(LINES) + "\n")
    report = ingest(home, workers=0)
    assert (report.kept, report.rejected) == (5, 2)
    return home


def bronze_text(home: DataHome) -> str:
    """Everything bronze's events and rejects hold, as text."""
    events, rejects = bronze_table(home, "hook_events"), bronze_table(home, "hook_rejects")
    return "\n".join(events["record"].to_list() + rejects["raw"].to_list())


def expected_hash(home: DataHome, text: str) -> str:
    key = (home.root / "secrets" / "pii.key").read_bytes()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def test_forget_removes_the_person_from_bronze_and_audits_hashes(landed: DataHome) -> None:
    report = forget(landed, ANNA)
    assert (report.events_total, report.rejects_total) == (3, 1)
    assert report.events_removed == {ANNA[0]: 2, ANNA[1]: 1}  # the open and the pixel; the SMS
    assert report.rejects_removed == {ANNA[0]: 1, ANNA[1]: 0}
    events = bronze_table(landed, "hook_events")
    assert sorted(events["profile_id"].to_list()) == ["pb", "pb"]
    assert bronze_table(landed, "hook_rejects")["raw"].to_list() == [BORIS_REJECT]
    assert "anna" not in bronze_text(landed).lower() and "9001234567" not in bronze_text(landed)

    key_file = landed.root / "secrets" / "pii.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    audit = read_erasures(landed.bronze).sort("identifier_kind")
    assert audit.select("identifier_kind", "events_removed", "rejects_removed").rows() == [
        ("email", 2, 1),
        ("phone", 1, 0),
    ]
    assert audit["identifier_hash"].to_list() == [
        expected_hash(landed, "email:anna@mail.example"),
        expected_hash(landed, "phone:79001234567"),
    ]
    assert "anna" not in str(audit.rows()).lower()
    assert rebuild_pending(landed) == report.erasure_id  # the warehouse is rebuilt next


def test_forgetting_twice_removes_nothing_the_second_time(landed: DataHome) -> None:
    first = forget(landed, ANNA)
    second = forget(landed, [Identifier("email", " ANNA@mail.example ")])
    assert (second.events_total, second.rejects_total, second.parts_rewritten) == (0, 0, 0)
    audit = read_erasures(landed.bronze).filter(pl.col("erasure_id") == second.erasure_id)
    assert audit.select("identifier_kind", "events_removed", "rejects_removed").rows() == [
        ("email", 0, 0)
    ]
    assert audit["identifier_hash"].to_list() == [expected_hash(landed, "email:" + ANNA_EMAIL)]
    assert rebuild_pending(landed) == first.erasure_id  # nothing new for the warehouse
    assert bronze_table(landed, "hook_events").height == 2


def test_a_later_delivery_of_an_erased_person_is_dropped_at_ingest(landed: DataHome) -> None:
    forget(landed, ANNA)
    redelivered_sms = ANNA_SMS.replace(ANNA_PHONE, "+7 900 123-45-67")  # written otherwise
    boris_new = hook("email_click", "2026-10-03", "pb", **subscription(email="boris@mail.example"))
    lines = [ANNA_OPEN, redelivered_sms, ANNA_REJECT, boris_new]
    write_landing(landed, "night2.ndjson", "\n".join(lines) + "\n")
    report = ingest(landed, workers=0)
    assert (report.records, report.kept, report.rejected, report.erased) == (4, 1, 0, 3)
    assert "3 records of erased people dropped" in report.summary()
    assert "anna" not in bronze_text(landed).lower() and "900 123" not in bronze_text(landed)
    assert bronze_table(landed, "hook_events").height == 3


def test_a_profile_id_erases_by_column_and_in_rejects(landed: DataHome) -> None:
    report = forget(landed, [Identifier("profile_id", "pb")])
    assert (report.events_total, report.rejects_total) == (2, 1)
    assert set(bronze_table(landed, "hook_events")["profile_id"].drop_nulls()) == {"pa"}


def test_the_key_file_can_live_elsewhere(
    landed: DataHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "vault" / "hookhouse.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    forget(landed, ANNA[:1])
    assert len(key_file.read_bytes()) == 32 and not (landed.root / "secrets").exists()
    audit = read_erasures(landed.bronze)
    key = key_file.read_bytes()
    assert audit["identifier_hash"].to_list() == [
        hmac.new(key, b"email:anna@mail.example", hashlib.sha256).hexdigest()
    ]


CRASHING_FORGET = """
import sys
from orchestration.paths import DataHome
from orchestration.privacy.forget import forget
from orchestration.privacy.identifiers import Identifier
forget(DataHome.from_env(), [Identifier("email", sys.argv[1]), Identifier("phone", sys.argv[2])])
"""


def test_a_forget_killed_mid_way_leaves_whole_parts_and_a_rerun_finishes(
    landed: DataHome,
) -> None:
    """Killed as the second part's new version is written, before it replaces the old one:
    the first part is new, the second old; bronze reads whole, and forget again completes."""
    env = {
        **os.environ,
        "HOOKHOUSE_HOME": str(landed.root),
        CRASH_AT_ENV: "bronze.part_temporary:2",
    }
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_FORGET, ANNA_EMAIL, ANNA_PHONE],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    events = bronze_table(landed, "hook_events")  # every part reads whole
    assert events.height in (3, 4)  # one day's part rewritten (its Anna events gone), one not
    assert read_erasures(landed.bronze).height == 0  # no audit of a forget that did not finish
    assert rebuild_pending(landed) is not None  # the warehouse will be rebuilt

    rerun = forget(landed, ANNA)
    assert rerun.events_total + rerun.rejects_total == 4 - (5 - events.height)
    assert bronze_table(landed, "hook_events").height == 2
    assert "anna" not in bronze_text(landed).lower()
    assert not list(landed.bronze.rglob("*.tmp"))


def test_the_command_needs_a_sound_identifier(
    home: DataHome, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration.cli import main

    assert main(["forget"]) == 2
    assert "--profile-id, --email or --phone" in capsys.readouterr().err
    assert main(["forget", "--email", "not-an-address"]) == 2
    assert "not an email address" in capsys.readouterr().err
    assert not (home.root / "secrets").exists()  # nothing done, no key made


@pytest.mark.slow
def test_a_rebuild_that_forget_left_pending_is_finished_by_the_next_run(
    landed: DataHome,
) -> None:
    """Forget erased bronze, but its rebuild never ran (killed, or Ctrl-C): core still holds
    the person. The next `hookhouse run` rebuilds in full from bronze and clears the marker."""

    def run() -> None:
        done = hookhouse(landed, "run")
        assert done.returncode == 0, done.stdout + done.stderr

    def profiles_in_core() -> list[tuple[str, int]]:
        with duckdb.connect(str(landed.warehouse), read_only=True) as connection:
            query = "select profile_id, count(*) from core.hook_events group by 1 order by 1"
            return connection.execute(query).fetchall()

    run()
    assert profiles_in_core() == [("pa", 2), ("pb", 2), (None, 1)]  # Anna's pixel: no profile
    report = forget(landed, ANNA)  # bronze only: the command's rebuild is what did not run
    assert rebuild_pending(landed) == report.erasure_id
    assert profiles_in_core() == [("pa", 2), ("pb", 2), (None, 1)]
    run()
    assert profiles_in_core() == [("pb", 2)]
    assert rebuild_pending(landed) is None
