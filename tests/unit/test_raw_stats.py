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
