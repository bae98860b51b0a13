"""`make test` starts the longest modules first: with two pytest-xdist workers, a module of one long test left to
the end of the run (the Spark engine's nights) keeps one worker busy long after the other has finished."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from types import SimpleNamespace

from tests.conftest import LONGEST_FIRST, REPO, pytest_collection_modifyitems


def make_test_arguments() -> list[str]:
    """The arguments `make test` gives pytest (the recipe under ``test:`` in the Makefile)."""
    lines = (REPO / "Makefile").read_text().splitlines()
    recipe = lines[next(i for i, line in enumerate(lines) if line.startswith("test:")) + 1]
    args = shlex.split(recipe.replace("$(TEST_WORKERS)", "2"))
    return args[args.index("pytest") + 1 :]


def test_make_test_keeps_the_collection_order_of_modules():
    """xdist 3.7+ reorders ``--dist loadfile`` modules by their number of tests unless told not to, which puts a
    one-test module last whatever the collection order: the recipe must turn that off."""
    args = make_test_arguments()
    probe = (
        "import sys; from _pytest.config import _prepareconfig; c = _prepareconfig(sys.argv[1:]); "
        "print(c.option.dist, c.option.loadscopereorder)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *args], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["loadfile", "False"], out.stdout + out.stderr


def test_the_longest_modules_are_collected_first():
    names = ["tests/unit/test_a.py::test_x", "tests/integration/test_b.py::test_y"]
    names += [f"{m}::test_z" for m in reversed(LONGEST_FIRST)]
    items = [SimpleNamespace(nodeid=n) for n in names]
    pytest_collection_modifyitems(None, items)
    assert [i.nodeid.split("::")[0] for i in items[: len(LONGEST_FIRST)]] == list(LONGEST_FIRST)
    assert [i.nodeid for i in items[len(LONGEST_FIRST) :]] == names[:2]  # the rest keep their order
    assert all(re.fullmatch(r"tests/[\w/]+\.py", m) and (REPO / m).is_file() for m in LONGEST_FIRST)
