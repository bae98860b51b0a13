"""The Parquet export of each published release (orchestration/publish_export.py): every table BI may read, a
manifest naming the release, each file's rows, bytes and SHA-256 and its columns' types and dbt descriptions;
the files load in DuckDB, pyarrow and pandas with the published file's rows, money exactly (decimal, never
float); the quarantine and the redactions stay out; ``published/export`` moves only with a published release."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration import publish_export
from orchestration.cli import EXIT_OK
from orchestration.ingest.engine import sha256_file
from orchestration.settings import Paths
from tests.conftest import release_records
from tests.tools.compare_builds import rows_close


@pytest.fixture(scope="module")
def export(published_demo) -> tuple[Paths, dict]:
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    paths = Paths(data_dir)
    return paths, json.loads((paths.published_dir / "export" / publish_export.MANIFEST).read_text())


def _published(paths: Paths) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(paths.published_db), read_only=True)


def test_every_table_bi_reads_is_exported_for_the_release_it_belongs_to(export):
    paths, manifest = export
    link = paths.published_dir / "export"
    assert link.is_symlink() and link.resolve() == (paths.release_exports / manifest["release_id"]).resolve()
    latest = release_records(paths.data_dir)[0]
    assert latest["status"] == "published" and manifest["release_id"] == latest["release_id"]
    assert manifest["published_sha256"] == sha256_file(paths.published_db) == latest["published_sha256"]
    assert manifest["engine"] == "duckdb" and manifest["as_of"] == str(latest["as_of"])
    con = _published(paths)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database()"
        ).fetchall()
        listed = {(t["schema"], t["table"]): t for t in manifest["tables"]}
        assert set(listed) == {
            (s, t)
            for s, t in tables
            if s in ("staging", "marts")
            or (s, t) in {("audit", "releases"), ("audit", "ingested_files"), ("audit", "ingested_money")}
        }
        assert ("audit", "quarantine") in set(tables) and ("audit", "quarantine") not in listed
        assert ("audit", "redactions") not in listed
        for (schema, name), entry in listed.items():
            path = link / entry["file"]
            assert entry["file"] == f"{schema}/{name}.parquet"
            assert sha256_file(path) == entry["sha256"] and path.stat().st_size == entry["bytes"]
            assert con.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0] == entry["rows"]
    finally:
        con.close()
    usage = listed[("marts", "fct_ai_usage")]
    assert usage["description"].startswith("AI usage at the grain")
    cost = next(c for c in usage["columns"] if c["name"] == "cost_amount")
    assert cost["type"] == "DECIMAL(38,18)" and cost["description"]
    assert (
        listed[("audit", "releases")]["description"]
        and listed[("audit", "ingested_money")]["columns"][0]["description"]
    )


def test_the_export_loads_with_the_published_rows_in_duckdb_pyarrow_and_pandas(export):
    paths, manifest = export
    folder = paths.published_dir / "export"
    con = _published(paths)
    try:
        for entry in manifest["tables"]:
            table, path = f'{entry["schema"]}."{entry["table"]}"', str(folder / entry["file"])
            types = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
            types = [(r[0], r[1]) for r in types]
            assert types == [(c["name"], c["type"]) for c in entry["columns"]], entry["file"]
            for a, b in ((f"read_parquet('{path}')", table), (table, f"read_parquet('{path}')")):
                missing = con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})")
                assert missing.fetchone()[0] == 0, f"{entry['file']}: rows of {a} not in {b}"
        # pyarrow reads the money as decimal128(38, 18), pandas as Decimal objects: the last digit survives
        path = folder / "marts" / "fct_ai_usage.parquet"
        arrow = pq.read_table(path)
        assert str(arrow.schema.field("cost_amount").type) == "decimal128(38, 18)"
        expected = con.execute("SELECT * FROM marts.fct_ai_usage").to_arrow_table()
        # the same names and types (the file keeps the contract's NOT NULL: pyarrow reads those fields as required)
        assert [(f.name, f.type) for f in arrow.schema] == [(f.name, f.type) for f in expected.schema]
        assert arrow.cast(expected.schema).sort_by("usage_key").equals(expected.sort_by("usage_key"))
        frame = arrow.to_pandas()
        published = dict(con.execute("SELECT usage_key, cost_amount FROM marts.fct_ai_usage").fetchall())
        assert all(isinstance(v, Decimal) for v in frame["cost_amount"].dropna())
        assert dict(zip(frame["usage_key"], frame["cost_amount"], strict=True)) == published
        assert sum(published.values(), Decimal(0)) == sum(frame["cost_amount"].dropna(), Decimal(0))
    finally:
        con.close()


def test_a_table_the_next_release_kept_is_linked_not_written_again(tmp_path):
    """``write_export`` links a kept table's file from the previous export when its columns are the same, and
    writes a table again whose columns changed."""
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    for path, extra in ((one, ""), (two, ", 1 AS added")):
        con = duckdb.connect(str(path))
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA audit")
        con.execute("CREATE TABLE marts.a AS SELECT 1.5::DECIMAL(38, 18) AS cost")
        con.execute(f"CREATE TABLE marts.b AS SELECT 'x' AS k{extra}")
        con.execute(
            "CREATE TABLE audit.published_increments (table_schema VARCHAR, table_name VARCHAR, "
            "batch VARCHAR, select_sha256 VARCHAR, written VARCHAR)"
        )
        con.execute(
            "INSERT INTO audit.published_increments VALUES ('marts', 'a', NULL, 'h', 'kept'), "
            "('marts', 'b', NULL, 'h', 'kept')"
        )
        con.close()
    first = publish_export.write_export(one, tmp_path / "exports" / "r1", {"release_id": "r1", "as_of": "x"}, {})
    second = publish_export.write_export(
        two, tmp_path / "exports" / "r2", {"release_id": "r2", "as_of": "x"}, {}, tmp_path / "exports" / "r1"
    )
    a1, a2 = (tmp_path / "exports" / r / "marts" / "a.parquet" for r in ("r1", "r2"))
    b1, b2 = (tmp_path / "exports" / r / "marts" / "b.parquet" for r in ("r1", "r2"))
    assert a1.stat().st_ino == a2.stat().st_ino and first["tables"][0] == second["tables"][0]
    assert b1.stat().st_ino != b2.stat().st_ino  # a column was added: written again
    assert [c["name"] for c in second["tables"][1]["columns"]] == ["k", "added"]
    assert not list((tmp_path / "exports").glob(".*"))  # no half-written folder left


def test_a_copied_data_directory_takes_the_next_release(tmp_path):
    """A data directory copied without its links holds the export as a folder: the next release replaces it
    with the link, and prunes every release's folder but the ones kept."""
    paths = Paths(tmp_path)
    (paths.release_exports / "r2").mkdir(parents=True)
    (paths.release_exports / "r1").mkdir()
    (paths.release_exports / ".r3.tmp").mkdir()  # a killed publish's half-written folder
    (paths.published_dir / "export").mkdir()
    (paths.published_dir / "export" / "manifest.json").write_text("{}")
    publish_export.point_at(paths, paths.release_exports / "r2")
    assert publish_export.current(paths) == paths.release_exports / "r2"
    assert publish_export.prune(paths, {"r9"}) == [paths.release_exports / ".r3.tmp", paths.release_exports / "r1"]
    assert sorted(p.name for p in paths.release_exports.iterdir()) == ["r2"]  # the current one stays
    assert not [p for p in Path(paths.published_dir).iterdir() if p.name.startswith(".")]


def _bi_guide_queries() -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "BI.md").read_text()
    return [b for b in re.findall(r"```sql\n(.*?)```", text, re.S) if b.lstrip().startswith("SELECT")]


def test_the_bi_guide_queries_answer_the_same_from_the_file_and_the_export(export):
    """docs/BI.md's worked queries (one per ledger and the portfolio) run on the published file and on views
    over the export, and find the same rows (floats to 1e-9 relative: a sum's order may differ)."""
    paths, manifest = export
    queries = _bi_guide_queries()
    assert len(queries) == 4
    views = duckdb.connect()
    published = _published(paths)
    try:
        views.execute("CREATE SCHEMA marts")
        for entry in manifest["tables"]:
            if entry["schema"] == "marts":
                path = paths.published_dir / "export" / entry["file"]
                views.execute(f"CREATE VIEW marts.{entry['table']} AS SELECT * FROM read_parquet('{path}')")
        for sql in queries:
            from_file, from_export = published.execute(sql).fetchall(), views.execute(sql).fetchall()
            assert from_file, sql
            assert len(from_file) == len(from_export), sql
            assert all(rows_close(a, b, 1e-9) for a, b in zip(from_file, from_export, strict=True)), sql
    finally:
        published.close()
        views.close()


def test_the_export_exposure_names_every_mart(dbt_manifest):
    """dbt docs show the export among each mart's consumers: exposure ``bi_parquet_export`` depends on every
    model of schema ``marts`` (a new mart is added to ``dbt_project/models/_exposures.yml``)."""
    manifest = json.loads(dbt_manifest.read_text())
    marts = {u for u, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["schema"] == "marts"}
    exposure = manifest["exposures"]["exposure.ai_roi_ledger.bi_parquet_export"]
    assert exposure["owner"]["name"] and set(exposure["depends_on"]["nodes"]) == marts
