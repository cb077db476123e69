"""One self-contained HTML page for a campaign: plotly.js is inlined, so it opens offline."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from orchestration.report.data import CampaignData, Row

Formatter = Callable[[Any], str]

MISSING = "\N{EN DASH}"
"""What a table shows for NULL: a rate whose denominator is 0 is no rate, not 0%."""


def count(value: Any) -> str:
    """An event or recipient count, with thousands separators."""
    return MISSING if value is None else f"{int(value):,}"


def rate(value: Any) -> str:
    """A rate as a percentage; NULL (a zero denominator) is a dash, not 0%."""
    return MISSING if value is None else f"{100 * float(value):.1f}%"


def signed_points(value: Any) -> str:
    """A difference of two rates, in percentage points."""
    return MISSING if value is None else f"{100 * float(value):+.1f} pp"


KEY_NUMBERS: list[tuple[str, str, Formatter]] = [
    ("sent", "Sent", count),
    ("delivered", "Delivered", count),
    ("delivery_rate", "Delivery rate", rate),
    ("unique_opens", "Unique opens", count),
    ("unique_open_rate", "Open rate", rate),
    ("reads", "Reads", count),
    ("unique_clicks", "Unique clicks", count),
    ("unique_click_rate", "Click rate", rate),
    ("click_to_open_rate", "Click-to-open", rate),
    ("hard_bounces", "Hard bounces", count),
    ("hard_bounce_rate", "Hard-bounce rate", rate),
    ("unsubscribes", "Unsubscribes", count),
    ("complaints", "Complaints", count),
    ("complaint_rate", "Complaint rate", rate),
]

LINK_COLUMNS: list[tuple[str, str, Formatter]] = [
    ("channel", "Channel", str),
    ("link_url", "Link", str),
    ("clicks", "Clicks", count),
    ("unique_clicks", "Unique clicks", count),
]

UPLIFT_COLUMNS: list[tuple[str, str, Formatter]] = [
    ("audience", "Audience", count),
    ("test_group", "Test group", count),
    ("control_group", "Control group", count),
    ("gcg_suppressed", "Held out (global control)", count),
    ("test_conversions", "Test conversions", count),
    ("control_conversions", "Control conversions", count),
    ("test_conversion_rate", "Test conversion rate", rate),
    ("control_conversion_rate", "Control conversion rate", rate),
    ("uplift", "Uplift", signed_points),
]

FUNNEL_STAGES = [
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("unique_opens", "Unique opens"),
    ("unique_clicks", "Unique clicks"),
]

TREND_MEASURES = [
    ("delivered", "delivered"),
    ("unique_opens", "unique opens"),
    ("unique_clicks", "unique clicks"),
]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right;
         white-space: nowrap; }
th { background: #f4f4f4; } td.text, th.text { text-align: left; }
td.text { max-width: 40rem; overflow-wrap: anywhere; white-space: normal; }
.funnels { display: flex; flex-wrap: wrap; gap: 1rem; } .funnels > div { flex: 1 1 22rem; }
.note { color: #666; font-size: 0.9rem; } .wide { overflow-x: auto; }
"""


def table(rows: Sequence[Row], columns: Sequence[tuple[str, str, Formatter]]) -> str:
    """An HTML table of the rows; every value is escaped."""
    text_columns = {"channel", "link_url"}

    def cell(tag: str, name: str, value: str) -> str:
        css = ' class="text"' if name in text_columns else ""
        return f"<{tag}{css}>{html.escape(value)}</{tag}>"

    head = "".join(cell("th", name, title) for name, title, _ in columns)
    body = "".join(
        "<tr>" + "".join(cell("td", name, fmt(row.get(name))) for name, _, fmt in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_numbers(performance: Sequence[Row]) -> str:
    """The campaign's numbers, one column per channel (a row per number reads on any screen)."""
    head = '<th class="text">Number</th>' + "".join(
        f"<th>{html.escape(str(row['channel']))}</th>" for row in performance
    )
    body = "".join(
        f'<tr><td class="text">{html.escape(title)}</td>'
        + "".join(f"<td>{html.escape(fmt(row.get(name)))}</td>" for row in performance)
        + "</tr>"
        for name, title, fmt in KEY_NUMBERS
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure_html(figure: go.Figure, div_id: str) -> str:
    figure.update_layout(template="plotly_white", margin={"l": 40, "r": 20, "t": 50, "b": 40})
    return figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
        default_height=360,
    )


def funnel_charts(performance: Sequence[Row]) -> str:
    """Sent → delivered → unique opens → unique clicks, one chart per channel."""
    charts = []
    for row in performance:
        channel = str(row["channel"])
        figure = go.Figure(
            go.Funnel(
                y=[title for _, title in FUNNEL_STAGES],
                x=[int(row[name] or 0) for name, _ in FUNNEL_STAGES],
                texttemplate="%{value:,}<br>%{percentInitial:.1%} of sent",
            )
        )
        figure.update_layout(title=f"{channel}: funnel")
        charts.append(f"<div>{_figure_html(figure, f'funnel-{channel}')}</div>")
    return f'<div class="funnels">{"".join(charts)}</div>'


def every_day(daily: Sequence[Row]) -> list[date]:
    """Each day from the first to the last of the rows: a day without events is a 0, not a gap
    the line would jump over."""
    if not daily:
        return []
    first = min(row["event_day"] for row in daily)
    last = max(row["event_day"] for row in daily)
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def trend_chart(daily: Sequence[Row]) -> str:
    """Per UTC day and channel: deliveries, distinct openers and distinct clickers."""
    figure = go.Figure()
    days = every_day(daily)
    for channel in dict.fromkeys(str(row["channel"]) for row in daily):
        by_day = {row["event_day"]: row for row in daily if row["channel"] == channel}
        for name, title in TREND_MEASURES:
            figure.add_trace(
                go.Scatter(
                    x=[day.isoformat() for day in days],
                    y=[int(by_day[day][name] or 0) if day in by_day else 0 for day in days],
                    mode="lines+markers",
                    name=f"{channel} {title}",
                )
            )
    figure.update_layout(title="Daily trend (UTC days)", xaxis_title="day", yaxis_title="count")
    return _figure_html(figure, "daily-trend")


def uplift_section(uplift: Row | None) -> str:
    if uplift is None:
        return '<p class="note">No audience events: the campaign has no test/control split.</p>'
    return table([uplift], UPLIFT_COLUMNS) + (
        '<p class="note">A conversion is a conversion event of the recipient within the '
        "conversion window after its group assignment (see marts.campaign_uplift).</p>"
    )


def render_report(data: CampaignData, *, generated_at: datetime | None = None) -> str:
    """The whole page: key numbers, funnels, daily trend, top links, uplift."""
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    first = min(row["first_event_at"] for row in data.performance)
    last = max(row["last_event_at"] for row in data.performance)
    title = f"Campaign {data.campaign_id} (account {data.account_id})"
    links = (
        table(data.links, LINK_COLUMNS)
        if data.links
        else '<p class="note">No click on a link was recorded.</p>'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">Events from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC.
Report made {when} from the hookhouse marts; test sends are left out.</p>
<h2>Key numbers per channel</h2>
<div class="wide">{key_numbers(data.performance)}</div>
<p class="note">Rates: delivery = delivered / sent; open and click = distinct recipients /
delivered; click-to-open = unique clicks / unique opens. A dash is a rate with a zero
denominator (SMS and messengers report no opens).</p>
<h2>Funnel</h2>
{funnel_charts(data.performance)}
<h2>Daily trend</h2>
{trend_chart(data.daily)}
<h2>Top links</h2>
{links}
<h2>Test group against control group</h2>
{uplift_section(data.uplift)}
</body>
</html>
"""
