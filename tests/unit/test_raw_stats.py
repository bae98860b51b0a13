"""Raw files are hashed again only when their stat says they may have changed (engine.file_sha256)."""

from __future__ import annotations

import os
import time

import duckdb
import pytest

from orchestration.ingest import engine
from orchestration.ingest.landing import RAW_STATS_DDL


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute(RAW_STATS_DDL)
    yield c
    c.close()


@pytest.fixture
def reads(monkeypatch) -> list:
    calls: list = []
    real = engine.sha256_file

    def counting(path, **kw):
        calls.append(path)
        return real(path, **kw)

    monkeypatch.setattr(engine, "sha256_file", counting)
    return calls


def test_an_unchanged_file_is_not_read_again(con, reads, tmp_path, monkeypatch):
    f = tmp_path / "a.csv"
    f.write_text("id\n1\n")
    later = time.time_ns() + 10 * 10**9
    monkeypatch.setattr(engine.time, "time_ns", lambda: later)  # hashed 10 s after its last write
    sha = engine.file_sha256(con, f, "usage/a.csv")
    assert engine.file_sha256(con, f, "usage/a.csv") == sha
    assert len(reads) == 1
    assert engine.file_sha256(con, f, "usage/a.csv", trust_stats=False) == sha  # --full-refresh reads it
    assert len(reads) == 2


def test_new_content_is_read_even_with_size_and_times_put_back(con, reads, tmp_path, monkeypatch):
    f = tmp_path / "a.csv"
    f.write_text("id\n1\n")
    later = time.time_ns() + 10 * 10**9
    monkeypatch.setattr(engine.time, "time_ns", lambda: later)
    first = engine.file_sha256(con, f, "usage/a.csv")
    st = f.stat()
    time.sleep(0.02)
    f.write_text("id\n2\n")  # same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime set back: the change time cannot be
    second = engine.file_sha256(con, f, "usage/a.csv")
    assert second != first and len(reads) == 2


def test_a_file_changed_just_before_hashing_is_read_again(con, reads, tmp_path):
    """Times are coarse: a write in the same tick as the hashing would leave the same stat, so a file
    changed less than RACY_NS before its hashing started is never trusted."""
    f = tmp_path / "a.csv"
    f.write_text("id\n1\n")
    engine.file_sha256(con, f, "usage/a.csv")
    engine.file_sha256(con, f, "usage/a.csv")
    assert len(reads) == 2


def test_a_night_skips_the_files_it_already_ingested_without_a_query_each(tmp_path, monkeypatch):
    """The files whose stat vouches for a hash already ingested are found in two queries per dataset; only the
    others take the per-file path (hash, records, transaction), and --full-refresh takes it for every file."""
    from orchestration.datasets import BY_KEY
    from tests.unit.test_ingest import connect, ingest, stage

    ds = BY_KEY["delivery/changes"]
    rows = "\n".join(f'{{"change_id": "c{i}", "time_created": "2026-10-0{i}T00:00:00Z"}}' for i in range(1, 4))
    stage(tmp_path, ds, {f"changes_{n}.jsonl": (rows.replace('"c', f'"{n}c') + "\n").encode() for n in "abc"})
    later = time.time_ns() + 10 * 10**9
    monkeypatch.setattr(engine.time, "time_ns", lambda: later)  # hashed 10 s after the files were written
    con = connect(tmp_path)
    _, first = ingest(tmp_path, ds, con)
    assert [f.status for f in first.files] == ["landed"] * 3
    per_file: list[str] = []
    real = engine._ingest_file

    def counted(con, raw_dir, ds, path, *args, **kw):
        per_file.append(path.name)
        return real(con, raw_dir, ds, path, *args, **kw)

    monkeypatch.setattr(engine, "_ingest_file", counted)
    _, again = ingest(tmp_path, ds, con)
    assert [(f.status, f.file_sha256) for f in again.files] == [("skipped", f.file_sha256) for f in first.files]
    assert per_file == []
    changed = tmp_path / "raw" / ds.folder / "changes_b.jsonl"
    changed.write_text(changed.read_text().replace("c1", "c9"))
    monkeypatch.setattr(engine.time, "time_ns", lambda: later + 20 * 10**9)
    _, restated = ingest(tmp_path, ds, con)
    assert per_file == ["changes_b.jsonl"]
    assert [f.status for f in restated.files] == ["skipped", "landed", "skipped"]
    per_file.clear()
    full = engine.ingest_dataset(con, tmp_path / "raw", ds, run_id="r", trust_stats=False)
    assert per_file == ["changes_a.jsonl", "changes_b.jsonl", "changes_c.jsonl"]
    assert [f.status for f in full.files] == ["skipped"] * 3
