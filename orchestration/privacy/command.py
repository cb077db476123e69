"""The `hookhouse forget` subcommand: its arguments, and erase-then-rebuild.

The rebuild is `hookhouse run --full-refresh` into a new warehouse file, the one way to
rebuild that needs no knowledge of which model holds what: everything downstream of bronze
is rebuilt from bronze, and a rebuild equals the incremental builds (tests/test_incremental.py).
It is given as `run`, because only the command line reaches the Dagster code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from orchestration.names import EXIT_BUSY
from orchestration.paths import DataHome
from orchestration.privacy.erasures import KeyMissing
from orchestration.privacy.forget import (
    clear_rebuild,
    discard_warehouse,
    forget,
    rebuild_pending,
)
from orchestration.privacy.identifiers import Identifier, Kind
from orchestration.warehouse.lock import WarehouseBusy, warehouse_lock

Run = Callable[..., int]
"""`orchestration.defs.run_command.run_pipeline`."""


def add_forget_arguments(parser: argparse.ArgumentParser) -> None:
    for flag, kind in (("--profile-id", "profile_id"), ("--email", "email"), ("--phone", "phone")):
        parser.add_argument(
            flag, dest=kind, action="append", default=[], metavar="VALUE",
            help=f"a {kind.replace('_', ' ')} of the person (repeat for more)",
        )  # fmt: skip
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help=f"exit (code {EXIT_BUSY}) instead of waiting when another run writes the warehouse",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the rebuild's log")


def identifiers_of(args: argparse.Namespace) -> list[Identifier]:
    kinds: tuple[Kind, ...] = ("profile_id", "email", "phone")
    return [Identifier(kind, value) for kind in kinds for value in getattr(args, kind)]


def forget_command(args: argparse.Namespace, run: Run) -> int:
    """Erase, then rebuild the warehouse when bronze changed (or an earlier rebuild is due)."""
    home = DataHome.from_env()
    try:
        identifiers = identifiers_of(args)
        if not identifiers:
            raise ValueError("name the person: --profile-id, --email or --phone")
        with warehouse_lock(home, wait=not args.no_wait, purpose="hookhouse forget"):
            print(forget(home, identifiers).summary())
            erasure = rebuild_pending(home)
            if erasure is None:
                print("bronze held none of these records, and the warehouse is up to date")
                return 0
            print("rebuilding the warehouse from bronze")
            discard_warehouse(home)
            code = run(home, verbose=args.verbose, full_refresh=True)
            if code == 0:
                clear_rebuild(home, erasure)
            return code
    except WarehouseBusy as busy:
        print(f"hookhouse forget: {busy}; run again when it has finished", file=sys.stderr)
        return EXIT_BUSY
    except (ValueError, KeyMissing) as error:
        print(f"hookhouse forget: {error}", file=sys.stderr)
        return 2
