"""The event log storage dagster.yaml selects: Dagster's SQLite files, written through connections kept open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import AssetMaterialization, DagsterInstance, job, op
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration import dagster_storage
from orchestration.dagster_storage import KEPT_RUN_SHARDS, PooledSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[2]
EVENTS_PER_RUN = 40


@op
def emits_many_events(context) -> None:
    for i in range(EVENTS_PER_RUN):
        context.log_event(AssetMaterialization(asset_key=f"table_{i}"))


@job
def chatty_job() -> None:
    emits_many_events()


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance configured by the repository's own dagster.yaml, as `make demo` and `make dev` use it."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as inst:
        yield inst


def test_dagster_yaml_selects_the_pooled_storage_in_the_stock_place(instance):
    storage = instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    assert Path(storage._base_dir) == Path(instance.root_directory) / "history" / "runs"


def test_a_run_opens_each_shard_once_and_the_stock_storage_reads_it(instance, monkeypatch):
    created: list[str] = []
    real = dagster_storage.create_engine
    monkeypatch.setattr(dagster_storage, "create_engine", lambda url, **kw: created.append(url) or real(url, **kw))

    result = chatty_job.execute_in_process(instance=instance)

    assert result.success
    run_id = result.run_id
    # One engine for the run's file and at most one for the index, whatever the number of events (the stock storage
    # creates one per connection: hundreds here).
    names = [Path(url).name for url in created]
    assert names.count(f"{run_id}.db") == 1
    assert set(names) <= {f"{run_id}.db", "index.db"} and names.count("index.db") <= 1
    written = instance.all_logs(run_id)
    assert len(written) > EVENTS_PER_RUN
    stock = SqliteEventLogStorage(instance.event_log_storage._base_dir)
    assert [e.message for e in stock.get_logs_for_run(run_id)] == [e.message for e in written]
    materialized = {
        e.dagster_event.asset_key.to_user_string()
        for e in written
        if e.is_dagster_event and e.dagster_event.is_step_materialization
    }
    assert materialized == {f"table_{i}" for i in range(EVENTS_PER_RUN)}


def test_a_long_lived_process_keeps_only_the_last_runs_open(instance):
    run_ids = [chatty_job.execute_in_process(instance=instance).run_id for _ in range(KEPT_RUN_SHARDS + 2)]

    storage = instance.event_log_storage
    assert sorted(storage.open_shards()) == sorted(["index", *run_ids[-KEPT_RUN_SHARDS:]])
    # A closed run's file is opened again when read.
    assert len(storage.get_logs_for_run(run_ids[0])) > EVENTS_PER_RUN
    assert storage.open_shards()[-1] == run_ids[0]
    storage.dispose()
    assert storage.open_shards() == []


def test_commits_are_synced_by_checkpoint_in_wal_mode_only(instance, tmp_path):
    chatty_job.execute_in_process(instance=instance)
    storage = instance.event_log_storage
    with storage.index_connection() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

    rollback = tmp_path / "rollback.db"
    engine = dagster_storage.create_engine(f"sqlite:///{rollback}")
    dagster_storage.event.listen(engine, "connect", dagster_storage._wal_normal_sync)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL, as SQLite sets it
    engine.dispose()


def test_the_index_is_asked_once_whether_a_table_is_there(instance, monkeypatch):
    asked: list[str] = []
    stock = SqliteEventLogStorage.has_table
    monkeypatch.setattr(SqliteEventLogStorage, "has_table", lambda self, name: asked.append(name) or stock(self, name))
    storage = instance.event_log_storage

    # asked on every asset check event by the stock storage: once here
    assert all(storage.supports_asset_checks for _ in range(50))
    assert asked == ["asset_check_executions"]
    # a table that is not there is asked for again (it may be created by a migration)
    assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
    assert asked.count("no_such_table") == 2
    storage.wipe()  # the files go: what was seen is forgotten
    assert storage.supports_asset_checks and asked.count("asset_check_executions") == 2
