"""docs/analyst-guide.md: every SQL block runs on a generated warehouse and returns rows, and
the arithmetic the guide teaches gives hand-computed answers on a hand-built warehouse."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.analyst_guide import GuideQuery, guide_queries
from orchestration.paths import DataHome

QUERIES = guide_queries()
BY_NUMBER = {query.number: query for query in QUERIES}


def test_the_guide_answers_at_least_twelve_questions_each_with_one_query() -> None:
    assert len(QUERIES) >= 12
    titles = [query.title for query in QUERIES]
    assert len(set(titles)) == len(titles), "one query per question"


def test_code_blocks_are_read_with_their_heading_and_line(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(
        "# Guide\n\n### 1.1 First?\n\n```sql\nselect 1\n```\n\n"
        "```python\nprint('not sql')\n```\n\n## 2 Second\n\n```SQL\nselect 2\n  from t\n```\n"
    )
    found = guide_queries(guide)
    assert found == [
        GuideQuery("1.1 First?", "select 1", 5),
        GuideQuery("2 Second", "select 2\n  from t", 15),
    ]
    guide.write_text("### Open\n\n```sql\nselect 1\n")
    with pytest.raises(ValueError, match="never closed"):
        guide_queries(guide)


@pytest.fixture(scope="module")
def warehouse(generated_home: DataHome) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(generated_home.warehouse), read_only=True) as connection:
        yield connection


@pytest.mark.slow
@pytest.mark.parametrize("query", QUERIES, ids=[query.number for query in QUERIES])
def test_each_guide_query_returns_rows_on_generated_data(
    warehouse: duckdb.DuckDBPyConnection, query: GuideQuery
) -> None:
    rows = warehouse.execute(query.sql).fetchall()
    assert rows, f"docs/analyst-guide.md line {query.line} ({query.title}) returned no row"


@pytest.fixture
def hand_built() -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse with hand-written mart rows, only the columns the checked queries read."""
    with duckdb.connect() as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.campaign_performance ("
            "account_id bigint, campaign_id bigint, channel varchar, sent bigint, "
            "delivered bigint, unique_opens bigint, unique_clicks bigint)"
        )
        connection.execute(
            "insert into marts.campaign_performance values "
            "(1, 10, 'email', 110, 100, 20, 5), "  # click-to-open 5/20 = 0.25
            "(1, 11, 'email', 320, 300, 30, 10), "  # 10/30 = 0.333...
            "(1, 12, 'push', 50, 40, 8, 2), "
            "(1, 13, 'sms', 90, 90, 0, 9)"  # no opens: no click-to-open
        )
        connection.execute(
            "create table marts.campaign_uplift ("
            "account_id bigint, campaign_id bigint, test_group bigint, control_group bigint, "
            "test_conversions bigint, control_conversions bigint, "
            "test_conversion_rate double, control_conversion_rate double, uplift double)"
        )
        connection.execute(
            "insert into marts.campaign_uplift values "
            "(1, 10, 1000, 1000, 120, 100, 0.12, 0.10, 0.12 - 0.10), "
            "(1, 11, 500, 0, 50, 0, 0.10, null, null)"  # no control group: left out
        )
        connection.execute(
            "create table marts.subscription_history ("
            "subscription_key varchar, channel varchar, status varchar, "
            "valid_from timestamp, valid_to timestamp)"
        )
        connection.execute(
            "insert into marts.subscription_history values "
            # a: subscribed 2.5 days, unsubscribed, back 4 days later
            "('a', 'email', 'subscribed', '2026-10-01 00:00', '2026-10-03 12:00'), "
            "('a', 'email', 'unsubscribed', '2026-10-03 12:00', '2026-10-07 12:00'), "
            "('a', 'email', 'subscribed', '2026-10-07 12:00', null), "
            # b: subscribed 1 day, complained
            "('b', 'email', 'subscribed', '2026-10-01 06:00', '2026-10-02 06:00'), "
            "('b', 'email', 'complainer', '2026-10-02 06:00', null), "
            # c: a hard bounce is no unsubscribe; d: still subscribed
            "('c', 'email', 'subscribed', '2026-10-01 00:00', '2026-10-05 00:00'), "
            "('c', 'email', 'hardbounced', '2026-10-05 00:00', null), "
            "('d', 'sms', 'subscribed', '2026-10-01 00:00', null)"
        )
        yield connection


def test_click_to_open_per_channel_divides_sums_not_averages_rates(
    hand_built: duckdb.DuckDBPyConnection,
) -> None:
    rows = hand_built.execute(BY_NUMBER["3.8"].sql).fetchall()
    # (channel, campaigns, delivered, unique_opens, unique_clicks, open rate, click-to-open)
    assert [row[:5] for row in rows] == [("email", 2, 400, 50, 15), ("push", 1, 40, 8, 2)]
    email, push = rows  # best click-to-open first
    assert push[6] == pytest.approx(0.25)
    assert email[5] == pytest.approx(50 / 400)
    assert email[6] == pytest.approx(15 / 50)  # 0.30, not the mean of 0.25 and 0.333 (0.29)


def test_uplift_with_relative_uplift_and_z_score(hand_built: duckdb.DuckDBPyConnection) -> None:
    rows = hand_built.execute(BY_NUMBER["3.7"].sql).fetchall()
    assert len(rows) == 1
    account_id, campaign_id, test, control, test_rate, control_rate, uplift, relative, z = rows[0]
    assert (account_id, campaign_id, test, control) == (1, 10, 1000, 1000)
    assert (test_rate, control_rate) == pytest.approx((0.12, 0.10))
    assert uplift == pytest.approx(0.02)
    assert relative == pytest.approx(0.2)  # 2 points on a 10% control rate
    # Pooled rate 220 / 2000 = 0.11; standard error sqrt(0.11 * 0.89 * (1/1000 + 1/1000)).
    assert z == pytest.approx(0.02 / math.sqrt(0.11 * 0.89 * 0.002))
    assert z == pytest.approx(1.4293, abs=1e-4)


def test_time_subscribed_before_leaving_and_win_backs(
    hand_built: duckdb.DuckDBPyConnection,
) -> None:
    # channel, subscriptions lost, average days subscribed, shortest (a: 2.5, b: 1)
    assert hand_built.execute(BY_NUMBER["4.6"].sql).fetchall() == [("email", 2, 1.75, 1.0)]
    # channel, came back from, win-backs, average days away (a: 4)
    assert hand_built.execute(BY_NUMBER["4.5"].sql).fetchall() == [
        ("email", "unsubscribed", 1, 4.0)
    ]
