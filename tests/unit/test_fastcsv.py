"""DuckDB's CSV reader gives exactly the streaming reader's cells and lines, or hands the file back."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from orchestration.datasets import DATASETS
from orchestration.ingest import engine, fastcsv, readers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _streamed(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], list[readers.RowReject]]:
    rejects: list[readers.RowReject] = []
    header, batches = readers.read_csv(path, rejects)
    rows = [(line, [col[r] for col in b.columns]) for b in batches for r, line in enumerate(b.lines)]
    return header, rows, rejects


def _fast(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    header, header_lines = readers.csv_header(path)
    con = duckdb.connect()
    n = fastcsv.stage(con, path, len(header), header_lines, "staged")
    if n is None:
        assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'staged'").fetchall()[0][0]
        return None
    cells = ", ".join(f"c{i}" for i in range(len(header)))
    got = con.execute(f"SELECT rowid + {header_lines + 1}, [{cells}] FROM staged ORDER BY rowid").fetchall()
    assert len(got) == n
    return header, [(line, list(cells)) for line, cells in got]


CORPUS = sorted(p for p in FIXTURES.rglob("*") if p.name.endswith((".csv", ".csv.gz")))


@pytest.mark.parametrize("path", CORPUS, ids=[p.relative_to(FIXTURES).as_posix() for p in CORPUS])
def test_fast_reader_agrees_with_the_streaming_reader_on_every_fixture(path: Path) -> None:
    try:
        header, rows, rejects = _streamed(path)
    except readers.FileRejected:  # a file the streaming reader rejects is never staged
        assert not _readable(path) or _fast(path) is None
        return
    fast = _fast(path)
    if fast is not None:
        assert not rejects, "a file with unsplittable rows must go to the streaming reader"
        assert fast == (header, rows)


def test_most_fixtures_take_the_fast_path() -> None:
    fast = [p for p in CORPUS if _readable(p) and _fast(p) is not None]
    assert len(fast) >= 12, fast  # vacuous otherwise: the equivalence above would compare nothing


def _readable(path: Path) -> bool:
    try:
        readers.csv_header(path)
    except readers.FileRejected:
        return False
    return True


TRICKY = {
    "quoted comma, doubled quote, empty cells": ('a,b,c\n1,"x,y",\n"",2,"q""r"\n', True),
    "CRLF line ends": ("a,b,c\r\n1,2,3\r\n4,5,6\r\n", True),
    "no newline after the last record": ("a,b,c\n1,2,3\n4,5,6", True),
    "header only": ("a,b,c\n", True),
    "header spanning two lines": ('a,"b\nb",c\n1,2,3\n', False),
    "spaces kept as they are": ("a,b,c\n 1 ,  2,3  \n", True),
    "unicode": ("a,b,c\nZoë,東京,\U0001f600\n", True),
    "quoted newline in a record": ('a,b,c\n1,"x\ny",3\n4,5,6\n', False),
    "blank line": ("a,b,c\n1,2,3\n\n4,5,6\n", False),
    "blank line at the end": ("a,b,c\n1,2,3\n\n", False),
    "too few fields": ("a,b,c\n1,2\n4,5,6\n", False),
    "too many fields": ("a,b,c\n1,2,3,4\n", False),
    "stray quote": ('a,b,c\n1,"x"y,3\n', False),
    "CR-only line ends": ("a,b,c\r1,2,3\r4,5,6\r", False),
    "a cell holding DuckDB's NULL string": (f"a,b,c\n1,{fastcsv.NULL_TEXT},3\n", False),
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_files_are_read_exactly_or_handed_back(tmp_path: Path, name: str) -> None:
    text, fast_expected = TRICKY[name]
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    fast = _fast(path)
    assert (fast is not None) == fast_expected
    if fast is not None:
        header, rows, rejects = _streamed(path)
        assert not rejects
        assert fast == (header, rows)


def test_text_that_is_not_utf8_is_handed_back(tmp_path: Path) -> None:
    """Past the header (which the streaming reader decodes first), a byte that is not UTF-8: DuckDB reads the
    file anyway; the line count refuses it, and the streaming reader rejects the file naming the line."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"a,b,c\n" + b"1,2,3\n" * 5000 + "4,Zo\xeb,6\n".encode("latin-1"))
    assert fastcsv.physical_lines(path) is None
    assert _fast(path) is None
    with pytest.raises(readers.FileRejected, match="UTF-8"):
        _streamed(path)


@pytest.mark.parametrize(
    ("tail", "valid"),
    [
        ("Zoë\n".encode(), True),  # a character split between reads, then ASCII reads
        (b"Zo\xc3", False),  # a character cut short at the end of the file
        (b"Zo\xc3" + b"x" * 20 + b"\xab\n", False),  # ... by ASCII, before the byte that would end it
        (b"\xff\n", False),  # a byte no UTF-8 text holds, after ASCII reads
    ],
)
def test_the_line_count_checks_utf8_across_reads(tmp_path: Path, monkeypatch, tail: bytes, valid: bool) -> None:
    """The count skips decoding a read that is all ASCII, unless a character is still open from the read
    before: a character split between reads, cut short, or a byte that is not UTF-8 is still seen, wherever
    the reads fall."""
    path = tmp_path / "x.csv"
    text = b"a,b,c\n1,2,3\nxyz,Zo\xc3\xab,1\n" + b"4,5,6\n" * 3 + tail
    path.write_bytes(text)
    for size in range(1, 13):
        monkeypatch.setattr(fastcsv, "_CHUNK", size)
        assert fastcsv.physical_lines(path) == (text.count(b"\n") + (not text.endswith(b"\n")) if valid else None)


def test_gzip_is_read_and_counted_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"a,b,c\n1,2,3\n4,5,6\n"))
    assert fastcsv.physical_lines(path) == 3
    assert _fast(path) == _streamed(path)[:2]


def test_a_large_file_read_in_parallel_keeps_the_file_order(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w") as fh:
        fh.write("id,text,n\n")
        for i in range(300_000):
            fh.write(f'{i},"row, {i}",{i * 7 % 13}\n')
    _, header_lines = readers.csv_header(path)
    con = duckdb.connect(config={"threads": 2})
    assert fastcsv.stage(con, path, 3, header_lines, "staged") == 300_000
    wrong = con.execute(
        "SELECT count(*) FROM staged WHERE CAST(c0 AS BIGINT) <> rowid OR c1 <> 'row, ' || c0"
    ).fetchall()[0][0]
    assert wrong == 0


def test_ingest_parses_a_clean_csv_without_python_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine lands a clean CSV without calling the streaming reader, and still sends a file with a quoted
    newline through it, with the physical line of each record."""
    ds = next(d for d in DATASETS if d.key == "iam/identity_inventory")
    source = next((FIXTURES / ds.folder).glob("*.csv"))
    raw = tmp_path / "raw"
    (raw / ds.folder).mkdir(parents=True)
    (raw / ds.folder / "clean.csv").write_bytes(source.read_bytes())
    streamed: list[Path] = []
    real = readers.read_csv

    def spy(path: Path, *args, **kwargs):
        streamed.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(readers, "read_csv", spy)
    con = engine.connect(tmp_path / "wh.duckdb")
    first = engine.ingest_dataset(con, raw, ds)
    assert first.rows_accepted > 0 and streamed == []
    lines = [r[0] for r in con.execute(f"SELECT _line FROM {ds.table} ORDER BY _line").fetchall()]
    assert lines == list(range(2, 2 + len(lines)))

    head, *rows = source.read_text().splitlines()
    cells = rows[0].split(",")
    cells[2] = '"multi\nline name"'  # a quoted newline in a free-text cell: lines shift after it
    (raw / ds.folder / "wrapped.csv").write_text("\n".join([head, ",".join(cells), *rows[1:3]]) + "\n")
    engine.ingest_dataset(con, raw, ds)
    assert [p.name for p in streamed] == ["wrapped.csv"]
    wrapped = [
        r[0]
        for r in con.execute(
            f"SELECT _line FROM {ds.table} WHERE _source_file LIKE '%wrapped.csv' ORDER BY _line"
        ).fetchall()
    ]
    assert wrapped == [2, 4, 5]
