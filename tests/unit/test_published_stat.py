"""The published file is hashed again only when its stat says it may have changed since its release put it in
place (publish_delta.published_sha256): the night gate and the base check of a patched release read its SHA-256."""

from __future__ import annotations

import hashlib
import os
import time

import duckdb
import pytest

from orchestration import publish_delta


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def reads() -> list:
    return []


@pytest.fixture
def hashing(reads):
    def counting(path):
        reads.append(path)
        return _sha256(path)

    return counting


@pytest.fixture
def published(tmp_path):
    """A published file as the release step leaves it (written, hashed, read-only), its SHA-256 recorded."""
    f = tmp_path / "roi.duckdb"
    f.write_bytes(b"release one\n")
    sha = _sha256(f)
    f.chmod(0o444)
    con = duckdb.connect()
    publish_delta.record_published_stat(con, f, sha)
    recorded = publish_delta.recorded_published_stat(con)
    con.close()
    return f, sha, recorded


def test_an_unchanged_published_file_is_not_read_again(published, hashing, reads):
    f, sha, recorded = published
    assert recorded.sha256 == sha and recorded.stat == publish_delta.file_stat(f)
    assert publish_delta.published_sha256(f, recorded, hashing) == sha
    assert reads == []
    assert publish_delta.published_sha256(f, None, hashing) == sha  # --full-refresh: nothing trusted, read
    assert reads == [f]


def test_a_written_published_file_is_read_again_even_with_size_and_times_put_back(published, hashing, reads):
    f, sha, recorded = published
    st = f.stat()
    time.sleep(0.02)
    f.chmod(0o644)
    f.write_bytes(b"release two\n")  # same size
    f.chmod(0o444)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # the modification time set back: the change time cannot be
    now = publish_delta.published_sha256(f, recorded, hashing)
    assert now == _sha256(f) != sha and reads == [f]


def test_a_replaced_published_file_is_read_again(published, hashing, reads, tmp_path):
    f, sha, recorded = published
    other = tmp_path / "other.duckdb"
    other.write_bytes(f.read_bytes())
    os.replace(other, f)  # same bytes, another file (inode): read, and found equal
    assert publish_delta.published_sha256(f, recorded, hashing) == sha and reads == [f]


def test_no_published_file_has_no_sha256(published, hashing, reads):
    f, _, recorded = published
    f.unlink()
    assert publish_delta.published_sha256(f, recorded, hashing) is None and reads == []


def test_a_build_database_without_the_record_has_none_and_keeps_one_row(tmp_path):
    f = tmp_path / "roi.duckdb"
    f.write_bytes(b"x")
    con = duckdb.connect()
    assert publish_delta.recorded_published_stat(con) is None
    publish_delta.record_published_stat(con, f, "a" * 64)
    publish_delta.record_published_stat(con, f, "b" * 64)  # one row: the last release's
    assert con.execute("SELECT count(*) FROM ingest_state.published_file_stat").fetchone()[0] == 1
    assert publish_delta.recorded_published_stat(con).sha256 == "b" * 64
    con.close()
