"""The NDJSON reader for a compressed file: its decompressed stream in blocks of whole lines.

(A plain NDJSON file is cut into line ranges instead, by `cutter`.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from orchestration.ingest.blocks import (
    BLOCK_BYTES,
    READ_ERRORS,
    Block,
    Damage,
    LineBlock,
    clip,
    describe,
)
from orchestration.ingest.gzip_stream import GzipStream


def ndjson_blocks(stream: BinaryIO | GzipStream) -> Iterator[Block]:
    """Blocks of whole lines, then a `Damage` if the stream breaks before its end."""
    line = 1
    pending = b""
    while True:
        try:
            chunk = stream.read(BLOCK_BYTES)
        except READ_ERRORS as error:
            yield Damage(
                position=line,
                raw=clip(pending.decode("utf-8", errors="replace")),
                error=f"file unreadable from line {line} on: {describe(error)}; "
                f"the {line - 1} lines before it were read",
            )
            return
        if not chunk:
            if pending:
                yield LineBlock(line, pending)
            return
        data = pending + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        whole, pending = data[: cut + 1], data[cut + 1 :]
        yield LineBlock(line, whole)
        line += whole.count(b"\n")
