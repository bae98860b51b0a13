"""docs/GATES.md lists every check the definitions hold and every threshold var: regenerated, never stale."""

from __future__ import annotations

from orchestration.gates_doc import OUT, dbt_vars_with_comments, render


def test_gates_doc_is_up_to_date(dbt_manifest):
    assert OUT.read_text() == render(), "docs/GATES.md is out of date: run `make generate`"


def test_every_threshold_var_has_a_meaning():
    found = {name: meaning for name, _, meaning in dbt_vars_with_comments()}
    assert {"attribution_coverage_min", "unclassified_ai_spend_max", "horizon_years"} <= set(found)
    missing = [name for name, meaning in found.items() if not meaning]
    assert not missing, f"vars without a comment in dbt_project.yml: {missing}"


def test_var_parser_reads_comments_defaults_and_stops_at_the_block_end(tmp_path):
    yml = tmp_path / "dbt_project.yml"
    yml.write_text(
        "name: x\nvars:\n  # Gate: the minimum.\n  # Second line.\n  a_min: 0.9\n\n  b: null\nmodels:\n  c: 1\n"
    )
    assert dbt_vars_with_comments(yml) == [("a_min", "0.9", "Gate: the minimum. Second line."), ("b", "null", "")]
