"""What one landing file and one record may grow to once decompressed.

A record beyond MAX_RECORD_BYTES is rejected (reason `record_too_large`) and the rest of
its file read on; a file whose decompressed bytes pass MAX_FILE_DECOMPRESSED_BYTES, or a
compressed file that expands more than COMPRESSION_RATIO_LIMIT times once past
RATIO_CHECK_BYTES, stops there, kept what came before, and the rest is counted as damage (a
decompression bomb: a 1 MB gzip can expand to gigabytes). A block of NDJSON lines holds at
most MAX_BLOCK_LINES lines, however short. Together they bound the ingest's memory whatever
a sender sends. Override with HOOKHOUSE_MAX_RECORD_BYTES and HOOKHOUSE_MAX_FILE_BYTES (bytes).

The readers read these names when they start on a file, not when they are imported, so a
test can set them on this module.
"""

from __future__ import annotations

import os

MAX_RECORD_BYTES = int(os.environ.get("HOOKHOUSE_MAX_RECORD_BYTES", 64 * 1024 * 1024))
"""64 MiB: far above any hook message (a 45 MB record still ingests), far below memory.
An NDJSON line longer than this (its bytes before the newline) is read past in bounded
pieces, never held whole."""

MAX_FILE_DECOMPRESSED_BYTES = int(
    os.environ.get("HOOKHOUSE_MAX_FILE_BYTES", 64 * 1024 * 1024 * 1024)
)
"""64 GiB decompressed per landing file: a real dump is far smaller; a bomb stops here."""

COMPRESSION_RATIO_LIMIT = 1000
"""A compressed file expanding beyond this many times its size is a bomb; the rest of the
file is counted as damage (real gzipped NDJSON expands about 5-15 times)."""

RATIO_CHECK_BYTES = 64 * 1024 * 1024
"""The ratio is checked once this much has been decompressed: a small file of blank lines
compresses a thousandfold too, and is no threat."""

MAX_BLOCK_LINES = 1 << 18
"""At most this many lines go to the parser in one block: a block of 16 MiB of one-byte
lines would otherwise be 16 million records (and the parser's objects for each); hook
records of 200 bytes or more fill a block with a third as many."""
