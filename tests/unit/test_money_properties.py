"""Property: any valid FOCUS or LiteLLM export, however its amounts are written (up to 18 places, exponent notation,
signs, trailing zeros, currency casing), lands with every amount exact: ingest's totals from the file's own text,
the landed rows and an independent Decimal reading of the file agree to the last digit. (The same files reach the
marts in tests/integration/test_real_exports.py.)"""

from __future__ import annotations

import csv
import decimal
import io
import json
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.datasets import BY_KEY
from orchestration.ingest import checkfile, engine

FOCUS = BY_KEY["billing/focus"]
LITELLM = BY_KEY["usage/litellm_spend_logs"]
FOCUS_COLUMNS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
FOCUS_HEADER = [
    *FOCUS_COLUMNS,
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ServiceName",
]


@st.composite
def amounts(draw) -> str:
    """An amount as an export writes it: at most 20 integer digits and 18 places, in any common spelling."""
    places = draw(st.integers(0, 18))
    units = draw(st.integers(-(10**12), 10**12))
    value = Decimal(units).scaleb(-places) if places else Decimal(units)
    style = draw(st.sampled_from(["plain", "padded", "exponent", "plus"]))
    if style == "padded":  # trailing zeros up to 18 places, as FOCUS files print them
        return f"{value:.{draw(st.integers(places, 18))}f}"
    if style == "exponent" and value != 0:
        return f"{value:.{min(places + len(str(abs(units))), 30)}E}".replace("E+00", "E0")
    text = format(value, "f")
    return "+" + text if style == "plus" and value >= 0 else text


class _Warehouse:
    """One build database for every example (a file of its own each time: examples stay fast). Each file's
    content is unique too (hypothesis replays examples: the same bytes under another name would be a duplicate)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="money-prop-"))
        self.con = engine.connect(self.root / "build.duckdb")
        self.n = 0

    def next_id(self) -> str:
        self.n += 1
        return f"{self.n:05d}"

    def ingest(self, ds, name: str, text: str):
        rel = f"{ds.folder}/{name}"
        path = self.root / "raw" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        (result,) = [
            f
            for f in engine.ingest_dataset(self.con, self.root / "raw", ds, run_id="prop").files
            if f.source_file == rel
        ]
        assert result.status == "landed", result
        return self.con, result


_WAREHOUSE: list[_Warehouse] = []


def warehouse() -> _Warehouse:
    if not _WAREHOUSE:
        _WAREHOUSE.append(_Warehouse())
    return _WAREHOUSE[0]


focus_rows = st.lists(
    st.tuples(
        amounts(),
        amounts(),
        st.one_of(st.just("NULL"), amounts()),
        st.one_of(st.just(""), amounts()),
        st.sampled_from(["USD", "usd", " EUR ", "JPY"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(focus_rows)
def test_any_valid_focus_amounts_land_exactly(rows):
    wh = warehouse()
    n = wh.next_id()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FOCUS_HEADER)
    for billed, effective, listed, contracted, currency in rows:
        w.writerow(
            [
                billed,
                effective,
                listed,
                contracted,
                f"acct-{n}",
                currency,
                "2026-10-01",
                "2026-11-01",
                "Usage",
                "2026-10-01 00:00:00",
                "2026-10-01 01:00:00",
                "Amazon Bedrock",
            ]
        )
    con, result = wh.ingest(FOCUS, f"focus-{n}.csv", buf.getvalue())
    rel = result.source_file
    assert result.rows_quarantined == 0 and result.rows_accepted == len(rows)
    expected: dict[tuple[str, str], Decimal] = {}
    with decimal.localcontext(checkfile.EXACT):  # Python's default 28 digits would round a 38-digit sum
        for row in rows:
            for column, text in zip(
                ("billed_cost", "effective_cost", "list_cost", "contracted_cost"), row[:4], strict=True
            ):
                if text not in ("", "NULL"):
                    key = (column, row[4].strip().upper())
                    expected[key] = expected.get(key, Decimal(0)) + Decimal(text)
    got = {
        (c, cur): (read, landed)
        for c, cur, read, landed in con.execute(
            "SELECT column_name, currency, amount_read, amount_landed FROM audit.ingested_money WHERE source_file = ?",
            [rel],
        ).fetchall()
    }
    assert got == {k: (v, v) for k, v in expected.items()}
    for column in ("billed_cost", "effective_cost"):
        landed = con.execute(
            f"SELECT upper(trim(billing_currency)), sum({column}) FROM {FOCUS.table} WHERE _source_file = ? GROUP BY 1",
            [rel],
        ).fetchall()
        assert dict(landed) == {cur: v for (c, cur), v in expected.items() if c == column}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(amounts(), st.booleans()), min_size=1, max_size=25))
def test_any_valid_litellm_spend_lands_exactly(spends):
    """JSON lines carry spend as a JSON number (every digit kept, never through a float) or as a string."""
    wh = warehouse()
    n = wh.next_id()
    lines = []
    for i, (spend, as_string) in enumerate(spends):
        number = json.dumps(spend) if as_string else spend.lstrip("+")
        lines.append(
            f'{{"request_id": "req-{n}-{i}", "spend": {number}, "startTime": "2026-10-30T08:00:00Z", '
            f'"model": "gpt-4o-mini"}}'
        )
    con, result = wh.ingest(LITELLM, f"spend-{n}.jsonl", "\n".join(lines) + "\n")
    rel = result.source_file
    assert result.rows_quarantined == 0
    with decimal.localcontext(checkfile.EXACT):
        expected = sum((Decimal(s) for s, _ in spends), Decimal(0))
    assert con.execute(
        "SELECT amount_read, amount_landed FROM audit.ingested_money WHERE source_file = ?", [rel]
    ).fetchall() == [(expected, expected)]
    assert (
        con.execute(f"SELECT sum(spend) FROM {LITELLM.table} WHERE _source_file = ?", [rel]).fetchone()[0] == expected
    )
