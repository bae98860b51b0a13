"""Compare two build (or published) DuckDB files table by table: the before/after test of a refactoring.

A change that must not change behaviour (a model split, a macro moved, a module renamed) is checked by
building the demo night before and after it and comparing every table both files hold: the rows of each
(EXCEPT ALL both ways, so duplicates count), money and text exactly, floats to a relative tolerance (a
different plan may sum floats in another order), and the column names and types.

    python -m tests.tools.compare_builds BEFORE.duckdb AFTER.duckdb [--schemas staging,intermediate,marts]
        [--ignore _ingested_at,...]

prints each table that differs and exits 1 when any does. The incremental/full-refresh equality test uses
the same comparison (tests/integration/test_incremental.py).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import duckdb

SCHEMAS = ("staging", "intermediate", "marts")


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]) -> list[str]:
    rows = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = ? "
        "AND list_contains(?, table_schema) AND table_type = 'BASE TABLE' ORDER BY 1, 2",
        [catalog, list(schemas)],
    ).fetchall()
    return [f'"{s}"."{t}"' for s, t in rows]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ? "
        "AND '\"' || table_schema || '\".\"' || table_name || '\"' = ? ORDER BY ordinal_position",
        [catalog, table],
    ).fetchall()


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]


def rows_close(x: tuple, y: tuple, rel_tol: float) -> bool:
    """Two rows equal value for value: floats to ``rel_tol`` relative, everything else (money) exactly."""
    return all(
        math.isclose(p, q, rel_tol=rel_tol) if isinstance(p, float) and isinstance(q, float) else p == q
        for p, q in zip(x, y, strict=True)
    )


FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def _paired_within_tolerance(
    con: duckdb.DuckDBPyConnection, rel_a: str, rel_b: str, cols: list[tuple[str, str]], rows: int, rel_tol: float
) -> bool:
    """Whether each side's rows the other lacks (``rows`` each) pair up: equal in every column that is not a
    float, floats within ``rel_tol`` (as :func:`math.isclose`). Paired in SQL, so that DuckDB spills under its
    memory cap: two large-scale builds whose floats differ in their last places in every row took 24 GB of
    Python objects when the rows were fetched."""
    floats = [f'"{c}"' for c, t in cols if t in FLOAT_TYPES]
    exact = [f'"{c}"' for c, t in cols if t not in FLOAT_TYPES]
    if not floats:
        return False  # rows that differ with no float to forgive
    partition = f"PARTITION BY {', '.join(exact)} " if exact else ""
    for side, this, other in (("da", rel_a, rel_b), ("db", rel_b, rel_a)):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {side} AS SELECT *, row_number() OVER ({partition}ORDER BY "
            f"{', '.join(floats)}) AS _pair FROM (SELECT * FROM {this} EXCEPT ALL SELECT * FROM {other})"
        )
    on = " AND ".join([*(f"da.{c} IS NOT DISTINCT FROM db.{c}" for c in exact), "da._pair = db._pair"])
    close = " AND ".join(
        f"(da.{c} IS NOT DISTINCT FROM db.{c} "
        f"OR abs(da.{c} - db.{c}) <= {rel_tol!r} * greatest(abs(da.{c}), abs(db.{c})))"
        for c in floats
    )
    try:
        return _count(con, f"SELECT 1 FROM da JOIN db ON {on} WHERE {close}") == rows
    finally:
        con.execute("DROP TABLE da; DROP TABLE db")


def differences(
    before: Path,
    after: Path,
    schemas: tuple[str, ...] = SCHEMAS,
    rel_tol: float = 1e-9,
    ignore: tuple[str, ...] = (),
) -> dict[str, str]:
    """Tables (``"schema"."table"``) that differ between two DuckDB files, each with why: only one file has
    it, its columns differ, or rows only one side holds (after floats are compared to ``rel_tol``). Columns
    named in ``ignore`` are left out of every table (two runs' ``_ingested_at``, say)."""
    from orchestration.settings import connect_duckdb

    # under the pipeline's memory cap: two large-scale builds compared without it took 18 GB
    con = connect_duckdb()
    try:
        con.execute("ATTACH ? AS a (READ_ONLY)", [str(before)])
        con.execute("ATTACH ? AS b (READ_ONLY)", [str(after)])
        out: dict[str, str] = {}
        tables_a, tables_b = _tables(con, "a", schemas), _tables(con, "b", schemas)
        for table in sorted(set(tables_a) ^ set(tables_b)):
            out[table] = f"only in {'before' if table in tables_a else 'after'}"
        for table in tables_a:
            if table in out:
                continue
            cols_a, cols_b = _columns(con, "a", table), _columns(con, "b", table)
            if cols_a != cols_b:
                out[table] = f"columns differ: {sorted(set(cols_a) ^ set(cols_b))}"
                continue
            cols = [(c, t) for c, t in cols_a if c not in ignore]
            if len(cols) < len(cols_a):
                listed = ", ".join(f'"{c}"' for c, _ in cols)
                con.execute(f"CREATE OR REPLACE TEMP VIEW ta AS SELECT {listed} FROM a.{table}")
                con.execute(f"CREATE OR REPLACE TEMP VIEW tb AS SELECT {listed} FROM b.{table}")
                rel_a, rel_b = "ta", "tb"
            else:
                rel_a, rel_b = f"a.{table}", f"b.{table}"
            only_a = _count(con, f"SELECT * FROM {rel_a} EXCEPT ALL SELECT * FROM {rel_b}")
            only_b = _count(con, f"SELECT * FROM {rel_b} EXCEPT ALL SELECT * FROM {rel_a}")
            if only_a == only_b == 0:
                continue
            # rows equal exactly cancel out: pair the rest by their values other than floats, floats to rel_tol
            if only_a != only_b or not _paired_within_tolerance(con, rel_a, rel_b, cols, only_a, rel_tol):
                out[table] = f"{only_a} row(s) only before, {only_b} only after"
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="compare_builds", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--schemas", default=",".join(SCHEMAS), help="comma-separated (default %(default)s)")
    parser.add_argument("--rel-tol", type=float, default=1e-9, help="float tolerance (default %(default)s)")
    parser.add_argument("--ignore", default="", help="comma-separated columns left out of every table")
    args = parser.parse_args(argv)
    schemas = tuple(s for s in args.schemas.split(",") if s)
    found = differences(args.before, args.after, schemas, args.rel_tol, tuple(c for c in args.ignore.split(",") if c))
    for table, why in found.items():
        print(f"{table}: {why}")
    print(f"{len(found)} table(s) differ" if found else "every table equal")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
