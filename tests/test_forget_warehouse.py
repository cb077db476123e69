"""`hookhouse forget` end to end, on a copy of the generated warehouse: the person leaves every
table of core, intermediate and marts, and the rest of the warehouse stays. The rebuild runs
with HOOKHOUSE_HASH_PERSONAL_DATA=1 (one build for both): core then holds keyed hashes where
it held addresses and phone numbers."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.bronze_layout import EVENTS, bronze_table
from orchestration.paths import DataHome
from tests.personal_data_scan import bronze_personal_values, cells_holding, personal_data_in

SCHEMAS = ("core", "intermediate", "marts")


def hookhouse(home: DataHome, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root), "HOOKHOUSE_HASH_PERSONAL_DATA": "1"}
    env.pop("DAGSTER_HOME", None)
    command = [str(Path(sys.executable).with_name("hookhouse")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def people(home: DataHome) -> list[tuple[str, str]]:
    """Two profiles with an email address whose engagement the marts show."""
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select e.profile_id, min(e.subscription_email) from core.hook_events e "
            "inner join marts.profile_engagement p on p.recipient = e.profile_id "
            "where e.subscription_email is not null group by 1 order by 1 limit 2"
        ).fetchall()
    assert len(rows) == 2
    return [(profile_id, email) for profile_id, email in rows]


def records_of(home: DataHome, profile_id: str, email: str) -> list[tuple[str, str]]:
    """(event_key, record) of each delivery bronze holds of the person (by profile id, or the
    address as one of a record's JSON string values), found by hand in SQL."""
    with duckdb.connect() as connection:
        return connection.execute(
            f"select event_key, record from read_parquet("
            f"'{bronze_table(EVENTS).glob(home.bronze)}') "
            "where profile_id = ? or contains(lower(record), ?)",
            [profile_id, f'"{email.lower()}"'],
        ).fetchall()


def core_events(home: DataHome) -> int:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute("select count(*) from core.hook_events").fetchall()[0][0]


@pytest.mark.slow
def test_forget_rebuilds_the_warehouse_without_the_person(
    generated_home: DataHome, tmp_path: Path
) -> None:
    (profile_id, email), (_, kept_email) = people(generated_home)
    before = cells_holding(generated_home, SCHEMAS, [profile_id, email])
    assert "marts.profile_engagement.recipient" in before  # the check below can fail
    assert "core.hook_events.subscription_email" in before
    records = records_of(generated_home, profile_id, email)
    erased = len({key for key, _ in records})
    assert erased > 0

    home = DataHome(tmp_path / "home")
    shutil.copytree(generated_home.root, home.root, ignore=shutil.ignore_patterns("dagster"))
    # A redelivery of all of them, landed before forget: the rebuild's ingest drops it.
    redelivery = "\n".join(record for _, record in records) + "\n"
    (home.landing / "redelivered.ndjson").write_text(redelivery, encoding="utf-8")
    done = hookhouse(home, "forget", "--profile-id", profile_id, "--email", email.upper())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rebuilding the warehouse from bronze" in done.stdout
    assert f"{len(records)} records of erased people dropped" in done.stdout
    key = (home.root / "secrets" / "pii.key").read_bytes()

    def keyed(text: str) -> str:
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    assert cells_holding(home, SCHEMAS, [profile_id, email, keyed(f"email:{email.lower()}")]) == {}
    assert core_events(home) == core_events(generated_home) - erased
    assert not (home.root / ".rebuild-after-forget").exists()
    # Hashed: no address or phone number of bronze is left in core; each is its keyed hash.
    assert personal_data_in(home, "core", bronze_personal_values(home)) == {}
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        hashed = connection.execute(
            "select distinct subscription_email, recipient_domain from core.hook_events "
            "where subscription_email = ?",
            [keyed(f"email:{kept_email.lower()}")],
        ).fetchall()
    assert hashed == [(keyed(f"email:{kept_email.lower()}"), kept_email.split("@")[1].lower())]

    again = hookhouse(home, "forget", "--profile-id", profile_id, "--email", email)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 events and 0 rejects removed" in again.stdout
    assert "rebuilding" not in again.stdout
