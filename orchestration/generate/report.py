"""What a generator run wrote."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GenerateReport:
    """Counts of one `generate_dumps` run.

    * `files`: paths relative to `out_dir` (posix separators), sorted.
    * `events`: valid records written (readable), duplicate copies included.
    * `duplicates`: extra copies of a record (so `events - duplicates` distinct events).
    * `late`: valid records written into a dump day later than their event's UTC day
      (late originals and duplicate copies placed in a later day).
    * `malformed`: rejected records by kind (see `orchestration.generate.defects`), plus
      `truncated_gzip` for a gzip file cut short (a file-level rejection; its readable part
      is counted in the other fields).
    * `oddities`: valid records with an optional field of the wrong type (not rejects).
    * `truncated`: per cut file, records written and records still readable before the cut
      (complete lines of the decompressible prefix).
    * `by_type`: original (non-duplicate) events per event type, as generated (records lost
      in a truncated file included).
    * `bytes`: total size of the files on disk.
    """

    out_dir: str
    seed: int
    layout: str
    days: int
    files: list[str]
    events: int
    duplicates: int
    late: int
    malformed: dict[str, int]
    bytes: int
    oddities: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, dict[str, int]] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def malformed_total(self) -> int:
        return sum(self.malformed.values())

    def summary(self) -> str:
        mb = self.bytes / 1e6
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.malformed.items())) or "none"
        odd = sum(self.oddities.values())
        trunc = (
            f" One gzip file was cut short ({', '.join(sorted(self.truncated))})."
            if self.truncated
            else ""
        )
        days = f"{self.days} day{'s' if self.days != 1 else ''}"
        return (
            f"Wrote {self.events:,} valid records ({self.events - self.duplicates:,} distinct "
            f"events of {len(self.by_type)} types, {self.duplicates:,} duplicate copies, "
            f"{self.late:,} late) to {len(self.files):,} files ({mb:,.1f} MB, layout "
            f"{self.layout}, {days}, seed {self.seed}) under {self.out_dir} in "
            f"{self.seconds:.1f} s; malformed records: {self.malformed_total:,} ({kinds}); "
            f"{odd:,} valid records carry an optional field of the wrong type.{trunc}"
        )
