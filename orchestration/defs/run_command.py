"""`hookhouse run`: the run job in-process on the persistent instance, one writer at a time,
dbt's progress in `logs/last-run.log`, and a short account of the run on the terminal."""

from __future__ import annotations

import contextlib
import sys
import traceback
from typing import Any

import dagster as dg

from orchestration.defs.dbt.config import dbt_run_config
from orchestration.defs.definitions import execute_run
from orchestration.defs.instance import dagster_home
from orchestration.defs.run_summary import describe_failure, describe_success
from orchestration.names import EXIT_BUSY
from orchestration.paths import DataHome
from orchestration.warehouse.lock import WarehouseBusy, warehouse_lock
from orchestration.warehouse.space import advice, unwritable, writable_folders


def dagster_instance(home: DataHome) -> dg.DagsterInstance:
    """A persistent Dagster instance under the data home, unless DAGSTER_HOME says otherwise.

    Point `dagster dev` at the same folder (`make dev` does) to see command-line runs in the UI.
    """
    dagster_home(home)
    return dg.DagsterInstance.get()


def run_pipeline(
    home: DataHome,
    *,
    verbose: bool = False,
    full_refresh: bool = False,
    dbt_vars: dict[str, Any] | None = None,
    wait: bool = True,
) -> int:
    """Ingest new landing files, then build and test every model; the process's exit code."""
    if (problem := unwritable(writable_folders(home.root))) is not None:
        print(f"hookhouse run: {problem}", file=sys.stderr)
        return 1
    try:
        return _run(home, verbose=verbose, full_refresh=full_refresh, dbt_vars=dbt_vars, wait=wait)
    except Exception as error:  # a write that failed outside any step (the Dagster instance)
        said = advice("".join(traceback.format_exception(error)), home.root)
        if said is None:
            raise
        print(f"hookhouse run: {said}", file=sys.stderr)
        return 1


def _run(
    home: DataHome,
    *,
    verbose: bool,
    full_refresh: bool,
    dbt_vars: dict[str, Any] | None,
    wait: bool,
) -> int:
    instance = dagster_instance(home)
    level = "INFO" if verbose else "CRITICAL"  # Otherwise the summary below says it all.
    run_config = {
        "loggers": {"console": {"config": {"log_level": level}}},
        "ops": dbt_run_config(full_refresh, dbt_vars),
    }
    log_path = home.root / "logs" / "last-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        try:  # One writer at a time (orchestration/warehouse/lock.py).
            stack.enter_context(warehouse_lock(home, wait=wait, purpose="hookhouse run"))
        except WarehouseBusy as busy:
            print(f"hookhouse run: {busy}; run again when it has finished", file=sys.stderr)
            return EXIT_BUSY
        if not verbose:  # dbt's progress lines go to the log file, not the terminal.
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(log_path.open("w"))))
        result = execute_run(instance, run_config, raise_on_error=False)
    if not result.success:
        failure = describe_failure(result)
        print(failure, file=sys.stderr)
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        if (said := advice(failure + log, home.root)) is not None:
            print(f"Why: {said}", file=sys.stderr)
        if not verbose:
            print(f"Full log: {log_path}", file=sys.stderr)
        return 1
    print(describe_success(result, home))
    return 0
