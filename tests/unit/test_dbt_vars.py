"""dbt vars have one default: the ``vars`` block of ``dbt_project/dbt_project.yml`` (each documented there and in
docs/GATES.md). A default repeated in a model would drift from it the day one of the two is changed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orchestration.settings import DBT_PROJECT_DIR

#: A var() call: its name and, when one is given, its inline default.
VAR_CALL = re.compile(r"""\bvar\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*(,\s*[^)]+)?\)""")
FOLDERS = ("models", "macros", "tests", "analyses", "seeds")


def var_calls(text: str) -> list[tuple[str, bool]]:
    """(name, has an inline default) of every var() call in ``text`` (pure: tested)."""
    return [(m.group(1), m.group(2) is not None) for m in VAR_CALL.finditer(text)]


def project_files(root: Path) -> list[Path]:
    return sorted(
        p
        for folder in FOLDERS
        for p in (root / folder).rglob("*")
        if p.suffix in (".sql", ".yml", ".yaml") and p.is_file()
    )


def test_no_var_repeats_or_lacks_the_projects_default():
    defined = set(yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"])
    repeated, undefined = [], []
    for path in project_files(DBT_PROJECT_DIR):
        for name, has_default in var_calls(path.read_text(encoding="utf-8")):
            where = f"{path.relative_to(DBT_PROJECT_DIR)}: {name}"
            if name in defined and has_default:
                repeated.append(where)
            elif name not in defined:
                undefined.append(where)
    assert not repeated, f"defaults repeated beside dbt_project.yml's: {repeated}"
    assert not undefined, f"vars used but not defined in dbt_project.yml: {undefined}"


def test_var_calls_are_read_with_and_without_defaults():
    text = """{{ var('discount_rate', 0.10) }} {{ var("as_of") }} {{ var( 'x' , none ) }} variance('y')"""
    assert var_calls(text) == [("discount_rate", True), ("as_of", False), ("x", True)]
