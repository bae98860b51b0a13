"""Row-level lineage (orchestration/lineage/trace/) without a pipeline run: the declaration vocabulary, the checks of
declarations, raw-line reading numbered as the ingest readers number it, and whole traces over a small
synthetic published file, manifest and raw directory (every operator, refusals, the line cap)."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.datasets import OPENAI_USAGE, SECRETS_INVENTORY
from orchestration.ingest import readers
from orchestration.ingest.raw_records import read_raw_records as read_records
from orchestration.lineage.trace.command import format_result, parse_key_args
from orchestration.lineage.trace.declarations import (
    Condition,
    DeclarationError,
    Relation,
    Step,
    TraceError,
    check_declarations,
    load_catalog,
    parse_steps,
)
from orchestration.lineage.trace.walker import trace_row
from orchestration.settings import Paths

# ------------------------------------------------------------------------------------------ vocabulary


def test_parse_steps_reads_every_operator_and_the_step_keys():
    steps = parse_steps(
        [
            {
                "relation": "marts.fct_cost_lines",
                "note": "why",
                "when": {"grain": "day", "kind": ["a", None]},
                "match": {
                    "ai_system_id": "ai_system_id",
                    "billing_month": {"months": {"of": "month", "from": "-35", "to": 0}},
                    "licence_id": {"in_list": "ids", "separator": ":"},
                    "control_ids": {"contains": "covering"},
                    "cost_class": {"value": "one_time"},
                    "detected_by": {"not_value": ["ai", None]},
                    "team": {"equals": "team", "value": ["a", "b"]},
                },
                "then": [{"relation": "staging.stg_x", "match": {"id": "ref"}}],
                "recurse": False,
            }
        ],
        "m",
    )
    step = steps[0]
    assert step.relation == "marts.fct_cost_lines" and step.note == "why"
    assert step.when == (("grain", ("day",)), ("kind", ("a", None)))
    assert step.match == (
        Condition("ai_system_id", "equals", "ai_system_id"),
        Condition("billing_month", "months", {"of": "month", "from": -35, "to": 0}),
        Condition("licence_id", "in_list", "ids", ":"),
        Condition("control_ids", "contains", "covering"),
        Condition("cost_class", "value", ("one_time",)),
        Condition("detected_by", "not_value", ("ai", None)),
        Condition("team", "equals", "team"),
        Condition("team", "value", ("a", "b")),
    )
    assert step.then == (Step("staging.stg_x", (Condition("id", "equals", "ref"),)),)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "non-empty list"),
        ([{"relation": "fct_x", "match": {"a": "b"}}], "<schema>.<name>"),
        ([{"relation": "marts.x", "match": {"a": "b"}, "join": "x"}], "unknown keys"),
        ([{"relation": "marts.x", "match": {"a": {"like": "b"}}}], "unknown operator 'like'"),
        ([{"relation": "marts.x", "match": {"a": {"months": {"of": "m", "from": 2, "to": 0}}}}], "after months.to"),
        ([{"relation": "marts.x", "match": {"a": {"months": {"from": 0}}}}], "months needs"),
        ([{"relation": "marts.x", "match": {"a": {"equals": "b", "separator": ":"}}}], "separator applies"),
        ([{"relation": "marts.x", "match": {"a": {"value": []}}}], "empty list"),
        ([{"relation": "marts.x"}], "needs a when"),
        ([{"relation": "marts.x", "match": {"a": "b"}, "recurse": "yes"}], "true or false"),
    ],
)
def test_parse_steps_refuses_what_is_not_in_the_vocabulary(raw, message):
    with pytest.raises(DeclarationError, match=message):
        parse_steps(raw, "m")


def test_parse_key_args():
    assert parse_key_args(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(TraceError, match="COLUMN=VALUE"):
        parse_key_args(["a"])
    with pytest.raises(TraceError, match="given twice"):
        parse_key_args(["a=1", "a=2"])


def _rel(name, columns, steps=None, key=(), pii=()):
    return Relation(name, "model", tuple(columns), frozenset(pii), frozenset(), tuple(key), steps)


def test_check_declarations_finds_every_kind_of_mistake():
    stg = _rel("staging.stg_a", ["id", "email", "_source_file", "_line"], pii=["email"])
    looped = parse_steps([{"relation": "marts.b", "match": {"k": "k"}}], "a")
    catalog = {
        "staging.stg_a": stg,
        "marts.undeclared": _rel("marts.undeclared", ["k"]),
        "marts.a": _rel("marts.a", ["k", "login", "ids"], looped, key=["k", "nope"], pii=["login"]),
        "marts.b": _rel("marts.b", ["k"], parse_steps([{"relation": "marts.a", "match": {"k": "k"}}], "b"), key=["k"]),
        "marts.c": _rel(
            "marts.c",
            ["k", "login"],
            parse_steps(
                [
                    {"relation": "intermediate.int_x", "match": {"k": "k"}},
                    {"relation": "staging.stg_a", "match": {"missing": "k"}},
                    {"relation": "staging.stg_a", "match": {"id": "not_a_row_column"}},
                    {"relation": "staging.stg_a", "match": {"id": "login"}},
                    {"relation": "staging.stg_a", "match": {"email": {"value": "x@y"}}},
                    {"relation": "staging.stg_a", "match": {"id": "k"}, "recurse": True},
                    {"relation": "marts.undeclared", "match": {"k": "k"}},
                ],
                "c",
            ),
            key=["k"],
            pii=["login"],
        ),
    }
    problems = "\n".join(check_declarations(catalog))
    assert "marts.undeclared: no meta.trace declaration" in problems
    assert "trace_key 'nope' is not a column" in problems
    assert "cycle marts.a -> marts.b -> marts.a" in problems
    assert "schema 'intermediate' is not published" in problems
    assert "'missing' is not a published column of staging.stg_a" in problems
    assert "names 'not_a_row_column', not a column of marts.c" in problems
    assert "are not both personal data" in problems
    assert "a constant never matches it" in problems
    assert "recurse, but staging.stg_a has no trace declaration" in problems
    assert "marts.undeclared has no _source_file/_line and no trace declaration" in problems


# ---------------------------------------------------------------------------------------- raw content


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


CSV = 'id,amount,description\r\nc1,1.5,plain\r\nc2,2.5,"two\r\nlines"\r\n\r\nc3,3.5,"say ""hi"""\r\n'


@pytest.mark.parametrize("gz", [False, True])
def test_csv_lines_are_the_physical_lines_the_ingest_reader_numbers(tmp_path, gz):
    data = CSV.encode()
    path = _write(tmp_path / ("f.csv.gz" if gz else "f.csv"), gzip.compress(data) if gz else data)
    _, batches = readers.read_csv(path, [])
    ingest_lines = [n for b in batches for n in b.lines]
    assert ingest_lines == [2, 3, 6]
    found, header, fmt = read_records(path, "csv", set(ingest_lines))
    assert fmt == "csv" and header == "id,amount,description"
    assert found == {
        2: (2, "c1,1.5,plain", None),
        3: (4, 'c2,2.5,"two\r\nlines"', None),
        6: (6, 'c3,3.5,"say ""hi"""', None),
    }


def test_json_lines_and_documents_are_numbered_as_on_ingest(tmp_path):
    jsonl = _write(tmp_path / "a.jsonl", '{"id": 1}\n\n{"id": 2}\n')
    assert read_records(jsonl, "jsonl", {3}) == ({3: (3, '{"id": 2}', None)}, None, "jsonl")
    pages = [
        {
            "data": [
                {
                    "start_time": 1,
                    "end_time": 2,
                    "results": [{"model": "a", "input_tokens": 3}, {"model": "b", "input_tokens": 4}],
                }
            ]
        }
    ]
    doc = _write(tmp_path / "p.json", json.dumps(pages))
    ingest = [n for b in readers.read_json(doc, OPENAI_USAGE, []) for n in b.lines]
    assert ingest == [1, 2]
    found, _, fmt = read_records(doc, "json", {2}, OPENAI_USAGE)
    assert fmt == "json"
    assert json.loads(found[2][1]) == {"model": "b", "input_tokens": 4, "start_time": 1, "end_time": 2}
    lines_named_json = _write(tmp_path / "l.json", '{"id": 1}\n{"id": 2}\n')
    assert read_records(lines_named_json, "json", {2}) == ({2: (2, '{"id": 2}', None)}, None, "jsonl")


def test_secret_values_are_redacted_as_on_ingest(tmp_path):
    doc = _write(tmp_path / "s.json", json.dumps({"SecretList": [{"ARN": "a1"}, {"ARN": "a2", "SecretString": "pw"}]}))
    found, _, _ = read_records(doc, "json", {1, 2}, SECRETS_INVENTORY)
    assert json.loads(found[1][1]) == {"ARN": "a1"} and found[1][2] is None
    assert json.loads(found[2][1]) == {"ARN": "a2", "SecretString": "[REDACTED:secret_value]"}
    assert found[2][2] == "secrets redacted (secret_value)"
    lines = _write(tmp_path / "s.jsonl", json.dumps({"ARN": "a3", "SecretString": "pw"}) + "\n")
    found, _, _ = read_records(lines, "jsonl", {1}, SECRETS_INVENTORY)
    assert "pw" not in found[1][1] and found[1][2] == "secrets redacted (secret_value)"


def test_parquet_records_are_the_row_numbers(tmp_path):
    path = tmp_path / "f.parquet"
    table = pa.table(
        {
            "Id": ["a", "b", "c"],
            "BilledCost": [1.5, 2.5, 3.5],
            "Tags": pa.array([[("k", "v")], None, []], type=pa.map_(pa.string(), pa.string())),
            "At": pa.array([datetime(2026, 1, 1)] * 3, type=pa.timestamp("s")),
        }
    )
    pq.write_table(table, path, row_group_size=2)
    found, _, fmt = read_records(path, "parquet", {1, 3})
    assert fmt == "parquet" and set(found) == {1, 3}
    assert json.loads(found[1][1]) == {"Id": "a", "BilledCost": 1.5, "Tags": {"k": "v"}, "At": "2026-01-01 00:00:00"}
    assert json.loads(found[3][1])["Id"] == "c"


# ------------------------------------------------------------------------------- a whole synthetic trace


def _model(schema: str, name: str, columns: list[str], *, pii=(), meta=None) -> dict:
    meta = meta or {}
    cols = {c: {"name": c, "config": {"meta": {"pii": True} if c in pii else {}}} for c in columns}
    return {
        "resource_type": "model",
        "schema": schema,
        "name": name,
        "alias": name,
        "columns": cols,
        "config": {"meta": meta},
        "meta": meta,
        "original_file_path": f"models/{name}.sql",
    }


def _unique(uid: str, column: str) -> dict:
    return {
        "resource_type": "test",
        "column_name": column,
        "attached_node": uid,
        "test_metadata": {"name": "unique", "kwargs": {"column_name": column}},
    }


@pytest.fixture()
def world(tmp_path) -> tuple[Paths, Path, Path]:
    """A data dir (raw files, published file), a dbt project dir (seeds) and its manifest."""
    paths = Paths(tmp_path / "data")
    raw = paths.raw
    focus = _write(
        raw / "billing/focus/f.csv", 'Id,Cost,Note\nc1,1,a\nc2,2,"multi\nline"\n\nc3,3,b\nc4,4,"null category"\n'
    )
    usage = _write(raw / "usage/litellm_spend_logs/u.jsonl", '{"id": "r1"}\n{"id": "r2"}\n{"id": "r3"}\n')
    scen = _write(raw / "assumptions/scenarios/s.csv", "scenario_id,x\nsc-1,1\n")
    project = tmp_path / "dbt"
    _write(project / "seeds/rules.csv", "rule_id,label\nR1,first\nR2,second\n")
    _write(project / "seeds/library.csv", 'library_id,text\nlib-a,"A,\nquoted"\nlib-b,B\n')
    rel_focus, rel_usage, rel_scen = (p.relative_to(raw).as_posix() for p in (focus, usage, scen))

    nodes = {}
    std = {"_source_file", "_line"}

    def add(node, unique=()):
        uid = f"model.p.{node['name']}"
        nodes[uid] = node
        for column in unique:
            nodes[f"test.p.unique_{node['name']}_{column}"] = _unique(uid, column)

    add(
        _model(
            "staging", "stg_billing__focus", ["cost_line_id", "ai_system_id", "billing_month", "category", "tags", *std]
        )
    )
    add(_model("staging", "stg_usage__litellm_spend_logs", ["request_id", "started_at", *std]))
    add(_model("staging", "stg_assumptions__scenarios", ["scenario_id", *std]))
    add(_model("intermediate", "int_hidden", ["k"]))
    add(
        _model(
            "marts",
            "fct_lines",
            ["cost_line_id", "ai_system_id", "billing_month", "rule", "owner_email", *std],
            pii=["owner_email"],
            meta={
                "trace_key": ["cost_line_id"],
                "trace": [
                    {"relation": "marts.fct_lines", "note": "the line", "match": {"cost_line_id": "cost_line_id"}},
                    {"relation": "seeds.rules", "note": "its rule", "match": {"rule_id": "rule"}},
                ],
            },
        ),
        unique=["cost_line_id"],
    )
    add(
        _model(
            "marts",
            "fct_usage",
            ["usage_key", "usage_date", "ai_system_id", "event_ids"],
            meta={
                "trace_key": ["usage_date", "ai_system_id"],
                "trace": [
                    {
                        "relation": "staging.stg_usage__litellm_spend_logs",
                        "match": {"request_id": {"in_list": "event_ids"}},
                    }
                ],
            },
        ),
        unique=["usage_key"],
    )
    add(
        _model(
            "marts",
            "fct_month",
            ["month_key", "ai_system_id", "month", "wanted_tags"],
            meta={
                "trace_key": ["ai_system_id", "month"],
                "trace": [
                    {
                        "relation": "marts.fct_lines",
                        "note": "lines of the month",
                        "match": {
                            "ai_system_id": "ai_system_id",
                            "billing_month": {"months": {"of": "month", "from": 0, "to": 0}},
                        },
                        "then": [{"relation": "seeds.rules", "note": "their rules", "match": {"rule_id": "rule"}}],
                    },
                    {
                        "relation": "marts.fct_usage",
                        "note": "usage up to the month",
                        "match": {"ai_system_id": "ai_system_id", "usage_date": {"months": {"of": "month", "to": 0}}},
                    },
                    {
                        "relation": "staging.stg_billing__focus",
                        "note": "tagged, not purchases",
                        "match": {"tags": {"contains": "wanted_tags"}, "category": {"not_value": "purchase"}},
                    },
                    {
                        "relation": "staging.stg_billing__focus",
                        "note": "never: another system",
                        "when": {"ai_system_id": "ais-other"},
                        "match": {"ai_system_id": "ai_system_id"},
                    },
                    {
                        "relation": "staging.stg_billing__focus",
                        "note": "uncategorised",
                        "match": {"ai_system_id": "ai_system_id", "category": {"value": [None]}},
                    },
                ],
            },
        ),
        unique=["month_key"],
    )
    add(
        _model(
            "marts",
            "fct_roll",
            ["roll_key", "cost_line_ids"],
            meta={
                "trace_key": ["roll_key"],
                "trace": [
                    {
                        "relation": "marts.fct_lines",
                        "recurse": True,
                        "match": {"cost_line_id": {"in_list": "cost_line_ids"}},
                    }
                ],
            },
        )
    )
    add(
        _model(
            "marts",
            "fct_quarantine",
            ["quarantine_key", "origin", "source_file", "line", "scenario_id"],
            meta={
                "trace_key": ["quarantine_key"],
                "trace": [
                    {
                        "relation": "staging.stg_assumptions__scenarios",
                        "when": {"origin": "user"},
                        "match": {"_source_file": "source_file", "_line": "line"},
                    },
                    {
                        "relation": "seeds.library",
                        "when": {"origin": "library"},
                        "match": {"library_id": {"in_list": "scenario_id", "separator": ":"}},
                    },
                ],
            },
        )
    )
    for seed in ("rules", "library"):
        nodes[f"seed.p.{seed}"] = {
            "resource_type": "seed",
            "schema": "seeds",
            "name": seed,
            "alias": seed,
            "original_file_path": f"seeds/{seed}.csv",
            "columns": {},
        }
    manifest = project / "target/manifest.json"
    _write(manifest, json.dumps({"nodes": nodes}))

    paths.ensure()
    con = duckdb.connect(str(paths.published_db))
    for schema in ("staging", "marts", "audit"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute(
        "CREATE TABLE staging.stg_billing__focus (cost_line_id VARCHAR, ai_system_id VARCHAR, "
        "billing_month DATE, category VARCHAR, tags VARCHAR, _source_file VARCHAR, _line BIGINT)"
    )
    con.executemany(
        "INSERT INTO staging.stg_billing__focus VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("c1", "ais-a", date(2026, 3, 1), "usage", "x;y", rel_focus, 2),
            ("c2", "ais-a", date(2026, 3, 1), "usage", None, rel_focus, 3),
            ("c3", "ais-a", date(2026, 4, 1), "purchase", "y", rel_focus, 6),
            ("c4", "ais-a", date(2026, 4, 1), None, None, rel_focus, 7),
        ],
    )
    con.execute(
        "CREATE TABLE staging.stg_usage__litellm_spend_logs (request_id VARCHAR, started_at TIMESTAMP, "
        "_source_file VARCHAR, _line BIGINT)"
    )
    con.executemany(
        "INSERT INTO staging.stg_usage__litellm_spend_logs VALUES (?, ?, ?, ?)",
        [(f"r{i}", datetime(2026, 3 if i < 3 else 4, 5), rel_usage, i) for i in (1, 2, 3)],
    )
    con.execute(
        "CREATE TABLE staging.stg_assumptions__scenarios AS SELECT 'sc-1' AS scenario_id, "
        "? AS _source_file, CAST(2 AS BIGINT) AS _line",
        [rel_scen],
    )
    con.execute(
        "CREATE TABLE marts.fct_lines AS SELECT cost_line_id, ai_system_id, billing_month, "
        "CASE WHEN cost_line_id IN ('c1', 'c3') THEN 'R1' ELSE 'R2' END AS rule, "
        "'pii_0123456789abcdef0123' AS owner_email, _source_file, _line FROM staging.stg_billing__focus"
    )
    con.execute(
        "CREATE TABLE marts.fct_usage (usage_key VARCHAR, usage_date DATE, ai_system_id VARCHAR, event_ids VARCHAR)"
    )
    con.executemany(
        "INSERT INTO marts.fct_usage VALUES (?, ?, ?, ?)",
        [
            ("u1", date(2026, 3, 5), "ais-a", "r1;r2"),
            ("u2", date(2026, 4, 5), "ais-a", "r3"),
            ("u3", date(2026, 4, 5), "ais-b", "r3"),
            ("u4", date(2026, 4, 5), "ais-b", "r3"),
        ],
    )
    con.execute(
        "CREATE TABLE marts.fct_month (month_key VARCHAR, ai_system_id VARCHAR, month DATE, wanted_tags VARCHAR)"
    )
    con.executemany(
        "INSERT INTO marts.fct_month VALUES (?, ?, ?, ?)",
        [
            ("m3", "ais-a", date(2026, 3, 1), "y;q"),
            ("m4", "ais-a", date(2026, 4, 1), None),
            ("m5", "ais-a", date(2026, 5, 1), None),
        ],
    )
    con.execute("CREATE TABLE marts.fct_roll AS SELECT 'all' AS roll_key, 'c1;c3' AS cost_line_ids")
    con.execute(
        "CREATE TABLE marts.fct_quarantine (quarantine_key VARCHAR, origin VARCHAR, source_file VARCHAR, "
        "line BIGINT, scenario_id VARCHAR)"
    )
    con.executemany(
        "INSERT INTO marts.fct_quarantine VALUES (?, ?, ?, ?, ?)",
        [("q1", "user", rel_scen, 2, "sc-1"), ("q2", "library", "seeds/library.csv", None, "lib-a:ais-a")],
    )
    con.execute(
        "CREATE TABLE audit.ingested_files (source_file VARCHAR, file_sha256 VARCHAR, status VARCHAR, "
        "ingested_at TIMESTAMP)"
    )
    con.execute("INSERT INTO audit.ingested_files VALUES (?, 'not-its-hash', 'landed', now())", [rel_focus])
    con.execute("CREATE TABLE audit.releases (release_id VARCHAR, status VARCHAR, created_at TIMESTAMP)")
    con.execute("INSERT INTO audit.releases VALUES ('r1', 'published', now())")
    con.close()
    return paths, manifest, project


def _trace(world, mart, keys, limit=50):
    paths, manifest, project = world
    return trace_row(paths, mart, keys, limit, manifest_path=manifest, project_dir=project)


def test_synthetic_declarations_are_clean(world):
    _, manifest, project = world
    catalog = load_catalog(json.loads(manifest.read_text()), project)
    assert check_declarations(catalog) == []
    assert catalog["seeds.rules"].columns == ("rule_id", "label")


def test_an_aggregate_row_traces_through_every_operator(world):
    result = _trace(world, "fct_month", {"ai_system_id": "ais-a", "month": "2026-03-01"})
    got = {(rl.file, rl.line) for rl in result.lines}
    assert got == {
        ("billing/focus/f.csv", 2),
        ("billing/focus/f.csv", 3),
        ("billing/focus/f.csv", 7),
        ("seeds/rules.csv", 2),
        ("seeds/rules.csv", 3),
        ("usage/litellm_spend_logs/u.jsonl", 1),
        ("usage/litellm_spend_logs/u.jsonl", 2),
    }
    assert result.total_lines == 7 and result.omitted == 0
    by_path = {(s.path, s.note): (s.rows, s.lines) for s in result.steps}
    by_path = {path: figures for (path, note), figures in by_path.items() if note != "tagged, not purchases"}
    assert by_path["marts.fct_month > marts.fct_lines"] == (2, 2)
    assert by_path["marts.fct_month > marts.fct_lines > seeds.rules"] == (2, 2)
    assert by_path["marts.fct_month > marts.fct_usage"] == (1, None)
    assert by_path["marts.fct_month > marts.fct_usage > staging.stg_usage__litellm_spend_logs"] == (2, 2)
    assert all("another system" not in s.note for s in result.steps), "a step whose when excludes the row is not run"
    contents = {(rl.file, rl.line): rl for rl in result.lines}
    multi = contents[("billing/focus/f.csv", 3)]
    assert (multi.end_line, multi.content, multi.origin) == (4, 'c2,2,"multi\nline"', "raw")
    assert contents[("seeds/rules.csv", 2)].origin == "seed"
    assert contents[("seeds/rules.csv", 2)].content == "R1,first"
    assert result.headers["billing/focus/f.csv"] == "Id,Cost,Note"
    assert any("changed since it was ingested" in w for w in result.warnings)
    assert result.release_id == "r1"
    april = _trace(world, "fct_month", {"ai_system_id": "ais-a", "month": "2026-04-01"})
    assert {(rl.file, rl.line) for rl in april.lines} >= {
        ("billing/focus/f.csv", 7),
        ("usage/litellm_spend_logs/u.jsonl", 3),
    }
    tags = [s for s in result.steps if s.note == "tagged, not purchases"]
    assert [(s.rows, s.lines) for s in tags] == [(1, 1)], "c1 holds tag y; c3 too, but is a purchase"
    may = _trace(world, "fct_month", {"month_key": "m5"})
    assert {(rl.file, rl.line) for rl in may.lines} == {("usage/litellm_spend_logs/u.jsonl", n) for n in (1, 2, 3)} | {
        ("billing/focus/f.csv", 7)
    }


def test_the_cap_counts_every_line_and_keeps_declaration_order(world):
    result = _trace(world, "fct_month", {"ai_system_id": "ais-a", "month": "2026-03-01"}, limit=2)
    assert (result.total_lines, len(result.lines), result.omitted) == (7, 2, 5)
    assert [rl.line for rl in result.lines] == [2, 3] and result.lines[0].file == "billing/focus/f.csv"
    text = format_result(result)
    assert "7 raw line(s) behind the row, 2 shown; 5 left out" in text
    assert 'line 3-4: c2,2,"multi\nline"' in text
    assert json.loads(json.dumps(result.as_dict(), default=str))["omitted_lines"] == 5


def test_provenance_ends_the_path_unless_recurse(world):
    plain = _trace(world, "fct_lines", {"cost_line_id": "c3"})
    assert {(rl.file, rl.line) for rl in plain.lines} == {("billing/focus/f.csv", 6), ("seeds/rules.csv", 2)}
    rolled = _trace(world, "fct_roll", {"roll_key": "all"})
    assert {(rl.file, rl.line) for rl in rolled.lines} == {
        ("billing/focus/f.csv", 2),
        ("billing/focus/f.csv", 6),
        ("seeds/rules.csv", 2),
    }


def test_quarantine_rows_trace_to_their_file_line_or_their_seed_entry(world):
    user = _trace(world, "fct_quarantine", {"quarantine_key": "q1"})
    assert [(rl.file, rl.line, rl.content) for rl in user.lines] == [("assumptions/scenarios/s.csv", 2, "sc-1,1")]
    library = _trace(world, "fct_quarantine", {"quarantine_key": "q2"})
    assert [(rl.file, rl.line, rl.end_line, rl.origin) for rl in library.lines] == [("seeds/library.csv", 2, 3, "seed")]
    assert "a seed file of the dbt project, not a raw export" in format_result(library)


@pytest.mark.parametrize(
    ("mart", "keys", "message", "code"),
    [
        ("fct_nope", {"k": "1"}, "unknown mart 'fct_nope'; the marts: fct_lines, fct_month", 2),
        ("fct_month", {"ai_system_id": "ais-a", "colour": "red"}, "no column colour; its key: --key ai_system_id=", 2),
        ("fct_month", {"ai_system_id": "ais-a"}, "incomplete key for marts.fct_month: missing month", 2),
        ("fct_month", {"ai_system_id": "ais-a", "month": "March"}, "'March' is not a DATE value", 2),
        ("fct_month", {"ai_system_id": "ais-z", "month": "2026-03-01"}, "no row of marts.fct_month with", 1),
        ("fct_usage", {"ai_system_id": "ais-b", "usage_date": "2026-04-05"}, "2 rows of marts.fct_usage match", 1),
        ("fct_lines", {"cost_line_id": "c1", "owner_email": "bob@example.com"}, "give the pii_... value", 2),
    ],
)
def test_refusals_name_the_mart_and_the_key(world, mart, keys, message, code):
    with pytest.raises(TraceError, match=message.replace("(", r"\(")) as exc:
        _trace(world, mart, keys)
    assert exc.value.exit_code == code


def test_the_key_of_a_pii_column_is_its_published_hash_and_an_empty_value_matches_null(world):
    hashed = _trace(world, "fct_lines", {"cost_line_id": "c1", "owner_email": "pii_0123456789abcdef0123"})
    assert hashed.row["owner_email"] == "pii_0123456789abcdef0123"
    library = _trace(world, "fct_quarantine", {"quarantine_key": "q2", "line": ""})
    assert library.total_lines == 1


def test_a_release_older_than_the_declaration_is_traced_with_a_warning(world):
    paths, _, _ = world
    con = duckdb.connect(str(paths.published_db))
    con.execute("ALTER TABLE marts.fct_usage DROP COLUMN event_ids")
    con.close()
    result = _trace(world, "fct_month", {"ai_system_id": "ais-a", "month": "2026-03-01"})
    assert not any(rl.file.startswith("usage/") for rl in result.lines)
    assert any("no column marts.fct_usage.event_ids" in w and "roi-ledger run" in w for w in result.warnings)
