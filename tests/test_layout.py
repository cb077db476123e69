"""The layout's rules, checked on the source: Dagster only in `orchestration/defs/`, small
modules and classes, no import cycles, no work at import, and `dg` loads the definitions."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "orchestration"
DEFS = PACKAGE / "defs"
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 250
DAGSTER_MODULES = ("dagster", "dagster_dbt", "dagster_webserver", "dagster_graphql")


def python_files() -> list[Path]:
    return sorted(
        path
        for folder in ("orchestration", "tests", "bench")
        for path in (REPO_ROOT / folder).rglob("*.py")
    )


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[str, ast.stmt]]:
    """Every module a file imports, anywhere in it (top level, functions, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}:{node.lineno}: a relative import; spell it out"
            target = node.module or ""
            yield target, node
            for alias in node.names:  # `from orchestration.ingest import bronze` is a module
                yield f"{target}.{alias.name}", node


def test_no_module_outside_defs_imports_dagster() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if DEFS in path.parents:
            continue
        for name, node in imports(path):
            top = name.split(".")[0]
            if top in DAGSTER_MODULES:
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} imports {name}")
            # The command line reaches the Dagster code only inside the `run` command.
            if name.startswith("orchestration.defs") and (
                path.name != "cli.py" or node.col_offset == 0
            ):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} imports {name}")
    assert not offenders, "Dagster code belongs in orchestration/defs/:\n" + "\n".join(offenders)


def test_no_module_or_class_is_too_long() -> None:
    long = []
    for path in python_files():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            long.append(f"{path.relative_to(REPO_ROOT)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    long.append(f"{path.relative_to(REPO_ROOT)}: class {node.name}, {size} lines")
    assert not long, (
        f"modules over {MAX_MODULE_LINES} or classes over {MAX_CLASS_LINES} lines:\n"
        + "\n".join(long)
    )


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {
            target for target, _ in imports(path) if target in modules and target != name
        }
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph, or [] when there is none (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_package_has_no_import_cycles() -> None:
    graph = import_graph()
    # A package's __init__ may re-export its modules; a module importing its own package's
    # __init__ for that is not a cycle of code, so drop package -> submodule edges.
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(f"{name}.")}
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_share_the_name_records() -> None:
    assert not [p for p in PACKAGE.rglob("records.py")]


def test_the_sql_lint_renders_models_with_the_project_vars() -> None:
    """.sqlfluff renders models with a copy of dbt_project.yml's vars (the jinja templater
    cannot read them): the copy must be the vars, so the lint sees the bronze layout dbt
    uses, and every macro of macros/ must be in its namespace list."""
    import configparser

    import yaml

    lint = configparser.ConfigParser(interpolation=None)
    lint.read(REPO_ROOT / ".sqlfluff", encoding="utf-8")
    context = lint["sqlfluff:templater:jinja:context"]
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert ast.literal_eval(context["project_vars"]) == project["vars"]
    namespaces = lint["sqlfluff:templater:jinja:macros"]["namespaces"]
    defined = {
        name
        for path in (REPO_ROOT / "macros").rglob("*.sql")
        for name in re.findall(r"{%-?\s*macro\s+(\w+)", path.read_text(encoding="utf-8"))
    }
    # default__ implementations (for engines other than DuckDB) are never rendered.
    missing = sorted(
        name
        for name in defined
        if f"{name}={name}" not in namespaces and not name.startswith("default__")
    )
    assert not missing, f"add to the namespaces of .sqlfluff: {missing}"


LIGHT_IMPORTS = """
import os, subprocess, sys
import dagster, dagster_dbt, duckdb, polars  # libraries may set variables (polars: jemalloc's)
before = dict(os.environ)
class NoDbt(subprocess.Popen):  # Dagster itself runs `file` at import; dbt must not run
    def __init__(self, args, *rest, **kwargs):
        assert "dbt" not in str(args), f"dbt started at import: {args}"
        super().__init__(args, *rest, **kwargs)
subprocess.Popen = NoDbt
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
assert dict(os.environ) == before, "importing changed the environment"
"""


def test_importing_what_needs_no_manifest_does_no_work(tmp_path: Path) -> None:
    """Every module but those that build the dbt assets: no dbt parse, no dbt process, no
    change of PATH or any other environment variable."""
    heavy = {
        "orchestration.defs.dbt.assets",
        "orchestration.defs.definitions",
        "orchestration.defs.run_command",
        "orchestration.__main__",
    }
    names = sorted(
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if module_name(path) not in heavy and not module_name(path).endswith("__main__")
    )
    env = {**os.environ, "DBT_TARGET_PATH": str(tmp_path / "target")}
    done = subprocess.run(
        [sys.executable, "-c", LIGHT_IMPORTS, *names],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "target").exists(), "importing parsed the dbt project"


@pytest.mark.slow
def test_dg_lists_the_definitions_without_the_test_canaries() -> None:
    """`dg list defs`, as a data engineer runs it (no test-suite settings): the assets and
    checks of the definitions, and none of the dbt canaries of tests/dbt/selftests/."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOOKHOUSE_DBT_SELFTESTS",)}
    env.pop("DBT_TARGET_PATH", None)
    env["VIRTUAL_ENV"] = str(Path(sys.executable).parent.parent)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "list", "defs", "--json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    listed = json.loads(done.stdout)
    assets = {asset["asset_key"] for asset in listed["assets"]}
    checks = {check["key"] for check in listed["asset_checks"]}
    assert {"landing/hook_dumps", "bronze/hook_events", "marts/campaign_performance"} <= assets
    assert "bronze/hook_events:reject_ratio" in checks
    assert "core/hook_events:unique_hook_events_event_id" in checks
    assert not [check for check in checks if "selftest" in check]
    assert {job["name"] for job in listed["jobs"]} >= {"hookhouse_run"}
