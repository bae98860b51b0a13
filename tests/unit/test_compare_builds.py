"""The before/after comparison of refactorings (tests/tools/compare_builds.py) sees every kind of difference."""

from __future__ import annotations

import duckdb
import pytest

from tests.tools.compare_builds import differences, main


@pytest.fixture
def before(tmp_path):
    path = tmp_path / "before.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.costs (k VARCHAR, amount DECIMAL(38, 15), share DOUBLE)")
    con.execute(
        "INSERT INTO marts.costs VALUES ('a', 1.000000000000001, 0.1), ('a', 1.000000000000001, 0.1), ('b', 2, 0.3)"
    )
    con.execute("CREATE SCHEMA audit")
    con.execute("CREATE TABLE audit.runs (run_id VARCHAR)")
    con.execute("INSERT INTO audit.runs VALUES ('r1')")
    con.close()
    return path


def _after(before, tmp_path, *statements: str):
    path = tmp_path / "after.duckdb"
    path.write_bytes(before.read_bytes())
    con = duckdb.connect(str(path))
    for sql in statements:
        con.execute(sql)
    con.close()
    return path


def test_a_copy_is_equal_and_floats_summed_in_another_order_are_equal(before, tmp_path):
    after = _after(before, tmp_path, "UPDATE marts.costs SET share = 0.1 + 0.2 WHERE k = 'b'")  # 0.30000000000000004
    assert differences(before, after) == {}
    assert main([str(before), str(after)]) == 0


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("UPDATE marts.costs SET amount = 1.000000000000002 WHERE k = 'b'", "1 row(s) only before, 1 only after"),
        (
            "DELETE FROM marts.costs WHERE k = 'a' AND rowid = (SELECT min(rowid) FROM marts.costs WHERE k = 'a')",
            "1 row(s) only before, 0 only after",
        ),
        ("UPDATE marts.costs SET share = share * (1 + 1e-6)", "3 row(s) only before, 3 only after"),
        ("ALTER TABLE marts.costs ALTER share TYPE FLOAT", "columns differ"),
        ("CREATE TABLE marts.extra (k VARCHAR)", "only in after"),
    ],
)
def test_a_difference_is_named_with_its_table(before, tmp_path, statement, why):
    after = _after(before, tmp_path, statement)
    found = differences(before, after)
    assert len(found) == 1
    table, reason = next(iter(found.items()))
    assert table in ('"marts"."costs"', '"marts"."extra"')
    assert reason.startswith(why)
    assert main([str(before), str(after)]) == 1


def test_only_the_schemas_asked_for_are_compared(before, tmp_path):
    after = _after(before, tmp_path, "INSERT INTO audit.runs VALUES ('r2')")
    assert differences(before, after) == {}
    assert differences(before, after, schemas=("audit",)) == {'"audit"."runs"': "0 row(s) only before, 1 only after"}


def test_rows_whose_floats_moved_in_the_last_places_are_paired_by_their_other_values(tmp_path):
    """The rows one side lacks are paired by their values other than floats (in SQL: never fetched): sorted as
    whole rows, a float column first would pair 'a' with 'b' here; two rows of one key pair by their floats'
    order, and a NULL float pairs with a NULL."""
    paths = []
    for name, rows in (
        ("one", "(0.1::DOUBLE + 0.2, 'a'), (0.3::DOUBLE, 'b'), (1.0, 'c'), (2.0, 'c'), (NULL, 'd'), (0.5, 'd')"),
        (
            "two",
            "(0.3::DOUBLE, 'a'), (0.1::DOUBLE + 0.2, 'b'), (2.000000000001, 'c'), (1.0, 'c'), (NULL, 'd'), (0.5, 'd')",
        ),
    ):
        path = tmp_path / f"{name}.duckdb"
        con = duckdb.connect(str(path))
        con.execute("CREATE SCHEMA marts")
        con.execute(f"CREATE TABLE marts.t AS SELECT * FROM (VALUES {rows}) AS v(share, k)")
        con.close()
        paths.append(path)
    assert differences(*paths) == {}
    con = duckdb.connect(str(paths[1]))
    con.execute("UPDATE marts.t SET share = 2.00001 WHERE share > 1.5")  # beyond 1e-9: no pair for it
    con.close()
    assert differences(*paths) == {'"marts"."t"': "3 row(s) only before, 3 only after"}  # a, b and c unpaired exactly


def test_columns_asked_to_be_left_out_are(before, tmp_path):
    """Two runs' own columns (``_ingested_at``) are left out when asked, and only those."""
    after = _after(before, tmp_path, "ALTER TABLE audit.runs ADD COLUMN _ingested_at TIMESTAMP DEFAULT now()")
    con = duckdb.connect(str(before))
    con.execute("ALTER TABLE audit.runs ADD COLUMN _ingested_at TIMESTAMP DEFAULT TIMESTAMP '2000-01-01'")
    con.close()
    assert list(differences(before, after, schemas=("audit",))) == ['"audit"."runs"']
    assert differences(before, after, schemas=("audit",), ignore=("_ingested_at",)) == {}
    assert main([str(before), str(after), "--schemas", "audit", "--ignore", "_ingested_at"]) == 0
