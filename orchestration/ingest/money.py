"""Money that did not land: the ingest side of the money-completeness gate.

Ingest totals every money field per file and currency from the file's own text (``audit.ingested_money``).
A file's money did not land when rows holding an amount were quarantined (their amounts are known), when
an amount could not be read exactly (its value is unknown), or when the whole file was rejected (nothing of
it was read). The ``money_complete`` check of each ingest asset with money fields blocks the release on any
of these above the dbt var ``money_unlanded_max`` (default 0), naming file, rows and amount; the dbt gate
``assert_money_reaches_marts`` follows the landed money on to the marts.

Only the current version of each file counts: a restated file supersedes the earlier one, and a rejected file
the user removed from ``raw/`` is withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from orchestration.datasets import Dataset

UNLANDED_VAR = "money_unlanded_max"
#: Files named in the check's metadata (the release record keeps them); the count says how many more.
SHOWN_FILES = 20


@dataclass(frozen=True)
class UnlandedMoney:
    """One file's money that did not land, per money field and currency."""

    source_file: str
    column: str | None
    currency: str | None
    rows_quarantined: int
    amount_quarantined: Decimal
    amount_quarantined_abs: Decimal
    rows_unreadable: int
    rejected: str | None = None
    """The rejection message when the whole file was refused (its money is unknown)."""

    def describe(self) -> str:
        if self.rejected is not None:
            return f"{self.source_file}: file rejected, its money is unknown ({self.rejected[:200]})"
        parts = []
        if self.rows_quarantined:
            parts.append(
                f"{self.rows_quarantined} quarantined row(s) holding {self.column} "
                f"{self.amount_quarantined} {self.currency or '(no currency)'}"
            )
        if self.rows_unreadable:
            parts.append(f"{self.rows_unreadable} row(s) whose {self.column} cannot be read exactly")
        return f"{self.source_file}: {', '.join(parts)}"


def unlanded(con: duckdb.DuckDBPyConnection, ds: Dataset) -> list[UnlandedMoney]:
    """Every current file of ``ds`` whose money did not (wholly) land, in file order."""
    if not ds.money_fields:
        return []
    rows = con.execute(
        """
        WITH current_files AS (
            SELECT source_file, file_sha256, status, message FROM audit.ingested_files
            WHERE dataset = ? AND status IN ('landed', 'rejected')
        ),
        money AS (
            SELECT m.source_file, m.column_name, m.currency, m.rows_quarantined, m.amount_quarantined,
                   m.amount_quarantined_abs, m.rows_unreadable
            FROM audit.ingested_money AS m
            JOIN current_files AS f USING (source_file, file_sha256)
            WHERE m.dataset = ? AND f.status = 'landed'
        )
        SELECT source_file, column_name, currency, rows_quarantined, amount_quarantined, amount_quarantined_abs,
               rows_unreadable, NULL AS rejected
        FROM money
        WHERE amount_quarantined_abs > 0 OR rows_unreadable > 0
        UNION ALL
        SELECT source_file, NULL, NULL, 0, 0, 0, 0, message FROM current_files WHERE status = 'rejected'
        ORDER BY source_file, column_name NULLS FIRST, currency NULLS FIRST
        """,
        [ds.key, ds.key],
    ).fetchall()
    return [UnlandedMoney(*r) for r in rows]


def verdict(ds: Dataset, found: list[UnlandedMoney], unlanded_max: float) -> tuple[bool, dict[str, Any]]:
    """(passed, metadata) of ``money_complete`` (pure: tested). Per file and currency, quarantined amounts
    (absolute values added) of any money field above ``unlanded_max`` block; an unreadable amount or a
    rejected file always does, since its amount is unknown. Row counts are per file (the largest over its money
    fields: a row is quarantined once, whichever of its amounts is counted)."""
    limit = Decimal(str(unlanded_max))
    failing = [u for u in found if u.rejected is not None or u.rows_unreadable or u.amount_quarantined_abs > limit]
    meta: dict[str, Any] = {
        "money_unlanded_max": unlanded_max,
        "files_with_unlanded_money": len({u.source_file for u in failing}),
        "rows_quarantined_with_money": _per_file_max(failing, "rows_quarantined"),
        "rows_unreadable_amounts": _per_file_max(failing, "rows_unreadable"),
        "files_rejected": sum(1 for u in failing if u.rejected is not None),
    }
    if failing:
        shown = "; ".join(u.describe() for u in failing[:SHOWN_FILES])
        more = f"; and {len(failing) - SHOWN_FILES} more" if len(failing) > SHOWN_FILES else ""
        meta["reason"] = (
            f"{ds.key}: money did not land (limit {UNLANDED_VAR} = {unlanded_max} per file and currency): {shown}{more}"
        )
    return not failing, meta


def _per_file_max(found: list[UnlandedMoney], attr: str) -> int:
    per_file: dict[str, int] = {}
    for u in found:
        per_file[u.source_file] = max(per_file.get(u.source_file, 0), getattr(u, attr))
    return sum(per_file.values())
