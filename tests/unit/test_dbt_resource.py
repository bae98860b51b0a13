"""The dbt resource runs dbt as a subprocess only: no dbt adapter is built in the run's own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.childguard import PARENT_PID_ENV
from orchestration.dbt import SubprocessDbtCliResource, dbt_resource

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter: invoke dbt through the resource, then say whether dbt's runtime config (what the
# in-process adapter is built from) was ever imported into this process.
PROBE = """
import sys
from orchestration.dbt import DBT_PROJECT_DIR, DbtCliResource, dbt_executable, dbt_project, dbt_resource
resource = dbt_resource() if sys.argv[1] == "ours" else DbtCliResource(
    project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
invocation = resource.cli(["--version"], raise_on_error=True)
invocation.wait()
print("in-process adapter:", "dbt.config.runtime" in sys.modules)
"""


def _fresh_env() -> dict[str, str]:
    """A fresh interpreter's environment: no parent pid left by an earlier in-process night of this session (dbt's
    launcher would die with a process that is not its parent), and this interpreter's scripts first on PATH."""
    env = {k: v for k, v in os.environ.items() if k != PARENT_PID_ENV}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_pipeline_uses_the_subprocess_only_resource():
    assert isinstance(dbt_resource(), SubprocessDbtCliResource)


@pytest.mark.parametrize("which, built", [("ours", False), ("stock", True)])
def test_a_dbt_invocation_builds_no_adapter_in_the_run_process(which, built):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, which], cwd=ROOT, env=_fresh_env(), capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"in-process adapter: {built}" in out.stdout


def test_the_version_is_the_executables_without_starting_dbt(monkeypatch):
    import dagster_dbt.core.resource as stock

    resource = dbt_resource()
    said = subprocess.run(
        [resource.dbt_executable, "--version"], env=_fresh_env(), capture_output=True, text=True, timeout=300
    )
    assert said.returncode == 0, said.stderr[-2000:]

    def no_dbt(*_a, **_k):
        raise AssertionError("dbt was started to read its version")

    monkeypatch.setattr(stock, "check_output", no_dbt)
    assert f"installed: {resource._cli_version}" in said.stdout.replace("- installed:", "installed:")
    with pytest.raises(AssertionError, match="started"):  # the stock resource does start it
        _ = stock.DbtCliResource(project_dir=resource.project_dir, dbt_executable=resource.dbt_executable)._cli_version
