"""Tests of the synthetic dump generator (`orchestration.generate`).

The dumps are read back with plain json/orjson here (not with the project's ingest), applying
the reject rules of warehouse-contract section 3 directly.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from orchestration.catalog import load_catalog, types_where
from orchestration.generate import GenerateReport, generate_dumps

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)
SEND_ROLES = {"send"}
CATALOG = {e.event_type: e for e in load_catalog()}


def parse_rfc3339(value: object) -> int | None:
    """UTC nanoseconds since the epoch, or None if not a valid RFC 3339 timestamp."""
    if not isinstance(value, str):
        return None
    m = RFC3339.match(value)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    try:
        base = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=UTC)
    except ValueError:
        return None
    ns = int(base.timestamp()) * 1_000_000_000 + int((frac or "0").ljust(9, "0"))
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        ns -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60) * 1_000_000_000
    return ns


def reject_reason(obj: object) -> str | None:
    """The contract's reject rules."""
    if not isinstance(obj, dict):
        return "not_object"
    et = obj.get("event_type")
    if not isinstance(et, str) or not et:
        return "event_type"
    if parse_rfc3339(obj.get("event_date")) is None:
        return "event_date"
    acct = obj.get("account_id")
    if not isinstance(acct, int) or isinstance(acct, bool):
        return "account_id"
    return None


@dataclass
class Dump:
    valid: list[dict] = field(default_factory=list)
    dump_day: list[date] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rejects: list[str] = field(default_factory=list)
    damaged_files: list[str] = field(default_factory=list)


def read_dump(root: Path) -> Dump:
    out = Dump()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        day = date.fromisoformat(rel.split("/")[0])
        data = path.read_bytes()
        name = path.name.lower()
        if name.endswith(".gz"):
            name = name[:-3]
            d = zlib.decompressobj(31)
            raw = d.decompress(data)
            if not d.eof:
                out.damaged_files.append(rel)
                raw = raw[: raw.rfind(b"\n") + 1]  # the partial last line is part of the damage
            data = raw
        if name.endswith((".ndjson", ".jsonl")):
            items = []
            for line in data.split(b"\n"):
                if not line.strip():
                    continue
                try:
                    items.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    out.rejects.append("invalid_json")
        elif name.endswith(".json"):
            body = json.loads(data)
            items = body if isinstance(body, list) else [body]
        else:
            raise AssertionError(f"unexpected file {rel}")
        out.files.append(rel)
        for obj in items:
            reason = reject_reason(obj)
            if reason:
                out.rejects.append(reason)
            else:
                out.valid.append(obj)
                out.dump_day.append(day)
    return out


def canonical(obj: dict) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def recipient(ev: dict) -> str | None:
    return ev.get("profile_id") or ev.get("_xxh")


def live(dump: Dump) -> list[dict]:
    """Distinct non-test events, sorted by time."""
    seen: set[bytes] = set()
    events = []
    for ev in dump.valid:
        key = canonical(ev)
        if key in seen or ev.get("is_test") is True:
            continue
        seen.add(key)
        events.append(ev)
    events.sort(key=lambda e: parse_rfc3339(e["event_date"]))
    return events


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def moderate(tmp_path_factory) -> tuple[GenerateReport, Dump]:
    out = tmp_path_factory.mktemp("moderate")
    report = generate_dumps(out, 50_000, seed=11)
    return report, read_dump(out)


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate_dumps(tmp_path / "a", 4_000, seed=5, days=6)
    b = generate_dumps(tmp_path / "b", 4_000, seed=5, days=6)
    generate_dumps(tmp_path / "c", 4_000, seed=6, days=6)
    assert a.files == b.files
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert (a.events, a.duplicates, a.late, a.malformed) == (
        b.events,
        b.duplicates,
        b.late,
        b.malformed,
    )


def test_output_does_not_depend_on_worker_processes(tmp_path: Path) -> None:
    generate_dumps(tmp_path / "inline", 3_000, seed=9, days=4, workers=0)
    generate_dumps(tmp_path / "pool", 3_000, seed=9, days=4, workers=2)
    assert digest(tmp_path / "inline") == digest(tmp_path / "pool")


def test_gzip_has_no_mtime_or_name(moderate) -> None:
    report, _ = moderate
    gz = [f for f in report.files if f.endswith(".gz")]
    assert gz
    header = (Path(report.out_dir) / gz[0]).read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] & 0x08 == 0  # FNAME flag not set
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0


# ---------------------------------------------------------------------- coverage and shape


def test_every_catalog_type_appears(moderate) -> None:
    report, dump = moderate
    seen = Counter(ev["event_type"] for ev in dump.valid)
    missing = [e.event_type for e in load_catalog() if seen[e.event_type] == 0]
    assert missing == []
    assert set(report.by_type) == set(CATALOG)


def test_volume_close_to_request(moderate) -> None:
    report, dump = moderate
    assert 0.9 * 50_000 <= report.events <= 1.1 * 50_000
    assert len(dump.valid) == report.events


def test_envelope_shape(moderate) -> None:
    _, dump = moderate
    digits = Counter()
    offsets = 0
    for ev in dump.valid:
        assert isinstance(ev["event_data"], dict)
        assert isinstance(ev["is_test"], bool)
        date_s = ev["event_date"]
        frac = re.search(r"\.(\d+)", date_s)
        digits[len(frac.group(1)) if frac else 0] += 1
        offsets += not date_s.endswith("Z")
        if "sends_trying_num" in ev:
            assert ev["sends_trying_num"] > 0
        if ev["event_type"] == "campaign_launch":
            assert not {"profile_id", "_xxh", "_md5", "subscription", "custom_data"} & set(ev)
            continue
        if ev.get("profile_id") is not None:
            assert re.fullmatch(r"[0-9a-f]{24}", ev["profile_id"])
            assert re.fullmatch(r"[0-9a-f]{16}", ev["_xxh"])
            assert re.fullmatch(r"[0-9a-f]{32}", ev["_md5"])
        sub = ev.get("subscription")
        if sub is not None:
            assert isinstance(sub, list) and len(sub) == 1
            assert {"resource_id", "channel", "priority", "status"} <= set(sub[0])
    assert digits[9] > 0.5 * len(dump.valid)
    assert len([k for k in digits if k < 9]) >= 4  # fewer digits occur too (0..8)
    assert offsets > 0


def test_campaign_events_carry_campaign_id(moderate) -> None:
    _, dump = moderate
    campaign_types = {e.event_type for e in load_catalog() if e.channel} | set(
        types_where(family="campaign_audience")
    )
    campaign_types -= set(types_where(role="subscribe")) - {"confirmsub"}
    for ev in dump.valid:
        if ev["event_type"] in campaign_types:
            assert isinstance(ev["event_data"].get("campaign_id"), int), ev


def test_tracking_fields(moderate) -> None:
    _, dump = moderate
    clicks = [ev for ev in dump.valid if ev["event_type"] == "click"]
    assert clicks and all(ev["event_data"]["link_url"].startswith("https://") for ev in clicks)
    geo = [ev["event_data"] for ev in clicks if ev["event_data"].get("country")]
    assert geo and all(g["country"].startswith(".") for g in geo)
    assert all(isinstance(g["postal_code"], str) for g in geo)
    push = [ev for ev in dump.valid if ev["event_type"] == "open_push"]
    assert push and all("extra_uid" in ev["event_data"] for ev in push)
    for ev in dump.valid:
        launch_id = ev["event_data"].get("launch_id")
        if launch_id is not None:
            assert re.fullmatch(r"[0-9a-f]{24}", launch_id)
            assert int(launch_id[:8], 16) == ev["account_id"]


# ---------------------------------------------------------------------- funnels


def test_unique_click_has_open_at_or_before(moderate) -> None:
    _, dump = moderate
    events = [ev for ev in dump.valid if not ev.get("is_test")]
    opened: dict[tuple, int] = {}
    for ev in events:
        if CATALOG[ev["event_type"]].role in ("open", "unique_open"):
            key = (ev["event_data"]["send_message_id"],)
            t = parse_rfc3339(ev["event_date"])
            opened[key] = min(t, opened.get(key, t))
    checked = 0
    for ev in events:
        entry = CATALOG[ev["event_type"]]
        if entry.role != "unique_click" or not types_where(channel=entry.channel, role="open"):
            continue
        key = (ev["event_data"]["send_message_id"],)
        assert key in opened and opened[key] <= parse_rfc3339(ev["event_date"]), ev
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
            t = parse_rfc3339(ev["event_date"])
            assert any(
                o["event_type"] == "uclick" and parse_rfc3339(o["event_date"]) <= t for o in evs
            )
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
            t = parse_rfc3339(ev["event_date"])
            sent[smid] = min(t, sent.get(smid, t))
    delivered = 0
    for ev in dump.valid:
        if CATALOG[ev["event_type"]].role == "deliver":
            smid = ev["event_data"]["send_message_id"]
            assert smid in sent and sent[smid] <= parse_rfc3339(ev["event_date"])
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
    for name in (
        "read",
        "skimmed",
        "glanced",
        "unsub",
        "complain",
        "hbounce",
        "sbounce",
        "suppress",
    ):
        assert opens[name] > 0, name


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
    statuses = Counter()
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
                assigned[key] = (group, parse_rfc3339(ev["event_date"]))
    groups = Counter(g for g, _ in assigned.values())
    assert groups["test"] > 5 * groups["control"] > 0
    converted = {"test": set(), "control": set()}
    for ev in events:
        if (
            ev["event_type"] in ("pixel_open", "promocode_activate")
            and "campaign_id" in ev["event_data"]
        ):
            key = (ev["event_data"]["campaign_id"], recipient(ev))
            if key in assigned:
                group, t_assign = assigned[key]
                t = parse_rfc3339(ev["event_date"])
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


# ---------------------------------------------------------------------- defects and counts


def check_counts(report: GenerateReport, dump: Dump) -> None:
    assert len(dump.valid) == report.events
    distinct = {canonical(ev) for ev in dump.valid}
    assert len(dump.valid) - len(distinct) == report.duplicates
    late = 0
    for ev, day in zip(dump.valid, dump.dump_day, strict=True):
        utc_day = datetime.fromtimestamp(parse_rfc3339(ev["event_date"]) // 10**9, tz=UTC).date()
        late += day > utc_day
        assert day >= utc_day
    assert late == report.late
    record_level = {k: v for k, v in report.malformed.items() if k != "truncated_gzip"}
    assert len(dump.rejects) == sum(record_level.values())
    assert len(dump.damaged_files) == report.malformed.get("truncated_gzip", 0)
    assert sorted(dump.damaged_files) == sorted(report.truncated)
    odd = sum(
        isinstance(ev.get("list_id"), str)
        or isinstance(ev.get("is_static"), str)
        or isinstance(ev["event_data"].get("lat"), str)
        for ev in dump.valid
    )
    assert odd == sum(report.oddities.values())
    assert report.bytes == sum((Path(report.out_dir) / f).stat().st_size for f in report.files)
    assert sorted(dump.files) == report.files


def test_counts_match_report(moderate) -> None:
    report, dump = moderate
    check_counts(report, dump)
    assert report.duplicates > 0 and report.late > 0
    assert len(report.malformed) >= 8
    reasons = Counter(dump.rejects)
    assert {"invalid_json", "not_object", "event_type", "event_date", "account_id"} <= set(reasons)
    assert report.oddities
    assert report.summary().startswith("Wrote ")


def test_truncated_gzip(tmp_path: Path, monkeypatch) -> None:
    from orchestration.generate import api

    monkeypatch.setattr(api, "TRUNCATE_MIN_EVENTS", 1_000)
    report = generate_dumps(tmp_path, 30_000, seed=3, days=4)
    assert report.malformed["truncated_gzip"] == 1
    ((path, info),) = report.truncated.items()
    assert path.endswith(".ndjson.gz")
    assert 0 < info["records_readable"] < info["records_written"]
    with pytest.raises(EOFError):
        gzip.decompress((tmp_path / path).read_bytes())
    check_counts(report, read_dump(tmp_path))


def test_no_defects_when_rates_are_zero(tmp_path: Path) -> None:
    report = generate_dumps(
        tmp_path, 5_000, seed=2, days=5, duplicate_rate=0, late_rate=0, malformed_rate=0
    )
    assert (report.duplicates, report.late, report.malformed, report.oddities) == (0, 0, {}, {})
    check_counts(report, read_dump(tmp_path))


# ---------------------------------------------------------------------- layouts


def test_mixed_layout_file_kinds(moderate) -> None:
    report, _ = moderate
    suffixes = Counter(re.sub(r"^[^.]*", "", f.split("/")[-1]) for f in report.files)
    for kind in (".ndjson", ".jsonl", ".json", ".ndjson.gz", ".json.gz"):
        assert suffixes[kind] > 0, kind
    root = Path(report.out_dir)
    bodies = [json.loads((root / f).read_bytes()) for f in report.files if f.endswith(".json")]
    assert any(isinstance(b, dict) for b in bodies)  # a bare single object
    assert any(isinstance(b, list) and len(b) > 1 for b in bodies)
    days = {f.split("/")[0] for f in report.files}
    start = date(2026, 10, 1)
    assert {(start + timedelta(days=k)).isoformat() for k in range(30)} <= days
    assert len(report.files) < 2_000


def test_ndjson_layout(tmp_path: Path) -> None:
    report = generate_dumps(tmp_path, 6_000, seed=4, days=5, layout="ndjson")
    for f in report.files:
        folder, name = f.split("/")
        assert name == f"hooks-{folder}.ndjson"
    assert len(report.files) in (5, 6)  # one per dump day (+ one for late events)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
    check_counts(report, read_dump(tmp_path))


# ---------------------------------------------------------------------- internals


def test_fast_path_matches_dict_path() -> None:
    """The byte-template serializer gives the same JSON (and key order) as the dict one."""
    import numpy as np

    from orchestration.generate.entities import build_world
    from orchestration.generate.planner import Planner
    from orchestration.generate.records import PRODUCER_OPTION, Serializer

    def shape(o):
        if isinstance(o, dict):
            return [(k, shape(v)) for k, v in o.items()]
        if isinstance(o, list):
            return [shape(v) for v in o]
        return o

    start_ns = int(np.datetime64("2026-10-01", "ns").astype(np.int64))
    world = build_world(1, 20_000, 10, start_ns)
    planner = Planner(world, 20_000, 0.0)
    ser = Serializer(world)
    checked = 0
    for d in range(2):
        table, launches = planner.plan_day(d)
        acct = ser.prepare(table, np.random.default_rng(0))
        c = ser.cols
        for k in range(len(table)):
            prof, chan, et = int(c["prof"][k]), int(c["chan"][k]), int(c["et"][k])
            if prof < 0 or chan < 0 or ser.p_deleted[prof] or ser.slow_kind[et]:
                continue
            ci, li = int(c["camp"][k]), int(c["launch"][k])
            args = (
                et, ser.dates[k], prof, chan, world.campaigns[ci] if ci >= 0 else None,
                launches[li] if li >= 0 else None, int(c["aux"][k]), int(c["aux2"][k]),
                int(c["tries"][k]), int(c["flags"][k]), int(c["status"][k]), int(acct[k]),
            )  # fmt: skip
            producer = ser.producer_of_account[args[-1]]
            slow = orjson.dumps(
                ser._envelope(args[0], args[1].decode(), *args[2:], producer),
                option=PRODUCER_OPTION[producer],
            )
            assert shape(orjson.loads(ser._fast(*args))) == shape(orjson.loads(slow))
            checked += 1
    assert checked > 1000
