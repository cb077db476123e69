"""Stream the records of one landing file, in bounded memory: which reader reads which file.

Plain NDJSON is cut into line ranges (`cutter`), compressed NDJSON is streamed (`ndjson`),
JSON batches are parsed whole or scanned (`json_batch`); all yield the blocks of `blocks`.
A gzipped file's bytes come from a `GzipStream`, which bounds what it decompresses (per
call and per file, `limits`) for every format.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from orchestration.ingest.blocks import Block
from orchestration.ingest.cutter import line_ranges
from orchestration.ingest.discover import Format, LandingFile
from orchestration.ingest.gzip_stream import GzipStream
from orchestration.ingest.hashing import RunningHash
from orchestration.ingest.json_batch import json_blocks
from orchestration.ingest.ndjson import ndjson_blocks


def open_binary(landing_file: LandingFile) -> BinaryIO | GzipStream:
    """The file's decompressed bytes."""
    if landing_file.gzipped:
        return GzipStream(landing_file.path)
    return landing_file.path.open("rb")


def hashes_while_reading(landing_file: LandingFile) -> bool:
    """Whether `read_blocks` can compute the file's content hash as it reads (plain NDJSON:
    the cutter reads every byte as stored)."""
    return landing_file.format is Format.NDJSON and not landing_file.gzipped


def read_blocks(landing_file: LandingFile, running: RunningHash | None = None) -> Iterator[Block]:
    """All records of a landing file, block by block; `running`, for a file that
    `hashes_while_reading`, is fed every byte of it."""
    if hashes_while_reading(landing_file):
        yield from line_ranges(landing_file.path, running)
        return
    if running is not None:
        raise ValueError(f"{landing_file.relative} cannot be hashed while it is read")
    with open_binary(landing_file) as stream:
        if landing_file.format is Format.NDJSON:
            yield from ndjson_blocks(stream)
        else:
            yield from json_blocks(stream)
