"""Pure argument builders and release helpers (no Dagster run, no dbt)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from orchestration.cli import build_parser
from orchestration.dbt import PARTIAL_PARSE, dbt_build_args, dbt_vars, share_partial_parse
from orchestration.publish import fingerprint
from orchestration.resources import RoiSettings
from orchestration.settings import resolve_data_dir


def test_dbt_build_args_pass_vars_as_sorted_json():
    args = dbt_build_args({"b": 1, "as_of": "2026-10-31"})
    assert args[0] == "build"
    assert args[1] == "--vars"
    assert json.loads(args[2]) == {"as_of": "2026-10-31", "b": 1}
    assert args[2] == json.dumps({"as_of": "2026-10-31", "b": 1}, sort_keys=True)
    assert args[3:] == ["--exclude-resource-type", "unit_test"]  # unit tests run once in CI, not nightly
    assert dbt_build_args({}, full_refresh=True)[-1] == "--full-refresh"


def test_dbt_takes_the_code_version_as_a_var_and_the_as_of_date_from_the_environment():
    from orchestration.dbt import dbt_env

    settings = RoiSettings(data_dir="/tmp/x", as_of="2026-01-31")
    assert dbt_vars() == {}
    assert dbt_vars("abc") == {"code_version": "abc"}  # changes with the code only: partial parsing holds
    assert dbt_env(settings, {}) == {"ROI_LEDGER_AS_OF": "2026-01-31", "DBT_LOG_LEVEL_FILE": "info"}
    assert dbt_env(settings, {"DBT_LOG_LEVEL_FILE": "debug"})["DBT_LOG_LEVEL_FILE"] == "debug"  # the user's wins


def test_the_code_checksum_holds_the_projects_macros(tmp_path):
    """A macro is code: changing one changes the release fingerprint and rebuilds the incremental models."""
    from orchestration.nightgate import code_checksum

    def checksum(macro_sql: str) -> str:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.json"
        path.write_text(
            json.dumps(
                {
                    "metadata": {"project_name": "p"},
                    "nodes": {},
                    "macros": {
                        "macro.p.m": {"package_name": "p", "macro_sql": macro_sql},
                        "macro.dbt.x": {"package_name": "dbt", "macro_sql": "other"},
                    },
                }
            )
        )
        return code_checksum(path)

    assert checksum("select 1") == checksum("select 1")
    assert checksum("select 1") != checksum("select 2")


def test_the_nights_parse_is_handed_from_layer_to_layer(tmp_path):
    share_partial_parse(tmp_path, "staging", before=True)  # the first layer of a first night: nothing to hand
    assert not (tmp_path / "staging" / PARTIAL_PARSE).exists()
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / PARTIAL_PARSE).write_bytes(b"night 1")
    share_partial_parse(tmp_path, "staging", before=False)
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / PARTIAL_PARSE).write_bytes(b"an older night")
    share_partial_parse(tmp_path, "marts", before=True)  # the layer's own older parse is replaced
    assert (tmp_path / "marts" / PARTIAL_PARSE).read_bytes() == b"night 1"
    assert sorted(p.name for p in tmp_path.rglob("*.tmp")) == []


def test_fingerprint_changes_with_inputs_code_and_date():
    files = [{"dataset": "billing/focus", "source_file": "billing/focus/a.csv", "file_sha256": "ab"}]
    base = fingerprint(files, "code1", date(2026, 1, 1))
    assert base == fingerprint(list(files), "code1", date(2026, 1, 1))
    assert base != fingerprint([{**files[0], "file_sha256": "cd"}], "code1", date(2026, 1, 1))
    assert base != fingerprint(files, "code2", date(2026, 1, 1))
    assert base != fingerprint(files, "code1", date(2026, 1, 2))
    params = [{"model": "scenario_model", "seed": 1, "iterations": 100_000, "model_version": "v"}]
    with_model = fingerprint(files, "code1", date(2026, 1, 1), params)
    assert with_model != base  # the scenario model's seed and iterations are part of the release
    assert with_model == fingerprint(files, "code1", date(2026, 1, 1), [dict(params[0])])
    assert with_model != fingerprint(files, "code1", date(2026, 1, 1), [{**params[0], "seed": 2}])
    assert with_model != fingerprint(files, "code1", date(2026, 1, 1), [{**params[0], "iterations": 10_000}])


def test_data_dir_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("ROI_LEDGER_DATA_DIR", raising=False)
    assert resolve_data_dir(None).name == "data"
    monkeypatch.setenv("ROI_LEDGER_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(None) == (tmp_path / "env").resolve()
    assert resolve_data_dir(tmp_path / "arg") == (tmp_path / "arg").resolve()


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--as-of", "31/10/2026"],
        ["generate", "--months", "0"],
        ["generate", "--scale", "huge"],
        ["frobnicate"],
    ],
)
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2


def test_pipeline_code_checksum_follows_source_files_not_caches(tmp_path):
    from orchestration.nightgate import pipeline_code_checksum

    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "rules.py").write_text("LIMIT = 1\n")
    base = pipeline_code_checksum.__wrapped__(tmp_path)
    (tmp_path / "ingest" / "__pycache__").mkdir()
    (tmp_path / "ingest" / "__pycache__" / "rules.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "ingest" / "notes.txt").write_text("not code")
    assert pipeline_code_checksum.__wrapped__(tmp_path) == base
    (tmp_path / "ingest" / "rules.py").write_text("LIMIT = 2\n")
    assert pipeline_code_checksum.__wrapped__(tmp_path) != base
    (tmp_path / "ingest" / "rules.py").write_text("LIMIT = 1\n")
    (tmp_path / "ingest" / "rules.py").rename(tmp_path / "rules.py")  # same content, another module
    assert pipeline_code_checksum.__wrapped__(tmp_path) != base


def test_the_night_gate_compares_fingerprint_and_published_file():
    from orchestration.nightgate import compare

    files = [{"dataset": "d/x", "source_file": "d/x/a.csv", "file_sha256": "a" * 64}]
    prev = {"release_id": "r1", "input_fingerprint": "fp", "published_sha256": "p", "input_files": json.dumps(files)}
    assert compare(files, "fp", prev, "p").unchanged
    assert compare(files, "fp", None, "p").reason == "no release published yet"
    assert not compare(files, "fp", prev, "q").unchanged
    assert not compare(files, "fp", prev, None).unchanged
    restated = [{**files[0], "file_sha256": "b" * 64}]
    verdict = compare(restated, "fp2", prev, "p")
    assert not verdict.unchanged
    assert verdict.files_new == ["d/x: d/x/a.csv (bbbbbbbbbbbb)"]
    assert verdict.files_gone == ["d/x: d/x/a.csv (aaaaaaaaaaaa)"]
    assert "code, as-of date or scenario settings" in compare(files, "fp2", prev, "p").reason
    forced = compare(files, "fp", prev, "p", full_refresh=True)
    assert not forced.unchanged and forced.reason == "full refresh requested"
    # the published file is hashed only when everything else is equal (a night with new files never reads it)
    reads: list[str] = []

    def published() -> str:
        reads.append("read")
        return "p"

    assert not compare(restated, "fp2", prev, published).unchanged
    assert not compare(files, "fp", None, published).unchanged
    assert not compare(files, "fp", prev, published, full_refresh=True).unchanged
    assert reads == []
    assert compare(files, "fp", prev, published).unchanged and reads == ["read"]
    assert not compare(files, "fp", prev, lambda: "q").unchanged


def test_the_bench_table_reports_ratios_against_the_floor_and_the_cap():
    from tests.bench.bench_nights import ratios

    result = {
        "floor": [{"seconds": 26.0}, {"seconds": 64.0}],
        "duckdb_memory_cap_bytes": 4 * 10**9,
        "first_night": {"seconds": 128.0, "peak_tree_rss_bytes": 4.5e9},
        "empty_night": {"seconds": 9.5, "peak_tree_rss_bytes": 1e9},
        "new_day_night": {"seconds": 12.8, "peak_tree_rss_bytes": 1e9},
    }
    assert "empty night through Dagster" not in {row[0] for row in ratios(result)}
    result["empty_night_in_run"] = {"seconds": 31.0, "peak_tree_rss_bytes": 4.6e9}
    rows = {measure: (value, target) for measure, value, target in ratios(result)}
    assert rows["empty night through Dagster"][0].startswith("31.0 s")
    assert rows["new-day night / first night"] == ("0.10 (13 s / 128 s)", "<= 0.1")
    assert rows["first night / floor"][0].startswith("2.0x to 4.9x")
    assert rows["empty night"] == ("9.5 s", "<= 15 s")
    assert rows["peak tree RSS / DuckDB cap"][0].startswith("1.15 ")  # the largest of every night
    assert rows["peak tree RSS / DuckDB cap"][1] == "<= 1.25 (cap + 1 GB)"


def test_the_engines_bench_says_which_engine_published_other_figures(tmp_path):
    from tests.bench.bench_engines import link_tree, table

    result = {
        "engines": ["duckdb", "postgres", "spark"],
        "duckdb": {"seconds": 297.4, "peak_tree_rss_bytes": 4.39e9},
        "postgres": {"seconds": 1201.0, "peak_tree_rss_bytes": 2.5e9, "differences_from_first": {}},
        "spark": {"seconds": 2400.0, "peak_tree_rss_bytes": 6e9, "differences_from_first": {"marts.x": "rows"}},
    }
    assert table(result) == [
        ("duckdb", "297 s", "4.39 GB", "-"),
        ("postgres", "1201 s", "2.50 GB", "yes"),
        ("spark", "2400 s", "6.00 GB", "no: 1 table(s)"),
    ]
    # each engine's raw files are the generated ones, linked, never copies a night could write into
    (tmp_path / "raw" / "usage" / "litellm").mkdir(parents=True)
    (tmp_path / "raw" / "usage" / "litellm" / "a.csv").write_text("request_id\n1\n")
    assert link_tree(tmp_path / "raw", tmp_path / "engine" / "raw") == 1
    linked = tmp_path / "engine" / "raw" / "usage" / "litellm" / "a.csv"
    assert linked.stat().st_ino == (tmp_path / "raw" / "usage" / "litellm" / "a.csv").stat().st_ino


def test_the_floor_reads_every_litellm_file_as_parameters(tmp_path):
    from tests.bench.floor import floor_sql

    folder = tmp_path / "raw" / "usage" / "litellm_spend_logs"
    folder.mkdir(parents=True)
    for name in ("a.csv", "b.csv.gz", "c.jsonl", "notes.md"):
        (folder / name).write_text("")
    (tmp_path / "raw" / "iam" / "identity_inventory").mkdir(parents=True)
    (tmp_path / "raw" / "iam" / "identity_inventory" / "inv.csv").write_text("")
    sql, params = floor_sql(tmp_path / "raw", tmp_path / "out.parquet")
    assert [[Path(f).name for f in group] for group in params] == [["a.csv", "b.csv.gz"], ["c.jsonl"], ["inv.csv"]]
    assert sql.count("?") == 3 and "a.csv" not in sql


def test_the_memory_cap_reads_as_duckdb_reads_it_and_each_connection_gets_its_share(monkeypatch):
    from orchestration.settings import MEMORY_LIMIT_ENV, duckdb_memory_limit, memory_cap_bytes

    assert memory_cap_bytes("4GB") == 4 * 10**9
    assert memory_cap_bytes("512MiB") == 512 * 2**20
    assert memory_cap_bytes("1.5 gb") == 1_500_000_000
    for bad in ("lots", "4XB", "GB"):
        with pytest.raises(ValueError, match=MEMORY_LIMIT_ENV):
            memory_cap_bytes(bad)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "10GB")
    assert duckdb_memory_limit() == "8500MB"  # DuckDB's memory outside its pool stays within the cap
