"""dbt's unit tests pass. `hookhouse run` leaves them out (they check the SQL on fixed
inputs, not the data), so this is where they run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.paths import REPO_ROOT, DataHome

DBT = str(Path(sys.executable).with_name("dbt"))


@pytest.mark.slow
def test_every_dbt_unit_test_passes(generated_home: DataHome, tmp_path: Path) -> None:
    # Unit tests of incremental models read the built table's columns (`this`): they run on
    # a copy of a built warehouse, so the shared one stays untouched.
    home = DataHome(tmp_path / "home")
    home.root.mkdir()
    shutil.copy(generated_home.warehouse, home.warehouse)
    home.bronze.symlink_to(generated_home.bronze, target_is_directory=True)
    target = tmp_path / "target"
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root), "DBT_PROFILES_DIR": str(REPO_ROOT)}
    done = subprocess.run(
        [DBT, "test", "--select", "test_type:unit", "--target-path", str(target),
         "--log-path", str(tmp_path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr
    defined = json.loads((target / "manifest.json").read_text())["unit_tests"]
    results = {
        result["unique_id"]: result["status"]
        for result in json.loads((target / "run_results.json").read_text())["results"]
        if result["unique_id"].startswith("unit_test.")  # not the project's on-run-start hook
    }
    assert len(defined) >= 15
    assert set(results) == set(defined)
    assert set(results.values()) == {"pass"}
