"""Tests of the synthetic dump generator: determinism, coverage and shape, layouts, internals.

The events' relations are tested in test_generate_events.py, the defects and counts in
test_generate_defects.py; what they share (reading a dump back) is in generate_helpers.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from orchestration.catalog import load_catalog, types_where
from orchestration.generate import GenerateReport, generate_dumps
from tests.generate_helpers import (
    CATALOG,
    Dump,
    check_counts,
    digest,
    moderate_run,
    read_dump,
)

# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def moderate(tmp_path_factory) -> tuple[GenerateReport, Dump]:
    return moderate_run(tmp_path_factory.getbasetemp())


# ---------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate_dumps(tmp_path / "a", 4_000, seed=5, days=6)
    b = generate_dumps(tmp_path / "b", 4_000, seed=5, days=6)
    generate_dumps(tmp_path / "c", 4_000, seed=6, days=6)
    assert a.files == b.files
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    same = {"out_dir": "", "seconds": 0.0}
    assert asdict(a) | same == asdict(b) | same


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
    digits: Counter[int] = Counter()
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
    campaign_types = {e.event_type for e in load_catalog() if e.channel}
    campaign_types |= set(types_where(family="campaign_audience"))
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
    """The byte-template serializer gives the same bytes as the dict one."""
    import numpy as np

    from orchestration.generate.plan.planner import Planner
    from orchestration.generate.serialize.envelope import envelope
    from orchestration.generate.serialize.kinds import SLOW_KIND
    from orchestration.generate.serialize.producers import PRODUCER_OPTION
    from orchestration.generate.serialize.serializer import Serializer
    from orchestration.generate.world.build import build_world

    start_ns = int(np.datetime64("2026-10-01", "ns").astype(np.int64))
    world = build_world(1, 20_000, 10, start_ns)
    planner = Planner(world, 20_000, 0.0)
    ser = Serializer(world)
    lk = ser.lk
    checked = 0
    for d in range(2):
        table, launches = planner.plan_day(d)
        day = ser.prepare(table, np.random.default_rng(0))
        c = day.cols
        for k in range(len(table)):
            prof, chan, et = int(c["prof"][k]), int(c["chan"][k]), int(c["et"][k])
            if prof < 0 or chan < 0 or lk.p_deleted[prof] or SLOW_KIND[et]:
                continue
            ci, li, a = int(c["camp"][k]), int(c["launch"][k]), int(day.acct[k])
            row = (
                prof, chan, world.campaigns[ci] if ci >= 0 else None,
                launches[li] if li >= 0 else None, int(c["aux"][k]), int(c["aux2"][k]),
                int(c["tries"][k]), int(c["flags"][k]), int(c["status"][k]), a,
            )  # fmt: skip
            producer = lk.producer_of_account[a]
            env = envelope(lk, et, day.dates[k].decode(), *row, producer)
            slow = orjson.dumps(env, option=PRODUCER_OPTION[producer])
            assert ser.fast.record(et, day.dates[k], *row) == slow
            checked += 1
    assert checked > 1000
