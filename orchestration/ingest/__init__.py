"""Bronze ingest: landing dumps -> append-only Parquet, with every record kept or rejected."""

from orchestration.ingest.pipeline import FileResult, IngestReport, ingest

__all__ = ["FileResult", "IngestReport", "ingest"]
