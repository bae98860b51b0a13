"""`make generate`: one command runs every generator; `--check` reports drift without writing."""

from __future__ import annotations

from pathlib import Path

from orchestration import codegen


def test_every_generated_file_is_current(dbt_manifest):
    """The committed dbt sources, contracts macro, dataset docs, GX suites and gates doc are what the generators
    render (run `make generate` after editing the registry, a mart gate or the dbt project)."""
    assert codegen.run(check=True) == []


def test_check_reports_drift_and_writes_nothing_then_generate_writes_and_removes(tmp_path):
    kept, changed, stale, missing = (tmp_path / n for n in ("kept.yml", "changed.yml", "stale.json", "sub/new.md"))
    kept.write_text("same\n")
    changed.write_text("edited by hand\n")
    stale.write_text("{}\n")
    files: dict[Path, str | None] = {kept: "same\n", changed: "rendered\n", stale: None, missing: "new\n"}
    generators = (("toy", lambda: files, False),)

    found = codegen.run(check=True, generators=generators)
    assert [(c.path.name, c.action) for c in found] == [
        ("changed.yml", "write"),
        ("stale.json", "remove"),
        ("new.md", "write"),
    ]
    assert changed.read_text() == "edited by hand\n" and stale.exists() and not missing.exists()

    codegen.run(check=False, generators=generators)
    assert changed.read_text() == "rendered\n" and not stale.exists() and missing.read_text() == "new\n"
    assert codegen.run(check=True, generators=generators) == []


def test_the_manifest_is_parsed_again_before_a_generator_that_reads_it_when_dbt_files_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(codegen, "DBT_PROJECT_DIR", tmp_path)
    parsed: list[bool] = []
    dbt_file = tmp_path / "models" / "_x__sources.yml"
    generators = (
        ("sources", lambda: {dbt_file: "v2\n"}, False),
        ("gates", lambda: {tmp_path.parent / "GATES.md": None}, True),
    )
    codegen.run(check=False, generators=generators, parse=lambda: parsed.append(True))
    assert parsed == [True]
    codegen.run(check=False, generators=generators, parse=lambda: parsed.append(True))
    assert parsed == [True], "nothing changed in dbt: no parse"
