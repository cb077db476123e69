"""A full disk and a read-only data home (issue 14, resource faults), on real file systems: a
tmpfs of a few megabytes that fills up during the run, then grows; the same mounted read-only,
then read-write again. Each fault ends the run with one clear line and no traceback, leaves
nothing half-written, and the run after the fault is fixed builds what an uninterrupted run
builds, table for table.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.paths import DataHome
from tests.ingest_helpers import event, line
from tests.test_cli import hookhouse
from tests.warehouse_checksums import differences, home_problems


def mount(folder: Path, options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def remount(folder: Path, options: str) -> None:
    done = subprocess.run(
        ["mount", "-o", f"remount,{options}", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs (root only: where it cannot be mounted, the test is skipped)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = mount(folder, "size=6m")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    made = hookhouse(DataHome(folder / "unused"), "generate", "--out", str(folder / "g"),
                     "--events", "1500", "--days", "2", "--seed", "3")  # fmt: skip
    assert made.returncode == 0, made.stderr
    return folder / "g"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> DataHome:
    home = DataHome(tmp_path_factory.mktemp("reference") / "home")
    shutil.copytree(landing, home.landing)
    done = hookhouse(home, "run")
    assert done.returncode == 0, done.stderr
    return home


def assert_told(done: subprocess.CompletedProcess[str], *said: str) -> None:
    told = done.stdout + done.stderr
    assert done.returncode != 0, told
    assert "Traceback" not in told, told
    for words in said:
        assert words in told, told


@pytest.mark.slow
def test_a_full_disk_is_named_and_the_run_after_space_is_freed_builds_it_all(
    small_disk: Path, landing: Path, reference: DataHome
) -> None:
    home = DataHome(small_disk / "home")
    shutil.copytree(landing, home.landing)  # about 1 MB of the 6
    full = hookhouse(home, "run")
    assert_told(full, f"the disk that holds {home.root} is full", "Free some space")
    remount(small_disk, "size=400m")
    again = hookhouse(home, "run")
    assert again.returncode == 0, again.stderr
    assert home_problems(home.root) == []
    assert differences(home.warehouse, reference.warehouse) == []


def test_a_read_only_data_home_is_named_before_anything_is_written(small_disk: Path) -> None:
    home = DataHome(small_disk / "home")
    home.landing.mkdir(parents=True)
    (home.landing / "a.ndjson").write_text(line(event()))
    remount(small_disk, "ro")
    refused = hookhouse(home, "run")
    assert_told(refused, f"{home.root} cannot be written (Read-only file system)",
                "point HOOKHOUSE_HOME at a writable folder")  # fmt: skip
    assert sorted(p.name for p in home.root.iterdir()) == ["landing"]  # nothing written
    remount(small_disk, "rw,size=400m")
    done = hookhouse(home, "run")
    assert done.returncode == 0, done.stderr
