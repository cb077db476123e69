"""Campaign marts end to end: hand-built hook events in, hand-computed numbers out.

The core of the scenario of models/marts/campaigns/_campaigns_unit_tests.yml, delivered in
two ingest batches the way a real night does it: the second batch brings a late open that
is earlier than one already merged, an unsubscribe, and redeliveries. The numbers after
each run are counted by hand from the events below.
"""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from orchestration.defs.definitions import execute_run
from orchestration.paths import DataHome
from tests.conftest import write_landing


def event(
    event_type: str,
    at: str,
    recipient: str | None,
    campaign: int | None = 7,
    *,
    by_xxh: bool = False,
    test: bool = False,
    link: str | None = None,
) -> dict[str, object]:
    data: dict[str, object] = {"campaign_id": campaign, "message_id": 3, "resource_id": 2}
    if link is not None:
        data["link_url"] = link
    return {
        "event_type": event_type,
        "event_date": f"2026-10-{at}Z",
        "account_id": 1,
        "profile_id": None if by_xxh else recipient,
        "_xxh": recipient if by_xxh else None,
        "is_test": test,
        "event_data": data,
    }


FIRST_BATCH = [
    event("send", "01T09:00:00", "r1"),
    event("send", "01T09:00:01", "r2"),
    event("send", "01T09:00:02", "r3"),
    event("deliv", "01T09:01:00", "r1"),
    event("deliv", "01T09:01:00", "r2"),
    event("hbounce", "01T09:01:30", "r3"),
    event("open", "02T08:00:00", "r1"),
    event("click", "02T08:00:05", "r1", link="https://a.example"),
    # r2: a unique click with no captured open; the platform adds open and uopen.
    event("uclick", "01T11:00:00", "r2", link="https://a.example"),
    event("open", "01T11:00:00", "r2"),
    event("uopen", "01T11:00:00", "r2"),
    event("open", "01T12:00:00", "r3", test=True),
    event("send", "05T09:00:00", "r1", campaign=8),
    event("send", "05T09:00:00", "r1", campaign=None),
]

SECOND_BATCH = [
    # Late: r1's first open, earlier than the open the first run merged.
    event("uopen", "01T10:00:00", "r1"),
    event("open", "01T10:00:00", "r1"),
    event("unsub", "03T07:00:00", "xxh4", by_xxh=True),
    # Redeliveries of events the first batch brought: each counts once.
    FIRST_BATCH[0],
    FIRST_BATCH[7],
]

COLUMNS = (
    "sent, delivered, hard_bounces, opens, unique_opens, clicks, unique_clicks, "
    "unsubscribes, delivery_rate, unique_open_rate, click_to_open_rate, unsubscribe_rate"
)


def land(home: DataHome, name: str, events: list[dict[str, object]]) -> None:
    write_landing(home, name, "".join(json.dumps(item) + "\n" for item in events))


def run_pipeline() -> None:
    result = execute_run(dg.DagsterInstance.ephemeral())
    assert result.success


def query(home: DataHome, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.mark.slow
def test_campaign_marts_count_hand_built_events_across_two_nightly_runs(home: DataHome) -> None:
    land(home, "night-1.ndjson", FIRST_BATCH)
    run_pipeline()
    performance = f"select campaign_id, {COLUMNS} from marts.campaign_performance order by 1"
    # Night 1: opens r1 (10-02), r2; unique clicks r1, r2; nobody unsubscribed yet.
    assert query(home, performance) == [
        (7, 3, 2, 1, 2, 2, 1, 2, 0, 2 / 3, 1.0, 1.0, 0.0),
        (8, 1, 0, 0, 0, 0, 0, 0, 0, 0.0, None, None, None),
    ]

    land(home, "night-2.ndjson", SECOND_BATCH)
    run_pipeline()
    # Night 2: r1's late open adds one open but no unique opener; xxh4 unsubscribes.
    assert query(home, performance) == [
        (7, 3, 2, 1, 3, 2, 1, 2, 1, 2 / 3, 1.0, 1.0, 0.5),
        (8, 1, 0, 0, 0, 0, 0, 0, 0, 0.0, None, None, None),
    ]
    assert query(
        home,
        "select recipient, first_opened_at, first_clicked_at, first_unsubscribed_at "
        "from intermediate.int_campaign_recipients where campaign_id = 7 order by 1",
    ) == [
        ("r1", datetime(2026, 10, 1, 10), datetime(2026, 10, 2, 8, 0, 5), None),
        ("r2", datetime(2026, 10, 1, 11), datetime(2026, 10, 1, 11), None),
        ("xxh4", None, None, datetime(2026, 10, 3, 7)),
    ]
    assert query(
        home,
        "select event_day::varchar, sent, opens, unique_opens, unique_clicks, unsubscribes "
        "from marts.campaign_daily where campaign_id = 7 order by 1",
    ) == [
        ("2026-10-01", 3, 2, 2, 1, 0),
        ("2026-10-02", 0, 1, 1, 1, 0),
        ("2026-10-03", 0, 0, 0, 0, 1),
    ]
    assert query(
        home,
        "select campaign_id, link_url, clicks, unique_clicks from marts.campaign_links",
    ) == [(7, "https://a.example", 1, 2)]
