"""Every dataset's ingest in one process, side by side: one build database, one connection per thread.

The datasets are independent (their own raw folder, landing files, view and audit rows), and each file's
ingest is one transaction of the build database (:mod:`orchestration.ingest.engine`), so two datasets can land
at once: DuckDB lets connections of one process append to the same tables and change different rows of them
together, and a thread spends most of its time in DuckDB's readers, Parquet writer or SHA-256, which release
Python's lock. One long dataset (the LiteLLM gateway's requests, half of a first night's ingest) no longer
holds the others back: the datasets start largest first (the bytes of their raw files), and whichever thread
is free takes the next. What lands is the same whatever the order: every outcome is per file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.datasets import Dataset
from orchestration.ingest import engine, money
from orchestration.ingest.contract import TimeWindow
from orchestration.settings import INGEST_THREADS_ENV, available_cpus

#: At most this many datasets at once by default.
MAX_WORKERS = 4


def workers(environ: dict[str, str] | os._Environ = os.environ) -> int:
    """Threads for the night's ingest: ``ROI_LEDGER_INGEST_THREADS`` when set (a positive integer), else the CPUs this
    process may run on, at most :data:`MAX_WORKERS` (each ingest already runs DuckDB's own threads)."""
    raw = environ.get(INGEST_THREADS_ENV, "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{INGEST_THREADS_ENV} must be a positive integer, got {raw!r}")
        return int(raw)
    return max(1, min(MAX_WORKERS, available_cpus()))


def raw_bytes(raw_dir: Path, ds: Dataset) -> int:
    """The bytes of a dataset's raw files (links count nothing: they are refused unread)."""
    return sum(0 if p.is_symlink() else p.stat().st_size for p in engine.discover(raw_dir, ds))


def largest_first(raw_dir: Path, datasets: Iterable[Dataset]) -> list[Dataset]:
    """The datasets in the order their ingest starts: most raw bytes first, then by key (pure but for the
    stat calls: tested)."""
    return sorted(datasets, key=lambda ds: (-raw_bytes(raw_dir, ds), ds.key))


@dataclass
class Landed:
    """One dataset's ingest and what its checks read from the build database right after it."""

    result: engine.DatasetResult
    newest: datetime | None
    unlanded: list[money.UnlandedMoney]


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    ds: Dataset,
    *,
    run_id: str | None,
    window: TimeWindow,
    trust_stats: bool,
) -> Landed:
    cur = engine.cursor(con)
    try:
        result = engine.ingest_dataset(cur, raw_dir, ds, run_id=run_id, window=window, trust_stats=trust_stats)
        newest = cur.execute(f"SELECT max({ds.freshness_field}) FROM {ds.table}").fetchall()[0][0]
        return Landed(result, newest, money.unlanded(cur, ds))
    finally:
        cur.close()


def ingest_datasets(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    datasets: Iterable[Dataset],
    *,
    run_id: str | None,
    window: TimeWindow,
    trust_stats: bool,
    threads: int,
) -> Iterator[tuple[Dataset, Landed | BaseException]]:
    """Ingest ``datasets`` on ``threads`` threads, each on its own connection to ``con``'s database; yields
    each dataset with its outcome (or the exception that stopped it: the others go on) as it ends. Stopping
    the iteration early cancels the datasets not started and waits for the ones running."""
    order = largest_first(raw_dir, datasets)
    pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="ingest")
    try:
        running: dict[Future, Dataset] = {
            pool.submit(_ingest_one, con, raw_dir, ds, run_id=run_id, window=window, trust_stats=trust_stats): ds
            for ds in order
        }
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: order.index(running[f])):
                ds = running.pop(fut)
                exc = fut.exception()
                yield ds, (exc if exc is not None else fut.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
