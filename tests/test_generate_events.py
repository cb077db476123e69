"""Tests of how the generated events relate: funnels, rates, statuses, audiences."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from orchestration.catalog import load_catalog, types_where
from orchestration.generate import GenerateReport
from tests.generate_helpers import CATALOG, Dump, instant, live, moderate_run, recipient


@pytest.fixture(scope="module")
def moderate(tmp_path_factory) -> tuple[GenerateReport, Dump]:
    return moderate_run(tmp_path_factory.getbasetemp())


# ---------------------------------------------------------------------- funnels


def test_unique_click_has_open_at_or_before(moderate) -> None:
    _, dump = moderate
    events = [ev for ev in dump.valid if not ev.get("is_test")]
    opened: dict[tuple, int] = {}
    for ev in events:
        if CATALOG[ev["event_type"]].role in ("open", "unique_open"):
            key = (ev["event_data"]["send_message_id"],)
            t = instant(ev["event_date"])
            opened[key] = min(t, opened.get(key, t))
    checked = 0
    for ev in events:
        entry = CATALOG[ev["event_type"]]
        if entry.role != "unique_click" or not types_where(channel=entry.channel, role="open"):
            continue
        key = (ev["event_data"]["send_message_id"],)
        assert key in opened and opened[key] <= instant(ev["event_date"]), ev
        checked += 1
    assert checked > 100


def test_confirm_creates_click_when_first(moderate) -> None:
    _, dump = moderate
    by_send = defaultdict(list)
    for ev in dump.valid:
        if ev["event_type"] in ("confirm", "click", "uclick"):
            by_send[ev["event_data"]["send_message_id"]].append(ev)
    confirms = 0
    for evs in by_send.values():
        for ev in evs:
            if ev["event_type"] != "confirm":
                continue
            confirms += 1
            t = instant(ev["event_date"])
            assert any(o["event_type"] == "uclick" and instant(o["event_date"]) <= t for o in evs)
    assert confirms > 0


def test_delivery_has_send_before(moderate) -> None:
    _, dump = moderate
    sent: dict[str, int] = {}
    sends = {
        t
        for ch in {e.channel for e in load_catalog() if e.channel}
        for t in types_where(channel=ch, role="send")
    }
    for ev in dump.valid:
        if ev["event_type"] in sends:
            smid = ev["event_data"]["send_message_id"]
            t = instant(ev["event_date"])
            sent[smid] = min(t, sent.get(smid, t))
    delivered = 0
    for ev in dump.valid:
        if CATALOG[ev["event_type"]].role == "deliver":
            smid = ev["event_data"]["send_message_id"]
            assert smid in sent and sent[smid] <= instant(ev["event_date"])
            delivered += 1
    assert delivered > 1000


def test_rates(moderate) -> None:
    _, dump = moderate
    events = live(dump)
    channels = sorted({e.channel for e in load_catalog() if e.channel})
    total_delivered = total_clicks = 0
    for channel in channels:
        roles = {t: CATALOG[t].role for t in types_where(channel=channel)}
        sent = sum(1 for ev in events if roles.get(ev["event_type"]) == "send")
        delivered = sum(1 for ev in events if roles.get(ev["event_type"]) == "deliver")
        assert sent > 100, channel
        assert 0.90 <= delivered / sent <= 0.99, (channel, delivered / sent)

        if "unique_open" in roles.values():
            uopens = {
                ev["event_data"]["send_message_id"]
                for ev in events
                if roles.get(ev["event_type"]) == "unique_open"
            }
            assert 0.20 <= len(uopens) / delivered <= 0.40, (channel, len(uopens) / delivered)
        click_role = "unique_click" if "unique_click" in roles.values() else "click"
        clicks = {
            ev["event_data"]["send_message_id"]
            for ev in events
            if roles.get(ev["event_type"]) == click_role
        }
        total_delivered += delivered
        total_clicks += len(clicks)
        if delivered >= 1_500:  # smaller samples are too noisy for a 2-5 % band
            assert 0.02 <= len(clicks) / delivered <= 0.05, (channel, len(clicks) / delivered)
    assert 0.02 <= total_clicks / total_delivered <= 0.05
    opens = Counter(ev["event_type"] for ev in events)
    assert opens["open"] > opens["uopen"]  # repeated, non-unique opens
    assert opens["click"] > opens["uclick"]
    rare = ("read", "skimmed", "glanced", "unsub", "complain", "hbounce", "sbounce", "suppress")
    assert [name for name in rare if opens[name] == 0] == []


def test_sends_only_to_subscribed(moderate) -> None:
    _, dump = moderate
    doi = {
        ev["event_data"]["campaign_id"]
        for ev in dump.valid
        if ev["event_type"] == "campaign_launch" and ev["event_data"]["launch_type"] == "doi"
    }
    assert doi
    for ev in dump.valid:
        if CATALOG[ev["event_type"]].role == "send" and ev.get("subscription"):
            status = ev["subscription"][0]["status"]
            if ev["event_data"]["campaign_id"] in doi:
                assert status == "unconfirmed"
            else:
                assert status == "subscribed", ev


def test_status_rules(moderate) -> None:
    """Status-setting events show the status they set; subscribe events follow a lapse only;
    silent statuses appear in later events."""
    _, dump = moderate
    events = live(dump)
    last: dict[tuple, str] = {}
    statuses: Counter[str] = Counter()
    for ev in events:
        sub = ev.get("subscription")
        if not sub:
            continue
        s = sub[0]
        key = (ev["account_id"], recipient(ev), s["resource_id"], s["channel"])
        entry = CATALOG[ev["event_type"]]
        statuses[s["status"]] += 1
        if entry.sets_status:
            assert s["status"] == entry.sets_status, ev
        if entry.role == "subscribe" and ev["event_type"] != "confirmsub" and key in last:
            assert last[key] in ("unsubscribed", "complainer", "hardbounced"), (ev, last[key])
        last[key] = s["status"]
    for status in ("unsubscribed", "suspended", "invalid", "unconfirmed"):
        assert statuses[status] > 0, status


def test_test_sends_flagged(moderate) -> None:
    _, dump = moderate
    tests = [ev for ev in dump.valid if ev["is_test"]]
    assert tests
    assert all(ev["custom_data"]["email"].startswith("qa") for ev in tests)
    assert {CATALOG[ev["event_type"]].role for ev in tests} >= {"send", "deliver"}


def test_historical_export_nulls(moderate) -> None:
    _, dump = moderate
    nulls = [ev for ev in dump.valid if "profile_id" in ev and ev["profile_id"] is None]
    assert nulls
    assert len(nulls) < 0.03 * len(dump.valid)
    for ev in nulls:
        assert ev["_xxh"] is None and ev["_md5"] is None and ev["custom_data"] is None
        assert ev.get("subscription") is None
        assert ev["event_type"] not in ("campaign_launch", "profile_merge", "profile_split")


def test_campaign_audience_and_conversions(moderate) -> None:
    _, dump = moderate
    events = live(dump)
    assigned: dict[tuple, tuple[str, int]] = {}
    events = [ev for ev in events if recipient(ev) is not None]  # not deleted profiles
    for ev in events:
        t = ev["event_type"]
        if t in ("sc_test_group_assign", "sc_control_group_assign"):
            key = (ev["event_data"]["campaign_id"], recipient(ev))
            if key not in assigned:  # campaigns run more than once: the first assignment
                group = "test" if "test" in t else "control"
                assigned[key] = (group, instant(ev["event_date"]))
    groups = Counter(g for g, _ in assigned.values())
    assert groups["test"] > 5 * groups["control"] > 0
    converted: dict[str, set[object]] = {"test": set(), "control": set()}
    for ev in events:
        conversion = ev["event_type"] in ("pixel_open", "promocode_activate")
        if conversion and "campaign_id" in ev["event_data"]:
            key = (ev["event_data"]["campaign_id"], recipient(ev))
            if key in assigned:
                group, t_assign = assigned[key]
                t = instant(ev["event_date"])
                assert t >= t_assign
                if t - t_assign <= 7 * 86400 * 10**9:
                    converted[group].add(key)
    assert len(converted["test"]) / groups["test"] > len(converted["control"]) / groups["control"]
    sent_to = {
        (ev["event_data"]["campaign_id"], recipient(ev))
        for ev in events
        if CATALOG[ev["event_type"]].role == "send"
    }
    control = [k for k, (g, _) in assigned.items() if g == "control"]
    assert not any(k in sent_to for k in control)
    assert any(ev["event_type"] == "sc_gcg_suppress" for ev in events)
