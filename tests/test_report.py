"""`hookhouse report`: one campaign as a self-contained HTML file, or a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.paths import DataHome
from orchestration.report.render import MISSING, count, rate, signed_points

HOOKHOUSE = str(Path(sys.executable).with_name("hookhouse"))


def report(home: DataHome, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root)}
    return subprocess.run(
        [HOOKHOUSE, "report", *args], env=env, capture_output=True, text=True, check=False,
        timeout=300,
    )  # fmt: skip


def one_row(home: DataHome, sql: str) -> tuple:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        row = connection.execute(sql).fetchone()
    assert row is not None
    return row


@pytest.mark.slow
def test_a_report_holds_the_campaign_numbers_charts_and_no_remote_script(
    generated_home: DataHome, tmp_path: Path
) -> None:
    account, campaign, channel, sent, delivered, unique_clicks, open_rate = one_row(
        generated_home,
        "select account_id, campaign_id, channel, sent, delivered, unique_clicks, "
        "unique_open_rate from marts.campaign_performance order by sent desc limit 1",
    )
    out = tmp_path / "reports" / "campaign.html"
    done = report(
        generated_home, "--campaign", str(campaign), "--account", str(account), "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    page = out.read_text(encoding="utf-8")
    assert f"Campaign {campaign} (account {account})" in page
    for number in (count(sent), count(delivered), count(unique_clicks), rate(open_rate)):
        assert f"<td>{number}</td>" in page
    assert f'id="funnel-{channel}"' in page and 'id="daily-trend"' in page
    assert "Top links" in page
    assert '<script src="http' not in page and "cdn." not in page.split("</head>")[1]
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js is inlined


@pytest.mark.slow
def test_a_campaign_with_audience_events_shows_its_uplift(
    generated_home: DataHome, tmp_path: Path
) -> None:
    account, campaign, test_group, uplift = one_row(
        generated_home,
        "select account_id, campaign_id, test_group, uplift from marts.campaign_uplift "
        "order by audience desc limit 1",
    )
    out = tmp_path / "uplift.html"
    done = report(
        generated_home, "--campaign", str(campaign), "--account", str(account), "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert f"<td>{count(test_group)}</td>" in page
    assert f"<td>{signed_points(uplift)}</td>" in page


@pytest.mark.slow
def test_an_unknown_campaign_fails_with_a_message(generated_home: DataHome, tmp_path: Path) -> None:
    out = tmp_path / "missing.html"
    done = report(generated_home, "--campaign", "987654321", "--out", str(out))
    assert done.returncode == 1
    assert "Campaign 987654321 is not in marts.campaign_performance" in done.stderr
    assert "Campaigns with the most sends:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_without_a_warehouse_the_report_says_to_build_it(home: DataHome) -> None:
    done = report(home, "--campaign", "1")
    assert done.returncode == 1
    assert f"No warehouse at {home.warehouse}" in done.stderr
    assert "hookhouse run" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_warehouse_without_marts_says_to_build_it(home: DataHome) -> None:
    duckdb.connect(str(home.warehouse)).close()  # a file, but no model built in it
    done = report(home, "--campaign", "1")
    assert done.returncode == 1
    assert "lacks a campaign mart" in done.stderr and "hookhouse run" in done.stderr
    assert "Traceback" not in done.stderr


def test_numbers_are_formatted_for_people() -> None:
    assert count(1234567) == "1,234,567"
    assert rate(0.12345) == "12.3%"
    assert rate(None) == MISSING  # a zero denominator is no rate, not 0%
    assert signed_points(-0.021) == "-2.1 pp"
