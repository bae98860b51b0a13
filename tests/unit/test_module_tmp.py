"""The suite's own disk hygiene: a module's scratch directories (``module_tmp`` in tests/conftest.py) go when the
module ends, and stay for a look when one of its tests failed (a CI machine once ran out of disk)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MAKES = """
from pathlib import Path

def test_makes_a_scratch_dir(module_tmp):
    made = module_tmp("night")
    (made / "roi.duckdb").write_bytes(b"x" * 1024)
    Path("made.txt").write_text(str(made))
"""
FAILS = """
def test_fails():
    assert {outcome}
"""
LOOKS = """
from pathlib import Path

def test_the_first_modules_dir(module_tmp):
    Path("exists.txt").write_text(str(Path(Path("made.txt").read_text()).exists()))
"""


def _inner_session(tmp_path: Path, outcome: str) -> bool:
    """Run two modules in a pytest session of their own; whether the first one's scratch dir was there when
    the second one ran."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import module_tmp  # noqa: F401\n")
    (tmp_path / "test_a_night.py").write_text(MAKES + FAILS.format(outcome=outcome))
    (tmp_path / "test_b_after.py").write_text(LOOKS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "--basetemp",
            str(tmp_path / "basetemp"),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return (tmp_path / "exists.txt").read_text() == "True"


def test_a_modules_scratch_dir_goes_when_the_module_ends(tmp_path):
    assert not _inner_session(tmp_path, "True")


def test_a_modules_scratch_dir_stays_when_one_of_its_tests_failed(tmp_path):
    assert _inner_session(tmp_path, "False")
