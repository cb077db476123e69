"""`hookhouse report`: one campaign's numbers and charts as a single offline HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from orchestration.paths import DataHome
from orchestration.warehouse.target import duckdb_only


def cmd_report(args: argparse.Namespace) -> int:
    """Write the campaign report; a user error is one line on stderr and exit code 1."""
    from orchestration.report.data import ReportError, load_campaign  # plotly loads only here
    from orchestration.report.render import render_report

    if (refusal := duckdb_only("report")) is not None:
        print(refusal, file=sys.stderr)
        return 2
    home = DataHome.from_env()
    try:
        data = load_campaign(home.warehouse, args.campaign, args.account)
    except ReportError as error:
        print(f"hookhouse report: {error}", file=sys.stderr)
        return 1
    out = Path(args.out or f"campaign-{data.account_id}-{data.campaign_id}.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(data), encoding="utf-8")
    channels = ", ".join(str(row["channel"]) for row in data.performance)
    print(f"Wrote {out} (campaign {data.campaign_id}, account {data.account_id}: {channels})")
    return 0


def add_report_command(commands: Any) -> None:
    """Register `report` on the `hookhouse` subcommands (an argparse subparsers action)."""
    report = commands.add_parser(
        "report", help="write one campaign's numbers and charts as a self-contained HTML file"
    )
    report.add_argument("--campaign", type=int, required=True, help="the campaign id")
    report.add_argument(
        "--account", type=int, help="the account id, needed when two accounts share the id"
    )
    report.add_argument(
        "--out", help="the HTML file to write (default: campaign-ACCOUNT-CAMPAIGN.html)"
    )
    report.set_defaults(handler=cmd_report)
