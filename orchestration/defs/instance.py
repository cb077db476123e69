"""The Dagster instance hookhouse records to: `$DAGSTER_HOME`, else `$HOOKHOUSE_HOME/dagster`.

`hookhouse run` and `make dev` (`python -m orchestration.defs.instance` prints the folder) both set
it up, so runs from the command line show in the UI, and the UI's run queue lets one run at a
time write the warehouse (tag `hookhouse/warehouse: writer`, limit 1).
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.names import WRITER_TAG
from orchestration.paths import DataHome

DAGSTER_YAML = f"""\
# Written by hookhouse (orchestration/defs/instance.py); edit freely, hookhouse will not rewrite it.
telemetry:
  enabled: false
# DuckDB allows one writing process: queued runs that write the warehouse start one at a time.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: "{WRITER_TAG[0]}"
        value: "{WRITER_TAG[1]}"
        limit: 1
"""


def dagster_home(home: DataHome) -> Path:
    """The instance folder, set up; `DAGSTER_HOME` is set to it for this process."""
    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(home.root / "dagster")
    folder = Path(os.environ["DAGSTER_HOME"])
    folder.mkdir(parents=True, exist_ok=True)
    settings = folder / "dagster.yaml"
    if not settings.exists():
        settings.write_text(DAGSTER_YAML)
    elif WRITER_TAG[0] not in (text := settings.read_text()) and "concurrency:" not in text:
        settings.write_text(
            text.rstrip("\n") + "\n" + DAGSTER_YAML[DAGSTER_YAML.index("# DuckDB") :]
        )
    return folder


if __name__ == "__main__":
    print(dagster_home(DataHome.from_env()))
