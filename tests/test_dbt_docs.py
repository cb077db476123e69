"""`dbt docs generate` works on a built warehouse and documents every mart and its columns."""

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
MARTS = sorted(path.stem for path in (REPO_ROOT / "models" / "marts").rglob("*.sql"))


@pytest.mark.slow
def test_docs_generate_documents_every_mart_and_its_columns(
    generated_home: DataHome, tmp_path: Path
) -> None:
    # dbt opens the warehouse to write: give it a copy, so the shared one stays untouched.
    home = DataHome(tmp_path / "home")
    home.root.mkdir()
    shutil.copy(generated_home.warehouse, home.warehouse)
    target = tmp_path / "target"
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root), "DBT_PROFILES_DIR": str(REPO_ROOT)}
    done = subprocess.run(
        [DBT, "docs", "generate", "--target-path", str(target), "--log-path", str(tmp_path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "index.html").is_file()
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]

    assert len(MARTS) >= 6
    for mart in MARTS:
        node_id = f"model.hookhouse.{mart}"
        documented = manifest[node_id]
        assert documented["schema"] == "marts"
        assert documented["description"].strip(), f"{mart} has no description"
        assert "{{" not in documented["description"], f"{mart}: doc block not rendered"
        described = {
            name.lower(): column["description"].strip()
            for name, column in documented["columns"].items()
        }
        built = {name.lower() for name in catalog[node_id]["columns"]}
        assert built, f"{mart} is not in the catalog"
        assert built == set(described), f"{mart}: built and documented columns differ"
        undescribed = sorted(name for name, text in described.items() if not text)
        assert undescribed == [], f"{mart}: columns without a description"
