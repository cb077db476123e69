"""The key personal data is hashed with (HMAC-SHA256): it lives outside the repository.

`$HOOKHOUSE_PII_KEY_FILE` names the file; otherwise `$HOOKHOUSE_HOME/secrets/pii.key`, created
on first use with 32 random bytes, readable by its owner only. With the key, the audit of
erasures (`erasures`) and the ingest can tell an erased person's records without keeping
who the person was: a keyed hash cannot be reversed, nor guessed without the key (a plain
hash of a phone number can: there are few enough numbers to try them all).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from orchestration.paths import DataHome

KEY_FILE_ENV = "HOOKHOUSE_PII_KEY_FILE"
KEY_BYTES = 32


def key_path(home: DataHome) -> Path:
    configured = os.environ.get(KEY_FILE_ENV)
    return Path(configured).expanduser() if configured else home.root / "secrets" / "pii.key"


def load_key(home: DataHome, *, create: bool = True) -> bytes | None:
    """The key; created (mode 0600) when missing and `create`, else None when missing."""
    path = key_path(home)
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        return _create_key(path)
    if len(key) < 16:
        raise ValueError(f"the personal-data key {path} is shorter than 16 bytes")
    return key


def _create_key(path: Path) -> bytes:
    """Write a new random key, exclusively: a concurrent creator's key wins, and is read."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
        file.flush()
        os.fsync(file.fileno())
    return key


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA256 of `text` (UTF-8), as hex."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
