"""Faults in NDJSON streams, read end to end: a damaged gzip keeps every line decoded before its
damage, a byte-order mark is no record, and no line, bomb or run of blank lines makes the
ingest hold more than a few blocks (contract section 3).

Each case states its outcome by hand: which positions are kept, which are rejected and why.
The limits of `orchestration.ingest.limits` are set small where a case needs them.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xxhash import xxh3_128_hexdigest

from orchestration.ingest import bronze, ingest, limits, readers
from orchestration.ingest.blocks import MAX_DAMAGE_RAW, LineBlock, LineRange
from orchestration.ingest.discover import Format, LandingFile
from orchestration.ingest.report import FileResult
from orchestration.paths import REPO_ROOT, DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line, rejects_by_position

MB = 1024 * 1024

pytestmark = pytest.mark.usefixtures("small_files_grouped_or_alone")


def ingest_file(home: DataHome, name: str) -> tuple[FileResult, list[int], dict[int, str]]:
    """Ingest the landing folder; the one file `name`: its result, kept positions, rejects."""
    report = ingest(home, workers=1)
    (result,) = [f for f in report.files if f.source_file == name]
    return result, kept_positions(home, name), rejects_by_position(home, name)


def kept_positions(home: DataHome, name: str) -> list[int]:
    kept = bronze_table(home, "hook_events")
    return sorted(kept.filter(pl.col("source_file") == name)["position"].to_list())


def numbered(count: int, pad: int = 0) -> list[str]:
    """`count` distinct valid events as NDJSON lines."""
    return [line(event(event_data={"campaign_id": i, "pad": "p" * pad})) for i in range(count)]


def ndjson(lines: Iterable[str]) -> str:
    return "".join(f"{text}\n" for text in lines)


def overwrite(data: bytes, offset: int, junk: bytes) -> bytes:
    """`data` with the bytes from `offset` changed: XORed with `junk` (bytes that are not 0)."""
    damaged = bytearray(data)
    for index, byte in enumerate(junk[: len(data) - offset]):
        damaged[offset + index] ^= byte
    return bytes(damaged)


def whole_lines_before(damaged: bytes, offset: int) -> int:
    """How many whole lines the bytes before `offset` decompress to: the lines to keep."""
    return zlib.decompressobj(wbits=31).decompress(damaged[:offset]).count(b"\n")


def decodable(data: bytes) -> tuple[bytes, bool]:
    """What zlib decodes of a gzip file fed one byte at a time, up to its damage, and whether
    it is damaged (corrupt, or ending inside a member): the most any reader can hand over."""
    out, inflater = bytearray(), zlib.decompressobj(wbits=31)
    for at in range(len(data)):
        if inflater.eof:
            inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data[at : at + 1])
        except zlib.error:
            return bytes(out), True
    return bytes(out), not inflater.eof


def gz_members(path: Path, parts: Iterable[bytes]) -> None:
    """A gzip file of one member per part (as `cat a.gz b.gz` makes): a bomb written fast."""
    packed: dict[bytes, bytes] = {}
    with path.open("wb") as out:
        for part in parts:
            if part not in packed:
                packed[part] = gzip.compress(part, compresslevel=6, mtime=0)
            out.write(packed[part])


# (a) Damage inside a gzip stream.


@pytest.mark.parametrize(("count", "at"), [(1_000, 0.5), (150_000, 0.95)])
def test_a_damaged_gzip_keeps_every_line_decoded_before_the_damage(
    home: DataHome, count: int, at: float
) -> None:
    lines = numbered(count)
    whole = gzip.compress(ndjson(lines).encode(), mtime=0)
    offset = int(len(whole) * at)
    damaged = overwrite(whole, offset, b"\xa5" * 64)
    (home.landing / "broken.ndjson.gz").write_bytes(damaged)
    expected = whole_lines_before(damaged, offset)
    assert 0 < expected < count
    result, kept, rejects = ingest_file(home, "broken.ndjson.gz")
    # Every line before the damage is kept, as written (before: 0 of 1,000, and 112,784 of
    # 150,000: only the lines of the megabytes read before the one that held the damage).
    assert kept[:expected] == list(range(1, expected + 1))
    records = bronze_table(home, "hook_events").sort("position")["record"].to_list()
    assert records[:expected] == lines[:expected]
    # zlib finds such damage only at the member's checksum, its end: what it decoded after
    # the damage is kept or rejected like any line, and the damage is one reject after it.
    decoded, _ = decodable(damaged)
    damage_at = decoded.count(b"\n") + 1
    assert max(kept + list(rejects)) == damage_at and expected + 1 in rejects
    error = rejects[damage_at]
    assert error.startswith(f"file unreadable from line {damage_at} on: damaged gzip stream")
    assert "the member's checksum does not match" in error
    where = int(error.split(" at byte ")[1].split(" ")[0].replace(",", ""))
    assert offset <= where < len(damaged)  # Where zlib found it.
    assert result.damaged and result.records == len(kept) + len(rejects)


# (b) A byte-order mark.


@pytest.mark.parametrize("gz", [False, True], ids=["ndjson", "ndjson.gz"])
def test_a_byte_order_mark_that_starts_an_ndjson_file_is_skipped(home: DataHome, gz: bool) -> None:
    name = "windows.ndjson.gz" if gz else "windows.ndjson"
    path = write_landing(home, name, "\ufeff" + ndjson(numbered(3)), gz=gz)
    result, kept, rejects = ingest_file(home, name)
    assert (kept, rejects) == ([1, 2, 3], {})  # Before: line 1 was "not valid JSON".
    # The content hash is still of every byte as stored, the mark too.
    assert result.content_hash == xxh3_128_hexdigest(path.read_bytes())
    assert bronze.read_manifest(home.bronze)["content_hash"].to_list() == [result.content_hash]


# (c) Lines above MAX_RECORD_BYTES, files above the decompressed limits, blank lines.


@pytest.mark.parametrize("gz", [False, True], ids=["ndjson", "ndjson.gz"])
def test_a_line_above_the_record_limit_is_rejected_and_the_file_read_on(
    home: DataHome, monkeypatch: pytest.MonkeyPatch, gz: bool
) -> None:
    monkeypatch.setattr(limits, "MAX_RECORD_BYTES", 1000)
    short = numbered(4)
    limit = line(event(event_data={"pad": "x" * 1000}))
    limit = limit.replace("x" * (len(limit) - 1000), "", 1)  # exactly 1,000 bytes
    above = limit.replace("x", "xy", 1)  # 1,001 bytes
    big = line(event(event_data={"pad": "z" * 200_000}))  # many reads, more than a raw keeps
    name = "long.ndjson.gz" if gz else "long.ndjson"
    write_landing(home, name, ndjson([short[0], limit, above, big, short[1], short[2]]), gz=gz)
    result, kept, rejects = ingest_file(home, name)
    assert kept == [1, 2, 5, 6]
    assert rejects == {
        3: "record_too_large: 1,001 bytes, above MAX_RECORD_BYTES (1,000 bytes)",
        4: f"record_too_large: {len(big):,} bytes, above MAX_RECORD_BYTES (1,000 bytes)",
    }
    raws = bronze_table(home, "hook_rejects").sort("position")["raw"].to_list()
    more = len(big) - MAX_DAMAGE_RAW
    assert raws == [above, big[:MAX_DAMAGE_RAW] + f"... [{more} more characters]"]
    assert (result.records, result.damaged) == (6, False)
    # A last line above the limit, with no newline: rejected the same.
    write_landing(home, "end." + name, ndjson(short[:2]) + above, gz=gz)
    _, kept, rejects = ingest_file(home, "end." + name)
    assert (kept, list(rejects)) == ([1, 2], [3])


def test_a_gzip_past_the_decompressed_limit_keeps_the_lines_before_it(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = ndjson(numbered(100, pad=50))
    exact = text[: text.rfind("\n", 0, 10_000) + 1]  # whole lines, about 10,000 bytes
    monkeypatch.setattr(limits, "MAX_FILE_DECOMPRESSED_BYTES", len(exact))
    write_landing(home, "big.ndjson.gz", text, gz=True)
    write_landing(home, "exact.ndjson.gz", exact, gz=True)  # exactly the limit: whole
    ingest(home, workers=1)
    lines = exact.count("\n")
    assert kept_positions(home, "big.ndjson.gz") == list(range(1, lines + 1))
    ((position, error),) = rejects_by_position(home, "big.ndjson.gz").items()
    assert position == lines + 1
    assert error.startswith(
        f"file not read from line {lines + 1} on: the file decompresses to more than "
        f"{len(exact):,} bytes (MAX_FILE_DECOMPRESSED_BYTES)"
    )
    assert kept_positions(home, "exact.ndjson.gz") == list(range(1, lines + 1))
    assert rejects_by_position(home, "exact.ndjson.gz") == {}
    manifest = bronze.read_manifest(home.bronze).sort("source_file")
    assert manifest["damaged"].to_list() == [True, False]


def test_a_gzip_expanding_past_the_ratio_limit_stops_there(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_RECORD_BYTES", 4096)  # reads, so checks, of 4 KiB
    monkeypatch.setattr(limits, "RATIO_CHECK_BYTES", 50_000)
    monkeypatch.setattr(limits, "COMPRESSION_RATIO_LIMIT", 20)
    text = ndjson(numbered(50)) + ndjson(numbered(2000, pad=3000))  # then 300x compressible
    write_landing(home, "bomb.ndjson.gz", text, gz=True)
    result, kept, rejects = ingest_file(home, "bomb.ndjson.gz")
    ((position, error),) = rejects.items()
    assert "expands more than 20 times (COMPRESSION_RATIO_LIMIT)" in error
    handed_over = int(error.split(": ")[-1].split(" bytes")[0].replace(",", ""))
    assert 50_000 < handed_over < 60_000
    assert kept == list(range(1, text[:handed_over].count("\n") + 1))
    assert position == len(kept) + 1 and result.damaged


def test_a_json_gz_past_the_decompressed_limit_keeps_the_elements_before_it(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_DECOMPRESSED_BYTES", 10_000)
    texts = numbered(100, pad=50)
    body = "[" + ",".join(texts) + "]"
    write_landing(home, "batch.json.gz", body, gz=True)
    ends = [len("[" + ",".join(texts[: i + 1])) for i in range(len(texts))]
    expected = sum(end <= 10_000 for end in ends)
    result, kept, rejects = ingest_file(home, "batch.json.gz")
    assert kept == list(range(1, expected + 1))
    ((position, error),) = rejects.items()
    assert position == expected + 1
    assert "more than 10,000 bytes (MAX_FILE_DECOMPRESSED_BYTES)" in error
    assert result.damaged


@pytest.mark.parametrize("gz", [False, True], ids=["ndjson", "ndjson.gz"])
def test_short_lines_reach_the_parser_in_blocks_of_at_most_max_block_lines(
    home: DataHome, monkeypatch: pytest.MonkeyPatch, gz: bool
) -> None:
    monkeypatch.setattr(limits, "MAX_BLOCK_LINES", 10)
    lines = [text if i % 7 else "" for i, text in enumerate(numbered(95))]  # some blank
    lines[40:70] = [""] * 30  # a run of blank lines: no block at all
    lines[3] = "not json"
    name = "short.ndjson.gz" if gz else "short.ndjson"
    path = write_landing(home, name, ndjson(lines), gz=gz)
    landing = LandingFile(path, name, Format.NDJSON, gz)
    blocks = [b.read() if isinstance(b, LineRange) else b for b in readers.read_blocks(landing)]
    assert all(isinstance(block, LineBlock) for block in blocks)
    sizes = [block.data.count(b"\n") for block in blocks if isinstance(block, LineBlock)]
    assert max(sizes) <= 10 and sum(sizes) == 95 - 30
    _, kept, rejects = ingest_file(home, name)
    assert kept == [i + 1 for i, text in enumerate(lines) if text and i != 3]
    assert list(rejects) == [4] and rejects[4].startswith("not valid JSON")


MEASURE = """
import json, resource, sys
from pathlib import Path
from orchestration.ingest import ingest, limits
from orchestration.paths import DataHome

warm, home, settings = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
ingest(DataHome(warm), workers=1)  # Every lazy import done, a small file's peak reached.
for name, value in settings.items():
    setattr(limits, name, value)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ingest(DataHome(home), workers=1)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


def peak_growth_mb(home: DataHome, tmp_path: Path, **settings: int) -> float:
    """Ingest `home` in a process of its own, `settings` set on `limits`: how many MB its
    peak resident memory grows beyond an ingest of one small file."""
    warm = DataHome(tmp_path / "warm")
    write_landing(warm, "small.ndjson", ndjson(numbered(10)))
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(warm.root), str(home.root), json.dumps(settings)],
        capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


@pytest.mark.parametrize("gz", [False, True], ids=["ndjson", "ndjson.gz"])
def test_a_line_of_300_mb_is_read_past_in_bounded_memory(
    home: DataHome, tmp_path: Path, gz: bool
) -> None:
    first, last = numbered(2)
    piece = b"a" * (16 * MB)
    parts = [f"{first}\n".encode(), *[piece] * 19, f"\n{last}\n".encode()]
    name = "huge.ndjson.gz" if gz else "huge.ndjson"
    if gz:  # 300 MB from 300 KB: the ratio limit would stop it, so it is lifted here.
        gz_members(home.landing / name, parts)
    else:
        with (home.landing / name).open("wb") as out:
            out.writelines(parts)
    growth = peak_growth_mb(home, tmp_path, MAX_RECORD_BYTES=MB, COMPRESSION_RATIO_LIMIT=10**6)
    assert growth < 600  # Before: the line held whole, and copied (2.3 GB for the gzip).
    assert kept_positions(home, name) == [1, 3]
    size = 19 * len(piece)
    assert rejects_by_position(home, name) == {
        2: f"record_too_large: {size:,} bytes, above MAX_RECORD_BYTES (1,048,576 bytes)"
    }


@pytest.mark.parametrize("suffix", [".ndjson.gz", ".json.gz"])
def test_a_gzip_bomb_stops_at_the_ratio_limit_in_bounded_memory(
    home: DataHome, tmp_path: Path, suffix: str
) -> None:
    name = "bomb" + suffix
    gz_members(home.landing / name, [b"\0" * (16 * MB)] * 32)  # 512 MiB from 500 KB
    growth = peak_growth_mb(home, tmp_path)
    assert growth < 600  # Before: past 5 GB for .ndjson.gz, 1.1 GB for .json.gz.
    assert kept_positions(home, name) == []
    ((position, error),) = rejects_by_position(home, name).items()
    assert position == 1
    assert "expands more than 1,000 times (COMPRESSION_RATIO_LIMIT)" in error


def test_a_file_of_blank_lines_has_no_record_and_takes_no_memory_for_them(
    home: DataHome, tmp_path: Path
) -> None:
    with (home.landing / "blank.ndjson").open("wb") as out:
        out.writelines([b"\n" * (16 * MB)] * 16)  # 256 MiB of newlines
    gz_members(home.landing / "blank.ndjson.gz", [b" \r\n" * (16 * MB // 3)] * 3)  # 48 MiB
    growth = peak_growth_mb(home, tmp_path)
    assert growth < 100  # Before: 800 MB, and a minute parsing empty lines.
    for name in ("blank.ndjson", "blank.ndjson.gz"):
        assert (kept_positions(home, name), rejects_by_position(home, name)) == ([], {})
    manifest = bronze.read_manifest(home.bronze).sort("source_file")
    assert manifest.select("records", "damaged").rows() == [(0, False), (0, False)]


# A property: wherever a gzip is damaged, every line is kept or rejected, the damage once.

VALID = st.builds(
    lambda kind, n: line(event(event_type=kind, event_data={"campaign_id": n})),
    st.sampled_from(["deliv", "open", "é ü"]),
    st.integers(0, 10**6),
)
INVALID = st.sampled_from(
    ["not json", "[1, 2]", '"text"', line(event(event_type="")), '{"event_type": "x"}']
)


@settings(max_examples=20, deadline=None)
@given(
    lines=st.lists(
        st.one_of(VALID.map(lambda text: (True, text)), INVALID.map(lambda t: (False, t))),
        min_size=1,
        max_size=400,
    ),
    at=st.floats(0, 1, exclude_max=True),
    junk=st.binary(min_size=1, max_size=64).map(lambda b: bytes(x or 1 for x in b)),
)
def test_every_line_of_a_damaged_gzip_is_kept_or_rejected_and_the_damage_once(
    lines: list[tuple[bool, str]], at: float, junk: bytes
) -> None:
    whole = gzip.compress(ndjson(text for _, text in lines).encode(), mtime=0)
    offset = int(at * len(whole))
    damaged = overwrite(whole, offset, junk)
    decoded, is_damaged = decodable(damaged)
    with tempfile.TemporaryDirectory() as folder:
        home = DataHome(Path(folder) / "home")
        home.landing.mkdir(parents=True)
        (home.landing / "hooks.ndjson.gz").write_bytes(damaged)
        result, kept, rejects = ingest_file(home, "hooks.ndjson.gz")
    handed_over = decoded.split(b"\n")
    if is_damaged:  # The unended line goes with the damage.
        damage_at = len(handed_over)
        assert rejects.pop(damage_at).startswith(f"file unreadable from line {damage_at} on")
        handed_over.pop()
    records = {i + 1 for i, raw in enumerate(handed_over) if raw.strip()}
    assert set(kept) | set(rejects) == records and not set(kept) & set(rejects)
    assert result.records == result.kept + result.rejected == len(records) + is_damaged
    assert result.damaged == is_damaged
    good = whole_lines_before(damaged, offset)  # Lines wholly before the damage: as written.
    assert [i + 1 in kept for i in range(good)] == [valid for valid, _ in lines[:good]]
