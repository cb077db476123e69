"""Bronze ingest: landing dumps -> append-only Parquet, with every record kept or rejected.

The path of a landing file, module by module:

- `discover`: which landing files to read (contract section 1).
- `hashing`: a file's content hash, which tells whether its bytes are in bronze already.
- `readers`: which reader reads a file into `blocks`: the `cutter` (plain NDJSON, cut
  into line ranges the workers read), `ndjson` (compressed NDJSON, streamed; `gzip_stream`
  hands over what precedes a damage), `json_batch` (JSON arrays and single objects).
- `parse`: the record rules of contract section 3: raw records -> kept rows and rejects.
- `rows`: kept rows and rejects as bronze rows, with their provenance.
- `block_task`: one block's work (read, parse, stamp, stage), run by the `worker_pool`.
- `batch` and `bronze`: buffered rows staged as Parquet, then committed atomically.
- `pipeline`: the run itself, which `report`s what it did.
"""

from orchestration.ingest.pipeline import ingest
from orchestration.ingest.report import FileResult, IngestReport

__all__ = ["FileResult", "IngestReport", "ingest"]
