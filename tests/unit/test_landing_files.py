"""The landing is files: one Parquet file per ingested file, engine-neutral, in a view over exactly the landed ones."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.datasets import BY_KEY, FIELD_TYPES
from orchestration.ingest import engine
from orchestration.ingest.landing import landing_columns, landing_file, landing_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LITELLM = BY_KEY["usage/litellm_spend_logs"]
FOCUS = BY_KEY["billing/focus"]


def _raw(tmp_path: Path, ds, files: dict[str, Path | bytes]) -> Path:
    folder = tmp_path / "raw" / ds.folder
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.copyfile(content, folder / name)
        else:
            (folder / name).write_bytes(content)
    return tmp_path / "raw"


def _db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "roi.duckdb"


def _landed(tmp_path: Path, ds) -> list[str]:
    folder = landing_root(_db(tmp_path)) / ds.folder
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []


def _fixtures(ds) -> dict[str, Path]:
    return {p.name: p for p in sorted((FIXTURES / ds.folder).iterdir()) if p.is_file()}


def test_each_landed_file_is_one_parquet_file_and_the_view_reads_exactly_them(tmp_path: Path) -> None:
    raw = _raw(tmp_path, LITELLM, _fixtures(LITELLM))
    con = engine.connect(_db(tmp_path))
    result = engine.ingest_dataset(con, raw, LITELLM)
    landed = [f for f in result.files if f.status == "landed" and f.rows_accepted]
    assert landed
    assert _landed(tmp_path, LITELLM) == sorted(
        landing_file(landing_root(_db(tmp_path)), LITELLM, f.source_file, f.file_sha256).name for f in landed
    )
    for f in landed:
        path = landing_file(landing_root(_db(tmp_path)), LITELLM, f.source_file, f.file_sha256)
        assert path.parent == tmp_path / "warehouse" / "landing" / "usage" / "litellm_spend_logs"
        assert pq.read_metadata(path).num_rows == f.rows_accepted
        lines = pq.read_table(path, columns=["_line"]).column("_line").to_pylist()
        assert lines == sorted(lines)  # file order
    assert con.execute(f"SELECT count(*) FROM {LITELLM.table}").fetchone()[0] == sum(f.rows_accepted for f in landed)
    assert (
        con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [LITELLM.schema, LITELLM.name],
        ).fetchone()[0]
        == "VIEW"
    )


def test_landing_files_hold_engine_neutral_types(tmp_path: Path) -> None:
    """Decimals as decimal(38, 18), timestamps as plain microsecond timestamps (UTC values), JSON as text."""
    raw = _raw(tmp_path, FOCUS, _fixtures(FOCUS))
    engine.ingest_dataset(engine.connect(_db(tmp_path)), raw, FOCUS)
    files = sorted((landing_root(_db(tmp_path)) / FOCUS.folder).glob("*.parquet"))
    assert files
    expected = {
        "VARCHAR": pa.string(),
        "BIGINT": pa.int64(),
        "DATE": pa.date32(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMP": pa.timestamp("us"),
        FIELD_TYPES["decimal"]: pa.decimal128(38, 18),
    }
    for path in files:
        schema = pq.read_schema(path)
        for name, sql_type in landing_columns(FOCUS):
            assert schema.field(name).type == expected[sql_type.replace(" NOT NULL", "")], (path.name, name)


def test_a_restatement_replaces_the_landing_file_and_a_rejected_one_keeps_it(tmp_path: Path) -> None:
    source = next(p for p in _fixtures(LITELLM).values() if p.suffix == ".csv")
    text = source.read_bytes()
    raw = _raw(tmp_path, LITELLM, {"spend.csv": text})
    con = engine.connect(_db(tmp_path))
    engine.ingest_dataset(con, raw, LITELLM)
    first = _landed(tmp_path, LITELLM)
    assert len(first) == 1

    lines = text.decode().splitlines(keepends=True)
    (raw / LITELLM.folder / "spend.csv").write_text("".join(lines[:-1]))  # the vendor restates: one row fewer
    engine.ingest_dataset(con, raw, LITELLM)
    second = _landed(tmp_path, LITELLM)
    assert len(second) == 1 and second != first
    assert con.execute(f"SELECT count(*) FROM {LITELLM.table}").fetchone()[0] == len(lines) - 2

    (raw / LITELLM.folder / "spend.csv").write_bytes(b"\x00\xff not a csv")  # a restatement that is rejected
    engine.ingest_dataset(con, raw, LITELLM)
    assert _landed(tmp_path, LITELLM) == second
    assert con.execute(f"SELECT count(*) FROM {LITELLM.table}").fetchone()[0] == len(lines) - 2


def test_files_no_record_stands_for_are_deleted_and_a_lost_one_lands_again(tmp_path: Path) -> None:
    """What a run that died before its commit leaves (a landing file no record names) is deleted at the next
    connection; a landed file whose landing file is gone is superseded, and its raw file lands again."""
    raw = _raw(tmp_path, LITELLM, _fixtures(LITELLM))
    con = engine.connect(_db(tmp_path))
    engine.ingest_dataset(con, raw, LITELLM)
    rows = con.execute(f"SELECT count(*) FROM {LITELLM.table}").fetchone()[0]
    con.close()
    folder = landing_root(_db(tmp_path)) / LITELLM.folder
    orphan = folder / "half-written.0123456789abcdef.parquet"
    orphan.write_bytes(b"PAR1 cut short")
    lost = sorted(folder.glob("*.parquet"))[0]
    lost.unlink()

    con = engine.connect(_db(tmp_path))
    assert not orphan.exists()
    status, message = con.execute(
        "SELECT status, message FROM audit.ingested_files WHERE dataset = ? ORDER BY ingested_at, source_file LIMIT 1",
        [LITELLM.key],
    ).fetchone()
    assert status == "superseded" and "landing file missing" in message
    result = engine.ingest_dataset(con, raw, LITELLM, now=datetime.now(UTC))
    assert [f.status for f in result.files if f.status != "skipped"] == ["landed"]
    assert lost.exists()
    assert con.execute(f"SELECT count(*) FROM {LITELLM.table}").fetchone()[0] == rows


def test_a_build_database_with_landing_tables_moves_them_to_files(tmp_path: Path) -> None:
    """Build databases made before landing became files keep every landed row: each file's rows are written to
    its landing file, and the table gives way to the view."""
    raw = _raw(tmp_path, LITELLM, _fixtures(LITELLM))
    con = engine.connect(_db(tmp_path))
    engine.ingest_dataset(con, raw, LITELLM)
    before = con.execute(f"SELECT * FROM {LITELLM.table} ORDER BY _source_file, _line").fetchall()
    con.execute(f"CREATE TABLE {LITELLM.schema}.old AS SELECT * FROM {LITELLM.table}")
    con.execute(f"DROP VIEW {LITELLM.table}")
    con.execute(f"ALTER TABLE {LITELLM.schema}.old RENAME TO {LITELLM.name}")
    con.close()
    shutil.rmtree(landing_root(_db(tmp_path)))

    con = engine.connect(_db(tmp_path))
    assert con.execute(f"SELECT * FROM {LITELLM.table} ORDER BY _source_file, _line").fetchall() == before
    assert len(_landed(tmp_path, LITELLM)) == len({r[-4] for r in before})


@pytest.mark.parametrize("ds", [LITELLM, FOCUS], ids=lambda d: d.key)
def test_an_empty_landing_is_a_typed_empty_view(tmp_path: Path, ds) -> None:
    con = engine.connect(_db(tmp_path))
    got = con.execute(f"DESCRIBE {ds.table}").fetchall()
    expected = [(n, t.replace(" NOT NULL", "").replace(", ", ",")) for n, t in landing_columns(ds)]
    assert [(r[0], r[1]) for r in got] == expected
    assert con.execute(f"SELECT count(*) FROM {ds.table}").fetchone()[0] == 0
    with pytest.raises(duckdb.Error):
        con.execute(f"INSERT INTO {ds.table} SELECT * FROM {ds.table}")  # rows land only as files
