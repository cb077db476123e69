"""Who may post hooks: bearer tokens and shared-secret headers, and a rate per token.

Tokens come from `HOOKHOUSE_RECEIVER_TOKENS` (comma-separated) and from a token file (one a
line; blank lines and `#` comments skipped). The file is read again when it changes, so a new
token can be added, the sender switched over, and the old one removed, with no restart. A
request names its token as `Authorization: Bearer <token>` or `X-Hookhouse-Token: <token>`;
it is compared with every known token in constant time. A token is never logged: logs and
metrics name it by `fingerprint`, the first 12 hex digits of its SHA-256.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

TOKENS_ENV = "HOOKHOUSE_RECEIVER_TOKENS"
MIN_TOKEN_LENGTH = 16


class TokenError(ValueError):
    """The configured tokens cannot be used (none, too short, unreadable file)."""


def fingerprint(token: str) -> str:
    """A name for a token that does not reveal it."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def _parse_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TokenError(f"{path}: cannot read the token file: {error}") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _checked(tokens: list[str], origin: str) -> list[str]:
    for index, token in enumerate(tokens, 1):
        if len(token) < MIN_TOKEN_LENGTH:
            raise TokenError(
                f"{origin}: token {index} is {len(token)} characters; "
                f"at least {MIN_TOKEN_LENGTH} are needed"
            )
        if not token.isascii() or not token.isprintable() or " " in token:
            raise TokenError(f"{origin}: token {index} has a space or a non-printable character")
    return tokens


@dataclass
class Tokens:
    """The tokens the receiver accepts, from the environment and a token file."""

    from_env: list[str]
    file: Path | None = None
    _from_file: list[str] = field(default_factory=list)
    _file_stamp: tuple[int, int] | None = None
    _checked_at: float = 0.0

    @classmethod
    def load(cls, file: Path | None, environ: dict[str, str] | None = None) -> Tokens:
        """The configured tokens; `TokenError` when there are none or one is unusable."""
        raw = (environ if environ is not None else dict(os.environ)).get(TOKENS_ENV, "")
        env_tokens = _checked([part.strip() for part in raw.split(",") if part.strip()], TOKENS_ENV)
        tokens = cls(env_tokens, file)
        tokens.reload()
        if not tokens.all():
            where = f"{TOKENS_ENV} or --token-file"
            raise TokenError(f"no receiver token is configured: set {where}")
        return tokens

    def reload(self) -> None:
        """Read the token file again if it changed (a missing file means no file tokens)."""
        if self.file is None:
            return
        try:
            stat = self.file.stat()
        except FileNotFoundError:
            self._from_file, self._file_stamp = [], None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._file_stamp:
            self._from_file = _checked(_parse_file(self.file), str(self.file))
            self._file_stamp = stamp

    def all(self) -> list[str]:
        return self.from_env + self._from_file

    def match(self, presented: str | None) -> str | None:
        """The fingerprint of the known token equal to `presented`, else None."""
        now = time.monotonic()
        if now - self._checked_at >= 1.0:  # a changed token file counts within a second
            self._checked_at = now
            with contextlib.suppress(TokenError):  # a broken edit keeps the tokens read before
                self.reload()
        if not presented:
            return None
        given = presented.encode()
        found = None
        for token in self.all():  # every token compared, so timing tells nothing
            if hmac.compare_digest(given, token.encode()):
                found = token
        return fingerprint(found) if found is not None else None


def presented_token(authorization: str | None, shared_secret: str | None) -> str | None:
    """The token a request presents, from `Authorization: Bearer` or `X-Hookhouse-Token`."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if shared_secret and shared_secret.strip():
        return shared_secret.strip()
    return None


@dataclass
class RateLimiter:
    """A token bucket per sender: `rate` requests a second on average, bursts of `burst`."""

    rate: float
    burst: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def retry_after(self, key: str) -> int:
        """0 if a request of `key` may go now (and count it), else the seconds to wait."""
        if self.rate <= 0:
            return 0
        now = time.monotonic()
        level, then = self._buckets.get(key, (self.burst, now))
        level = min(self.burst, level + (now - then) * self.rate)
        if level >= 1.0:
            self._buckets[key] = (level - 1.0, now)
            return 0
        self._buckets[key] = (level, now)
        return max(1, math.ceil((1.0 - level) / self.rate))
