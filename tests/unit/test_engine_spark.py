"""The Spark engine's pure parts (orchestration/engine_spark.py): types and statements for Spark, the folders of
landed files its tables read, the tables read back, the profile's environment."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration import engine_spark
from orchestration.dbt import dbt_build_args


def test_types_go_to_spark_spellings_and_an_unknown_one_is_refused_by_name():
    assert engine_spark.spark_type("DECIMAL(38,18) NOT NULL", "x") == "decimal(38,18)"
    assert engine_spark.spark_type("VARCHAR", "x") == "string"
    assert engine_spark.spark_type("TIMESTAMP", "x") == "timestamp"
    assert engine_spark.spark_type("TIMESTAMP WITH TIME ZONE", "x") == "timestamp"
    assert engine_spark.spark_type("BIGINT NOT NULL", "x") == "bigint"
    with pytest.raises(engine_spark.SparkEngineError, match=r"landing_a\.b\.c: no Spark type for DuckDB type INTERVAL"):
        engine_spark.spark_type("INTERVAL", "landing_a.b.c")


def test_a_table_over_a_folder_quotes_names_and_paths():
    lines = engine_spark.table_statements(
        "landing_iam", "odd`name", [("user", "VARCHAR"), ("spend", "DECIMAL(38,18)")], Path("/d/it's here")
    )
    assert lines == [
        "DROP TABLE IF EXISTS `landing_iam`.`odd``name`",
        "CREATE TABLE `landing_iam`.`odd``name` (`user` string, `spend` decimal(38,18)) USING parquet "
        "LOCATION '/d/it\\'s here'",
    ]


def test_a_folder_holds_exactly_the_landed_files(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    a, b, c = (landing / f"{n}.parquet" for n in "abc")
    for f in (a, b, c):
        f.write_bytes(f.name.encode())
    folder = tmp_path / "spark" / "ds"
    assert engine_spark.link_files(folder, [a, b]) == (2, 0)
    assert engine_spark.link_files(folder, [a, b]) == (0, 0), "an unchanged night links nothing"
    # a restatement: b's file is no longer landed, c is
    assert engine_spark.link_files(folder, [a, c]) == (1, 1)
    assert sorted(p.name for p in folder.iterdir()) == ["a.parquet", "c.parquet"]
    assert (folder / "c.parquet").read_bytes() == b"c.parquet"
    assert b.exists(), "the landing file itself is never touched"
    assert engine_spark.link_files(folder, []) == (0, 2)


def test_the_tables_dbt_built_are_found_by_their_part_files(tmp_path):
    table = tmp_path / "marts.db" / "fct_x"
    table.mkdir(parents=True)
    (table / "_SUCCESS").write_text("")
    (table / ".part-00000-x.snappy.parquet.crc").write_text("")
    part = table / "part-00000-x-c000.snappy.parquet"
    part.write_text("")
    (tmp_path / "marts.db" / "not_written").mkdir()
    found = engine_spark.built_tables(tmp_path, ["marts", "staging"])
    assert found == {("marts", "fct_x"): [part]}


def test_a_table_read_back_keeps_decimals_and_turns_instants_into_utc_timestamps(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse"
    folder = engine_spark.spark_root(warehouse) / "warehouse" / "marts.db" / "fct_x"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Paris'")
    con.execute(
        f"COPY (SELECT 0.000000000000123456::DECIMAL(38,18) AS amount, "
        f"TIMESTAMPTZ '2026-06-01 02:00:00+02' AS happened_at) TO '{folder / 'part-00000-a.parquet'}' (FORMAT parquet)"
    )
    build = warehouse / "roi.duckdb"
    duckdb.connect(str(build)).execute("CREATE SCHEMA marts; CREATE TABLE marts.gone (x INT)").close()
    assert engine_spark.pull(build, ["marts"]) == 1
    con = duckdb.connect(str(build), read_only=True)
    assert con.execute("SELECT amount::VARCHAR, happened_at::VARCHAR FROM marts.fct_x").fetchall() == [
        ("0.000000000000123456", "2026-06-01 00:00:00")
    ]
    assert con.execute("DESCRIBE marts.fct_x").fetchall()[1][1] == "TIMESTAMP"
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()
    assert tables == [("fct_x",)], "a table Spark no longer has is dropped"


def test_the_profile_reads_the_spark_folders_of_the_data_directory(tmp_path):
    env = engine_spark.profile_env(tmp_path / "warehouse")
    root = (tmp_path / "warehouse" / "spark").resolve()
    assert env == {
        "ROI_LEDGER_SPARK_WAREHOUSE": str(root / "warehouse"),
        "ROI_LEDGER_SPARK_METASTORE": str(root / "metastore_db"),
        "ROI_LEDGER_SPARK_INPUTS": str(root / "inputs.sql"),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    assert engine_spark.profile_env(tmp_path, "local-cluster[2,1,1024]")["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert "SPARK_LOCAL_IP" not in engine_spark.profile_env(tmp_path, "spark://master.internal:7077")
    assert dbt_build_args({}, target="spark")[-2:] == ["--target", "spark"]
