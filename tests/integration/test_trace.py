"""Row-level lineage on the shared demo run: every mart declares a trace over relations and columns the
published file really has, a sample row of every mart traces to raw lines whose content is really in the raw
file at that line, an efficiency-ledger row reaches its FOCUS billing lines, and `roi-ledger trace` refuses what
it cannot trace (unknown mart, unknown or missing key column, no such row) with the exit codes it documents."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.lineage.trace.command import add_trace_parser
from orchestration.lineage.trace.declarations import MART_SCHEMA, Step, check_declarations, load_catalog
from orchestration.lineage.trace.walker import RawLine, trace_row
from orchestration.settings import DBT_PROJECT_DIR, Paths

#: The marts the brief names (more may come: every mart of the manifest is checked, these must be among them).
EXPECTED_MARTS = {
    "dim_ai_system",
    "dim_identity",
    "fct_ai_system_risk",
    "fct_ai_usage",
    "fct_attribution_coverage",
    "fct_control_coverage",
    "fct_cost_lines",
    "fct_defensive_roi",
    "fct_delivery_performance",
    "fct_efficiency_roi",
    "fct_policy_decisions",
    "fct_productivity_roi",
    "fct_roi_portfolio",
    "fct_roi_scenario_quarantine",
    "fct_roi_scenario_rollups",
    "fct_roi_scenario_sensitivity",
    "fct_roi_scenarios",
    "map_control_framework",
}
#: Which row of a mart to sample (a row with inputs: a dense grid month without activity has none).
SAMPLES = {
    "dim_ai_system": "system_type = 'registered'",
    "dim_identity": "is_in_inventory",
    "fct_attribution_coverage": "grain = 'day' and source_dataset like 'usage/%'",  # CSV and JSON lines files
    "fct_control_coverage": "decision_count > 0",
    "fct_defensive_roi": "row_type = 'benefit'",
    "fct_delivery_performance": "deployment_count > 0",
    "fct_efficiency_roi": "cost_line_count > 0 and toil_teams is not null",
    "fct_productivity_roi": "metric = 'lead_time'",
    "fct_roi_scenario_rollups": "rollup_level = 'ai_system'",
    "fct_roi_scenarios": "input_origin = 'scenario_library'",
}


@pytest.fixture(scope="module")
def demo(published_demo) -> Paths:
    data_dir, rc, _ = published_demo
    assert rc == 0, "the demo run must publish"
    return Paths(data_dir)


@pytest.fixture(scope="module")
def catalog(dbt_manifest):
    return load_catalog(json.loads(Path(dbt_manifest).read_text()))


def _published(paths: Paths) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(paths.published_db), read_only=True)


def _sample_keys(paths: Paths, catalog, mart: str) -> dict[str, str] | None:
    key = catalog[f"{MART_SCHEMA}.{mart}"].key
    con = _published(paths)
    try:
        rows = con.execute(
            f"SELECT {', '.join(key)} FROM marts.{mart} WHERE {SAMPLES.get(mart, 'true')} ORDER BY ALL LIMIT 1"
        ).fetchall()
    finally:
        con.close()
    return {k: ("" if v is None else str(v)) for k, v in zip(key, rows[0], strict=True)} if rows else None


def _physical_lines(path: Path) -> list[str]:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return [line.rstrip("\r") for line in data.decode("utf-8-sig").split("\n")]


def _really_there(rl: RawLine) -> bool:
    """Checks a traced line against the file with a reading of its own (not the tracer's)."""
    path = Path(rl.path)
    if rl.content is None or not path.exists():
        return False
    if rl.format in ("csv", "jsonl"):
        lines = _physical_lines(path)
        span = lines[rl.line - 1 : (rl.end_line or rl.line)]
        return "\n".join(span).replace("\r\n", "\n") == rl.content.replace("\r\n", "\n")
    if rl.format == "parquet":
        row = pq.read_table(path).slice(rl.line - 1, 1).to_pylist()[0]
        return json.loads(rl.content).get("Id") == row.get("Id")
    return False


def test_every_mart_declares_a_trace_over_published_relations_and_columns(demo, catalog):
    marts = {n.split(".", 1)[1] for n, r in catalog.items() if r.schema == MART_SCHEMA}
    assert marts >= EXPECTED_MARTS
    assert check_declarations(catalog) == []
    con = _published(demo)
    try:
        published: dict[str, set[str]] = {}
        for schema, table, column in con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns"
        ).fetchall():
            published.setdefault(f"{schema}.{table}", set()).add(column)
    finally:
        con.close()

    def columns(name: str) -> set[str]:
        rel = catalog[name]
        return set(rel.columns) if rel.kind == "seed" else published.get(name, set())

    def walk(row: str, steps: tuple[Step, ...], seen: set[str]) -> None:
        for step in steps:
            assert catalog[step.relation].kind == "seed" or step.relation in published, step.relation
            assert {c.column for c in step.match} <= columns(step.relation), (row, step)
            row_columns = {rc for c in step.match for rc in c.row_columns()} | {c for c, _ in step.when}
            assert row_columns <= columns(row), (row, step)
            rel = catalog[step.relation]
            if step.then:
                walk(step.relation, step.then, seen)
            elif rel.steps and (step.recurse or not rel.has_provenance) and step.relation not in seen:
                walk(step.relation, rel.steps, seen | {step.relation})

    for mart in sorted(marts):
        rel = catalog[f"{MART_SCHEMA}.{mart}"]
        assert rel.steps and rel.key, mart
        assert set(rel.key) <= columns(rel.name), mart
        walk(rel.name, rel.steps, {rel.name})


@pytest.mark.parametrize("mart", sorted(EXPECTED_MARTS))
def test_a_sample_row_of_every_mart_traces_to_lines_really_in_the_raw_files(demo, catalog, mart):
    keys = _sample_keys(demo, catalog, mart)
    if keys is None:
        assert mart == "fct_roi_scenario_quarantine", f"{mart} has no row to sample"
        pytest.skip("the demo run quarantines no scenario (tests/unit/test_trace.py traces quarantine rows)")
    result = trace_row(demo, mart, keys, limit=25)
    assert result.total_lines >= 1, (mart, keys, result.steps)
    checked = [rl for rl in result.lines if _really_there(rl)]
    assert checked, (mart, keys, [(rl.file, rl.line, rl.format, rl.note) for rl in result.lines])
    for rl in result.lines:
        if rl.format in ("csv", "jsonl") and rl.origin == "raw":
            assert _really_there(rl), (mart, rl)
    assert not [w for w in result.warnings if "predates" in w], result.warnings


def test_an_efficiency_row_traces_to_its_focus_billing_lines(demo):
    con = _published(demo)
    try:
        month = con.execute(
            "SELECT month FROM marts.fct_efficiency_roi WHERE ai_system_id = 'ais-copilot' "
            "AND cost_line_count > 0 ORDER BY month LIMIT 1"
        ).fetchall()[0][0]
        billed = set(
            con.execute(
                "SELECT _source_file, _line FROM marts.fct_cost_lines WHERE ai_system_id = ? AND billing_month = ?",
                ["ais-copilot", month],
            ).fetchall()
        )
    finally:
        con.close()
    assert billed
    result = trace_row(
        demo, "fct_efficiency_roi", {"ai_system_id": "ais-copilot", "month": month.isoformat()}, limit=100_000
    )
    focus = {(rl.file, rl.line) for rl in result.lines if rl.file.startswith("billing/focus/")}
    assert billed <= focus
    first = next(s for s in result.steps if s.note.startswith("cost lines billed in the month"))
    assert first.lines == len(billed)
    assert all(_really_there(rl) for rl in result.lines if (rl.file, rl.line) in billed)


def test_an_identity_traces_keys_seen_in_several_sources(demo):
    con = _published(demo)
    try:
        identity_id, datasets = con.execute(
            "SELECT identity_id, source_datasets FROM marts.dim_identity WHERE is_in_inventory "
            "ORDER BY length(source_datasets) - length(replace(source_datasets, ';', '')) DESC, identity_id "
            "LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()
    result = trace_row(demo, "dim_identity", {"identity_id": identity_id}, limit=100_000)
    folders = {"/".join(rl.file.split("/")[:2]) for rl in result.lines}
    observed = set(datasets.split(";")) - {"iam/identity_inventory"}
    assert len(folders & observed) >= 2, (datasets, folders)
    assert "iam/identity_inventory" in folders


def test_a_library_scenario_traces_to_its_seed_line(demo, capsys):
    con = _published(demo)
    try:
        scenario_id = con.execute(
            "SELECT scenario_id FROM marts.fct_roi_scenarios WHERE input_origin = 'scenario_library' ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
    finally:
        con.close()
    result = trace_row(demo, "fct_roi_scenarios", {"scenario_id": scenario_id})
    seed = [rl for rl in result.lines if rl.origin == "seed" and rl.file == "seeds/scenario_library.csv"]
    assert len(seed) == 1 and seed[0].content.startswith(scenario_id.split(":")[0] + ",")
    assert Path(seed[0].path) == DBT_PROJECT_DIR / "seeds" / "scenario_library.csv"
    assert (
        _run(["--data-dir", str(demo.data_dir), "--mart", "fct_roi_scenarios", "--key", f"scenario_id={scenario_id}"])
        == 0
    )
    assert "a seed file of the dbt project, not a raw export" in capsys.readouterr().out


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roi-ledger")
    add_trace_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["trace", *argv])
    return args.func(args)


def test_the_command_prints_text_and_json_and_leaves_the_files_alone(demo, published_demo, capsys):
    from tests.conftest import tree_hashes

    _, _, raw_before = published_demo
    before = tree_hashes(demo.published_dir)
    con = _published(demo)
    try:
        month = (
            con.execute(
                "SELECT min(month) FROM marts.fct_efficiency_roi WHERE ai_system_id = 'ais-copilot' "
                "AND cost_line_count > 0"
            )
            .fetchall()[0][0]
            .isoformat()
        )
    finally:
        con.close()
    base = [
        "--data-dir",
        str(demo.data_dir),
        "--mart",
        "fct_efficiency_roi",
        "--key",
        "ai_system_id=ais-copilot",
        "--key",
        f"month={month}",
    ]
    assert _run([*base, "--limit", "3"]) == 0
    text = capsys.readouterr().out
    assert "raw/billing/focus/" in text and "shown" in text
    assert _run([*base, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["mart"] == "fct_efficiency_roi" and doc["total_lines"] >= 1
    assert any(line["file"].startswith("billing/focus/") for line in doc["lines"])
    assert tree_hashes(demo.published_dir) == before
    assert {k: v[0] for k, v in tree_hashes(demo.raw).items()} == {k: v[0] for k, v in raw_before.items()}


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--mart", "fct_nope", "--key", "a=b"], 2, "unknown mart 'fct_nope'; the marts: dim_ai_system"),
        (
            ["--mart", "fct_efficiency_roi", "--key", "ai_system_id=ais-copilot", "--key", "colour=red"],
            2,
            "marts.fct_efficiency_roi has no column colour; its key: --key ai_system_id=... --key month=...",
        ),
        (
            ["--mart", "fct_efficiency_roi", "--key", "ai_system_id=ais-copilot"],
            2,
            "incomplete key for marts.fct_efficiency_roi: missing month",
        ),
        (
            ["--mart", "fct_efficiency_roi", "--key", "ai_system_id=ais-nope", "--key", "month=2026-03-01"],
            1,
            "no row of marts.fct_efficiency_roi with ai_system_id='ais-nope', month='2026-03-01'",
        ),
        (["--mart", "fct_efficiency_roi", "--key", "ai_system_id"], 2, "--key takes COLUMN=VALUE"),
    ],
)
def test_refusals(demo, capsys, argv, code, message):
    assert _run(["--data-dir", str(demo.data_dir), *argv]) == code
    assert message in capsys.readouterr().err
