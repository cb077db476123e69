"""The processes a run starts end with it, and those that write hold the warehouse lock.

A run starts processes of its own: the ingest's parse workers and dbt (and, through
Dagster, a `tail` of the step's log). A process killed with SIGKILL (the OOM killer, an
operator, a container stop) cleans nothing up: its children are handed to init and go on,
and dbt went on writing the warehouse with nobody holding `.warehouse.lock`.

- On Linux, each child hookhouse starts asks the kernel for SIGKILL when its parent ends
  (`prctl(PR_SET_PDEATHSIG)`, `die_with_parent`), then checks that the parent has not ended
  already (the race before the call). The signal follows the *thread* that started the child:
  hookhouse starts its children from the thread that then waits for them (a Dagster step runs
  in the main thread of its process), so it fires exactly when the starter is gone. Elsewhere
  this is a no-op.
- A child that writes (dbt, a parse worker) receives the very lock its parent holds
  (orchestration/warehouse/lock.py, `receive_lock`): the lock is let go only when the parent
  and every such child have ended, so a child that could outlive its parent still holds it.

dbt is started by dagster-dbt (`subprocess.Popen`, no hook to run code in the child), so it is
started through this module: `python -m orchestration.processes --parent PID
[--warehouse-lock ADDRESS] -- PROGRAM ARGS...` sets the signal, takes its share of the lock,
and becomes PROGRAM (exec: the same process, the same pid, the signal and the lock kept). It
imports nothing but the standard library and the lock module, so it costs a few
milliseconds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Sequence

from orchestration.warehouse.lock import LockUnavailable, receive_lock

PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal this process gets when its parent thread ends (linux/prctl.h)."""

EXIT_ORPHANED = 70
"""A guarded child whose parent ended before it could ask to end with it exits with this."""

EXIT_NO_LOCK = 71
"""A guarded writer that could not take its share of the warehouse lock exits with this."""

GUARD_MODULE = "orchestration.processes"


def die_with_parent(parent: int) -> bool:
    """End this process (SIGKILL) when `parent` ends; exit at once if it has already ended.

    Returns whether the kernel will send the signal: True on Linux, False elsewhere, where
    nothing is set up (the child then lives on, still holding any lock share it received).
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    if os.getppid() != parent:  # it ended before the call: the kernel will not tell
        os._exit(EXIT_ORPHANED)
    return True


def guarded_command(
    command: Sequence[str], *, lock_address: str | None, parent: int | None = None
) -> list[str]:
    """`command`, started through the guard: it ends with this process (Linux) and, given
    `lock_address` (lock.share_address()), holds this process's warehouse lock."""
    guard = [sys.executable, "-m", GUARD_MODULE, "--parent", str(parent or os.getpid())]
    if lock_address:
        guard += ["--warehouse-lock", lock_address]
    return [*guard, "--", *command]


def _parse(argv: Sequence[str]) -> tuple[int, str, list[str]]:
    """(parent, lock address, command) from the guard's arguments."""
    if "--" not in argv:
        raise SystemExit(f"usage: python -m {GUARD_MODULE} --parent PID [--warehouse-lock A] -- P")
    split = list(argv).index("--")
    options, command = list(argv[:split]), list(argv[split + 1 :])
    values = dict(zip(options[::2], options[1::2], strict=False))
    if "--parent" not in values or not command:
        raise SystemExit(f"{GUARD_MODULE}: --parent PID and a command are needed")
    return int(values["--parent"]), values.get("--warehouse-lock", ""), command


def main(argv: Sequence[str] | None = None) -> int:
    """The guard: end with the parent, take the lock share, become the command."""
    parent, address, command = _parse(sys.argv[1:] if argv is None else argv)
    die_with_parent(parent)
    if address:
        what = " ".join([os.path.basename(command[0]), *command[1:2]])
        try:
            for descriptor in receive_lock(address, what=what):
                os.set_inheritable(descriptor, True)  # kept across exec: held while it runs
        except LockUnavailable as error:
            print(f"hookhouse: {what} not started: {error}", file=sys.stderr, flush=True)
            return EXIT_NO_LOCK
    try:
        os.execv(command[0], command)
    except OSError as error:
        print(f"hookhouse: cannot start {command[0]}: {error}", file=sys.stderr, flush=True)
    return 127


if __name__ == "__main__":
    sys.exit(main())
