"""Every file generated from the dataset registry and the definitions, written (or checked) in one command.

``make generate`` runs ``python -m orchestration.codegen``; ``--check`` writes nothing and exits 1 when a
committed file differs from what its generator renders (the tests run the check). The generators, in order:

1. the dbt sources YAML per system and the landing contracts macro (:mod:`orchestration.dbt_sources`);
2. the dataset reference, ``docs/datasets.md`` (:mod:`orchestration.docs`);
3. the GX suites, ``orchestration/quality/suites/*.json`` (:mod:`orchestration.quality.suites`; a suite no
   longer generated is removed);
4. ``docs/GATES.md`` (:mod:`orchestration.gates_doc`), from the Dagster definitions and the dbt manifest: the
   manifest is parsed again first when step 1 changed a dbt file.

Each generator is a function returning ``{path: text}`` (``None``: the file must not exist).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

Generator = Callable[[], dict[Path, str | None]]


@dataclass(frozen=True)
class Change:
    path: Path
    action: str
    """``write`` (missing or different) or ``remove`` (stale)."""


def changes(files: dict[Path, str | None]) -> list[Change]:
    """What applying ``files`` would change on disk (pure on the files: tested)."""
    out = []
    for path, text in files.items():
        if text is None:
            if path.exists():
                out.append(Change(path, "remove"))
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            out.append(Change(path, "write"))
    return out


def apply(files: dict[Path, str | None], found: list[Change]) -> None:
    for change in found:
        if change.action == "remove":
            change.path.unlink()
        else:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            change.path.write_text(files[change.path] or "", encoding="utf-8")


def _dbt_sources() -> dict[Path, str | None]:
    from orchestration import dbt_sources

    return dbt_sources.generated_files()


def _dataset_docs() -> dict[Path, str | None]:
    from orchestration import docs

    return docs.generated_files()


def _suites() -> dict[Path, str | None]:
    from orchestration.quality import suites

    return suites.generated_files()


def _gates_doc() -> dict[Path, str | None]:
    from orchestration import gates_doc

    return gates_doc.generated_files()


#: (name, generator, whether it reads the dbt manifest), in the order they run.
GENERATORS: tuple[tuple[str, Generator, bool], ...] = (
    ("dbt sources", _dbt_sources, False),
    ("dataset docs", _dataset_docs, False),
    ("GX suites", _suites, False),
    ("gates doc", _gates_doc, True),
)


def run(
    check: bool,
    generators: tuple[tuple[str, Generator, bool], ...] = GENERATORS,
    parse: Callable[[], object] | None = None,
) -> list[Change]:
    """Run ``generators``; write their files unless ``check``; return what differed. ``parse`` refreshes the dbt
    manifest before a generator that reads it, when an earlier one wrote a dbt file."""
    found: list[Change] = []
    for _name, generate, reads_manifest in generators:
        if reads_manifest and not check and any(c.path.is_relative_to(DBT_PROJECT_DIR) for c in found):
            (parse or _parse_manifest)()
        files = generate()
        differs = changes(files)
        if not check:
            apply(files, differs)
        found += differs
    return found


def _parse_manifest() -> None:
    from orchestration.dbt import prepare_manifest

    prepare_manifest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a generated file differs")
    args = parser.parse_args(argv)
    found = run(args.check)
    for change in found:
        verb = {"write": "differs", "remove": "stale"} if args.check else {"write": "wrote", "remove": "removed"}
        print(f"{verb[change.action]}: {change.path.relative_to(REPO_ROOT)}")
    if args.check and found:
        print("generated files are out of date: run `make generate`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
