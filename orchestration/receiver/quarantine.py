"""Bodies that are not hook batches, kept whole: `$HOOKHOUSE_HOME/quarantine/<source>/<day>/`.

Each is two files, written durably before the sender gets its answer: `<id>.body`, the bytes
as received, and `<id>.json`, why it was refused and how it came (request id, time, source
details such as the remote address or the routing key; never a credential).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from orchestration.receiver.landing_writer import LandingUnavailable, WriterLimits, write_durably


def keep(
    quarantine: Path,
    source: str,
    message_id: str,
    body: bytes,
    reason: str,
    details: dict[str, Any],
    limits: WriterLimits,
) -> Path:
    """Keep `body` with its reason; the path of the `.body` file.

    Raises `LandingUnavailable` when the quarantine cannot be written (then nothing is kept).
    """
    now = datetime.now(UTC)
    folder = quarantine / source / now.strftime("%Y-%m-%d")
    about = {"id": message_id, "received_at": now.isoformat(), "reason": reason, **details}
    kept = write_durably(folder, f"{message_id}.body", [body], limits)
    try:
        write_durably(folder, f"{message_id}.json", [orjson.dumps(about) + b"\n"], limits)
    except LandingUnavailable:
        kept.path.unlink(missing_ok=True)  # a body without its reason is not kept
        raise
    return kept.path
