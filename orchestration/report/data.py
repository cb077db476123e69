"""What a campaign report shows, read from the campaign marts of a built warehouse (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

Row = dict[str, Any]

TOP_LINKS = 20


class ReportError(Exception):
    """A problem the user can fix (wrong campaign, warehouse not built): printed, no traceback."""


@dataclass(frozen=True)
class CampaignData:
    """One campaign's rows of each campaign mart."""

    account_id: int
    campaign_id: int
    performance: list[Row]
    """marts.campaign_performance, one row per channel, most sends first."""
    daily: list[Row]
    """marts.campaign_daily, by channel and day."""
    links: list[Row]
    """marts.campaign_links, the TOP_LINKS links with the most distinct clickers."""
    uplift: Row | None
    """marts.campaign_uplift, None when the campaign has no audience events."""


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[Row]:
    cursor = connection.execute(sql, params)
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only, or a ReportError that says how to get one."""
    if not warehouse.is_file():
        raise ReportError(
            f"No warehouse at {warehouse}: build it with `hookhouse run` "
            "(or point HOOKHOUSE_HOME at the data home that holds it)."
        )
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:
        raise ReportError(
            f"Cannot open {warehouse} read-only ({error}). If `hookhouse run` is writing it, "
            "try again when the run has finished."
        ) from error


def _find_account(
    connection: duckdb.DuckDBPyConnection, campaign_id: int, account_id: int | None
) -> int:
    """The campaign's account: the one given, or the only account that has the campaign."""
    accounts = [
        account
        for (account,) in connection.execute(
            "select distinct account_id from marts.campaign_performance "
            "where campaign_id = ? and (? is null or account_id = ?) order by 1",
            [campaign_id, account_id, account_id],
        ).fetchall()
    ]
    if len(accounts) == 1:
        return int(accounts[0])
    if len(accounts) > 1:
        listed = ", ".join(str(account) for account in accounts)
        raise ReportError(
            f"Campaign {campaign_id} exists in accounts {listed}: choose one with --account."
        )
    where = f" in account {account_id}" if account_id is not None else ""
    busiest = connection.execute(
        "select account_id, campaign_id from marts.campaign_performance "
        "group by account_id, campaign_id order by sum(sent) desc, 1, 2 limit 5"
    ).fetchall()
    known = ", ".join(f"{campaign} (account {account})" for account, campaign in busiest)
    hint = f" Campaigns with the most sends: {known}." if known else " The mart is empty."
    raise ReportError(
        f"Campaign {campaign_id}{where} is not in marts.campaign_performance "
        f"(no non-test channel event names it).{hint}"
    )


def load_campaign(warehouse: Path, campaign_id: int, account_id: int | None = None) -> CampaignData:
    """Every mart row the report needs, or a ReportError saying what is missing."""
    with _connect(warehouse) as connection:
        try:
            account = _find_account(connection, campaign_id, account_id)
            key = [account, campaign_id]
            performance = _rows(
                connection,
                "select * from marts.campaign_performance "
                "where account_id = ? and campaign_id = ? order by sent desc, channel",
                key,
            )
            daily = _rows(
                connection,
                "select * from marts.campaign_daily "
                "where account_id = ? and campaign_id = ? order by channel, event_day",
                key,
            )
            links = _rows(
                connection,
                "select channel, link_url, clicks, unique_clicks from marts.campaign_links "
                "where account_id = ? and campaign_id = ? "
                f"order by unique_clicks desc, clicks desc, link_url limit {TOP_LINKS}",
                key,
            )
            uplift = _rows(
                connection,
                "select * from marts.campaign_uplift where account_id = ? and campaign_id = ?",
                key,
            )
        except duckdb.CatalogException as error:
            first_line = str(error).splitlines()[0]
            raise ReportError(
                f"The warehouse {warehouse} lacks a campaign mart ({first_line}). "
                "Build it with `hookhouse run`."
            ) from error
    return CampaignData(
        account, campaign_id, performance, daily, links, uplift[0] if uplift else None
    )
