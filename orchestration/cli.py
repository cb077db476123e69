"""The `hookhouse` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from orchestration.names import EXIT_BUSY
from orchestration.paths import DataHome
from orchestration.privacy.command import add_forget_arguments, forget_command
from orchestration.privacy.forget import clear_rebuild, rebuild_pending
from orchestration.report.command import add_report_command
from orchestration.warehouse.target import Target, UnknownTarget, duckdb_only


def cmd_run(args: argparse.Namespace) -> int:
    """Ingest new landing files, then build and test every model, in-process.

    The command line imports no Dagster: the run is Dagster's, so its code is in
    `orchestration/defs/`, loaded only when this command runs.
    """
    from orchestration.defs.run_command import run_pipeline

    home = DataHome.from_env()
    erasure = rebuild_pending(home)  # a forget whose rebuild was cut short: finish it
    code = run_pipeline(
        home,
        verbose=args.verbose,
        full_refresh=args.full_refresh or erasure is not None,
        dbt_vars=args.dbt_vars,
        wait=not args.no_wait,
    )
    if code == 0 and erasure is not None:
        clear_rebuild(home, erasure)
    return code


def cmd_forget(args: argparse.Namespace) -> int:
    """Erase a person from bronze, then rebuild the warehouse from bronze (in-process)."""
    if (refusal := duckdb_only("forget")) is not None:
        print(refusal, file=sys.stderr)
        return 2

    def rebuild(home: DataHome, **options: Any) -> int:  # Dagster is loaded only if needed
        from orchestration.defs.run_command import run_pipeline

        return run_pipeline(home, **options)

    return forget_command(args, rebuild)


def cmd_generate(args: argparse.Namespace) -> int:
    """Write synthetic hook dumps."""
    from orchestration.generate import generate_dumps

    report = generate_dumps(
        Path(args.out),
        args.events,
        args.seed,
        days=args.days,
        start=args.start,
        duplicate_rate=args.duplicate_rate,
        late_rate=args.late_rate,
        malformed_rate=args.malformed_rate,
        layout=args.layout,
    )
    print(report.summary())
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    """Run one read-only SQL query on the configured target and print its rows."""
    from orchestration.warehouse.query import query_command

    return query_command(args.sql, args.format)


def cmd_serve(args: argparse.Namespace) -> int:
    """Receive Altcraft's HTTP hook batches into `landing/receiver/http/`."""
    from orchestration.receiver.serve import serve_command

    return serve_command(args)


def _add_receiver_commands(commands: Any) -> None:
    from orchestration.receiver.rabbitmq import add_consume_arguments, consume_command
    from orchestration.receiver.serve import add_serve_arguments

    serve = commands.add_parser(
        "serve", help="receive Altcraft's HTTP hook batches (JSON), durably, into landing/"
    )
    add_serve_arguments(serve)
    serve.set_defaults(handler=cmd_serve)
    consume = commands.add_parser("consume", help="consume hooks from a message broker")
    brokers = consume.add_subparsers(dest="broker", required=True)
    rabbitmq = brokers.add_parser(
        "rabbitmq", help="consume Altcraft's RabbitMQ queue or exchange binding into landing/"
    )
    add_consume_arguments(rabbitmq)
    rabbitmq.set_defaults(handler=consume_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hookhouse",
        description="An event-sourced warehouse for Altcraft action-hook events. "
        "The data home is $HOOKHOUSE_HOME (default: data/ under the repository).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="ingest new landing files, then build and test models")
    run.add_argument("-v", "--verbose", action="store_true", help="show Dagster's and dbt's log")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from bronze instead of only the days with new events",
    )
    run.add_argument(
        "--dbt-vars",
        type=json.loads,
        default={},
        help="more dbt --vars, as JSON (e.g. '{\"conversion_window_days\": 14}')",
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help=f"exit (code {EXIT_BUSY}) instead of waiting when another run writes the warehouse",
    )
    run.set_defaults(handler=cmd_run)

    generate = commands.add_parser("generate", help="write realistic synthetic hook dumps")
    generate.add_argument("--out", required=True, help="folder to write the dumps into")
    generate.add_argument("--events", type=int, required=True, help="how many events")
    generate.add_argument("--seed", type=int, default=1, help="same seed, same bytes")
    generate.add_argument("--days", type=int, default=30, help="days of events (default 30)")
    generate.add_argument(
        "--start", type=date.fromisoformat, default=date(2026, 10, 1), help="first event day"
    )
    generate.add_argument("--duplicate-rate", type=float, default=0.01)
    generate.add_argument("--late-rate", type=float, default=0.02)
    generate.add_argument("--malformed-rate", type=float, default=0.001)
    generate.add_argument(
        "--layout",
        choices=["mixed", "ndjson"],
        default="mixed",
        help="mixed: NDJSON, JSON batches and gzip; ndjson: one plain NDJSON file per day",
    )
    generate.set_defaults(handler=cmd_generate)

    add_report_command(commands)
    forget = commands.add_parser(
        "forget", help="erase a person's events from bronze and rebuild the warehouse"
    )
    add_forget_arguments(forget)
    forget.set_defaults(handler=cmd_forget)

    query = commands.add_parser(
        "query",
        help="run one read-only SQL query on the warehouse ($HOOKHOUSE_TARGET) and print the rows",
    )
    query.add_argument("sql", metavar="SQL", help="one SELECT (WITH, VALUES, SHOW, DESCRIBE ...)")
    query.add_argument(
        "--format",
        choices=["csv", "json"],
        default="csv",
        help="csv: a header row, then the rows (the default); json: one JSON object per line",
    )
    query.set_defaults(handler=cmd_query)
    _add_receiver_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        Target.from_env()  # a mistyped HOOKHOUSE_TARGET stops every command, before it starts
        return int(args.handler(args))
    except UnknownTarget as error:
        print(f"hookhouse: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
