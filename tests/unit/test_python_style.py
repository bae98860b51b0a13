"""The Python of the repository keeps one style (`make lint` runs the same two commands, and sqlfluff)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = ("orchestration", "demo", "tests")
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.skipif(RUFF is None, reason="ruff is a dev dependency (make install installs it)")
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["rules", "format"])
def test_ruff_finds_nothing(command):
    out = subprocess.run([RUFF, *command, *TREES], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]


def test_no_module_outside_the_tests_is_over_600_lines():
    """A module over about 600 lines holds more than one concern (docs: the project's style)."""
    long = {
        str(p.relative_to(ROOT)): n
        for tree in ("orchestration", "demo")
        for p in (ROOT / tree).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}


def test_no_dbt_model_is_over_250_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "dbt_project" / "models").rglob("*.sql")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 250
    }
    assert long == {}


def test_every_pipeline_duckdb_connection_opens_within_the_memory_limit():
    """A connection opened without the limit takes DuckDB's default (80% of RAM) for its cache: the large
    release's Parquet export held 4.6 GB so. Every one goes through ``settings.connect_duckdb``."""
    direct = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in (ROOT / "orchestration").rglob("*.py")
        if p.name != "settings.py"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if "duckdb.connect(" in line
    ]
    assert direct == []


def test_connect_duckdb_sets_the_memory_limit(tmp_path, monkeypatch):
    from orchestration.settings import MEMORY_LIMIT_ENV, connect_duckdb

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "2GB")
    for con in (connect_duckdb(), connect_duckdb(tmp_path / "x.duckdb")):
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        con.close()
        assert limit == "1.5 GiB"  # 85% of 2 GB, as DuckDB prints it
