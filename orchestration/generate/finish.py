"""The end of a run: the ndjson layout's spilled records appended, the report summed up."""

from __future__ import annotations

import shutil

from orchestration.generate.report import GenerateReport
from orchestration.generate.write.layout import SPILL_DIR, WriterConfig, day_folder
from orchestration.generate.write.result import DayResult


def merge_spill(cfg: WriterConfig) -> None:
    """ndjson layout: append late records and cross-day duplicates to their dump day's file."""
    spill = cfg.out_dir / SPILL_DIR
    if not spill.exists():
        return
    for target_dir in sorted(spill.iterdir()):
        target = int(target_dir.name)
        folder, iso, _ = day_folder(cfg, target)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"hooks-{iso}.ndjson").open("ab") as out:
            for part in sorted(target_dir.iterdir()):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
    shutil.rmtree(spill)


def build_report(cfg: WriterConfig, results: list[DayResult], seconds: float) -> GenerateReport:
    """The run's report from its days' results and the files on disk."""
    files: set[str] = set()
    malformed: dict[str, int] = {}
    oddities: dict[str, int] = {}
    by_type: dict[str, int] = {}
    truncated: dict[str, dict[str, int]] = {}
    events = duplicates = late = 0
    for r in results:
        files.update(r.files)
        events += r.events
        duplicates += r.duplicates
        late += r.late
        for src, dst in ((r.malformed, malformed), (r.oddities, oddities), (r.by_type, by_type)):
            for k, v in src.items():
                dst[k] = dst.get(k, 0) + v
        truncated.update(r.truncated)
    if cfg.layout == "ndjson":
        for d in range(cfg.days + 1):
            folder, iso, _ = day_folder(cfg, d)
            if (folder / f"hooks-{iso}.ndjson").exists():
                files.add(f"{iso}/hooks-{iso}.ndjson")
    listed = sorted(files)
    size = sum((cfg.out_dir / f).stat().st_size for f in listed)
    return GenerateReport(
        out_dir=str(cfg.out_dir),
        seed=cfg.seed,
        layout=cfg.layout,
        days=cfg.days,
        files=listed,
        events=events,
        duplicates=duplicates,
        late=late,
        malformed=dict(sorted(malformed.items())),
        bytes=size,
        oddities=dict(sorted(oddities.items())),
        truncated=truncated,
        by_type=dict(sorted(by_type.items())),
        seconds=seconds,
    )
