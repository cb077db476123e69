"""glibc malloc tuning for generator runs: keep freed memory in the process.

The generator allocates and frees a lot of short-lived memory; on VMs with free-page
reporting (like this project's machines) every page handed back costs a fault when it is
touched again, which made the generator 2-3x slower. Worker processes keep the setting; the
calling process gets glibc's defaults back when the run ends.
"""

from __future__ import annotations

import contextlib

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
TUNED = {M_TRIM_THRESHOLD: 128 << 20, M_TOP_PAD: 32 << 20, M_MMAP_THRESHOLD: 32 << 20}
GLIBC_DEFAULTS = {M_TRIM_THRESHOLD: 128 << 10, M_TOP_PAD: 128 << 10, M_MMAP_THRESHOLD: 128 << 10}


def mallopt(settings: dict[int, int]) -> None:
    """Set glibc malloc parameters; silently nothing where glibc is not there."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        for param, value in settings.items():
            libc.mallopt(param, value)


def tune_malloc() -> None:
    """Keep freed memory in the process instead of handing it back to the OS."""
    mallopt(TUNED)


def restore_malloc() -> None:
    """glibc's defaults again."""
    mallopt(GLIBC_DEFAULTS)
