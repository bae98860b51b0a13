"""Compare two build (or published) DuckDB files table by table: the before/after test of a refactoring.

A change that must not change behaviour (a model split, a macro moved, a module renamed) is checked by
building the demo night before and after it and comparing every table both files hold: the rows of each
(EXCEPT ALL both ways, so duplicates count), money and text exactly, floats to a relative tolerance (a
different plan may sum floats in another order), and the column names and types.

    python -m tests.tools.compare_builds BEFORE.duckdb AFTER.duckdb [--schemas staging,intermediate,marts]

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


def _key(row: tuple) -> tuple[str, str]:
    """Sort key pairing two builds' versions of a row whose floats may differ in their last places."""
    return repr([v for v in row if not isinstance(v, float)]), repr(row)


def differences(before: Path, after: Path, schemas: tuple[str, ...] = SCHEMAS, rel_tol: float = 1e-9) -> dict[str, str]:
    """Tables (``"schema"."table"``) that differ between two DuckDB files, each with why: only one file has
    it, its columns differ, or rows only one side holds (after floats are compared to ``rel_tol``)."""
    from orchestration.settings import duckdb_memory_limit

    # under the pipeline's memory cap: two large-scale builds compared without it took 18 GB
    con = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
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
            only_a = _count(con, f"SELECT * FROM a.{table} EXCEPT ALL SELECT * FROM b.{table}")
            only_b = _count(con, f"SELECT * FROM b.{table} EXCEPT ALL SELECT * FROM a.{table}")
            if only_a == only_b == 0:
                continue
            # rows equal exactly cancel out: pair the rest (each side's rows the other lacks) by their values
            # other than floats, and compare the floats to rel_tol
            rows_a = sorted(
                con.execute(f"SELECT * FROM a.{table} EXCEPT ALL SELECT * FROM b.{table}").fetchall(), key=_key
            )
            rows_b = sorted(
                con.execute(f"SELECT * FROM b.{table} EXCEPT ALL SELECT * FROM a.{table}").fetchall(), key=_key
            )
            if len(rows_a) != len(rows_b) or not all(
                rows_close(x, y, rel_tol) for x, y in zip(rows_a, rows_b, strict=True)
            ):
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
    args = parser.parse_args(argv)
    schemas = tuple(s for s in args.schemas.split(",") if s)
    found = differences(args.before, args.after, schemas, args.rel_tol)
    for table, why in found.items():
        print(f"{table}: {why}")
    print(f"{len(found)} table(s) differ" if found else "every table equal")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
