"""The FOCUS cost and usage writer: AWS and OpenAI as FOCUS 1.2 CSV, Microsoft as FOCUS 1.3 Parquet, one file per
provider and month. The providers' rows: focus_aws.py, focus_microsoft.py and the OpenAI rows here; what they
share: focus_common.py; the SaaS seat / licence export and the licences billed through FOCUS: saas.py.

Money is computed with ``decimal.Decimal`` only. AI charges carry ``Tags`` ``{"ai_system": "ais-..."}``;
usage-based token charges equal the billable tokens of the LiteLLM / OpenAI usage exports times the model
price, exactly. Seat subscriptions billed through a FOCUS provider use the SaaS licence id as ``ResourceId``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from roi_ledger_demo import _util as u
from roi_ledger_demo import openai_endpoints
from roi_ledger_demo.carried import Carried, TokenTotals, UnitTotals
from roi_ledger_demo.focus_aws import aws_rows
from roi_ledger_demo.focus_common import (
    EXTRA_13,
    FOCUS_12_COLUMNS,
    MONEY_COLUMNS,
    NANO,
    RENAMES_13,
    TIME_COLUMNS,
    base_row,
    charge,
    one_time_rows,
    tags,
)
from roi_ledger_demo.focus_microsoft import microsoft_rows
from roi_ledger_demo.systems import MODELS
from roi_ledger_demo.world import World


def _openai_rows(world: World, m0: dt.date, openai: TokenTotals, units: UnitTotals) -> list[dict]:
    rows = []
    a = u.epoch(m0)
    b = min(u.epoch(u.next_month(m0)), world.end)
    acct = {
        "BillingAccountId": "org-" + "".join(u.rand_alnum(u.rng_for(world.seed, "openai-org"), 1, 24)),
        "BillingAccountName": "Example Org",
        "BillingAccountType": "Organization",
        "InvoiceIssuerName": "OpenAI, L.L.C.",
        "ProviderName": "OpenAI",
        "InvoiceId": f"OAI-{m0:%Y%m}-0001",
    }
    by_project = {s.project_id: s for s in world.systems + world.shadow if s.project_id}

    def sub(team: str) -> dict:
        return {"SubAccountId": None, "SubAccountName": None}

    for (month, project, model), (tin, tout) in sorted(openai.items()):
        if month != m0:
            continue
        s = by_project[project]
        mdl = MODELS[model]
        for direction, toks, price_nano in (("input", tin, mdl.price_in), ("output", tout, mdl.price_out)):
            if toks == 0:
                continue
            price = Decimal(price_nano * 1000) * NANO  # per 1K tokens
            qty = Decimal(toks) / 1000
            rows.append(
                base_row(
                    "openai",
                    m0,
                    a,
                    b,
                    **acct,
                    SubAccountId=project,
                    SubAccountName=s.name,
                    ChargeCategory="Usage",
                    ChargeDescription=f"{model}, {direction}",
                    ChargeFrequency="Usage-Based",
                    ConsumedQuantity=qty,
                    ConsumedUnit="1K Tokens",
                    PricingUnit="1K Tokens",
                    PublisherName="OpenAI",
                    ResourceId=None,
                    ServiceCategory="AI and Machine Learning",
                    ServiceName="OpenAI API",
                    ServiceSubcategory="Generative AI",
                    SkuId=f"{model}-{direction}",
                    SkuPriceId=f"{model}-{direction}-standard",
                    Tags=tags(ai_system=s.id if s.sanctioned else "", openai_project=project),
                    x_ProjectId=project,
                    **charge(qty=qty, list_price=price, price=price),
                )
            )
    rows += _openai_unit_rows(m0, a, b, acct, by_project, units)
    rows += one_time_rows(world, "openai", m0, acct, sub)
    return rows


#: FOCUS consumed units of OpenAI's other endpoints (tokens are billed per 1K, like the completions rows).
_UNIT_NAMES = {
    "embeddings": "1K Tokens",
    "moderations": "1K Tokens",
    "images": "Images",
    "audio_speeches": "Characters",
    "audio_transcriptions": "Seconds",
    "vector_stores": "Byte-Days",
    "code_interpreter_sessions": "Sessions",
    "file_searches": "Calls",
    "web_searches": "Calls",
}


def _openai_unit_rows(m0: dt.date, a: int, b: int, acct: dict, by_project: dict, units: UnitTotals) -> list[dict]:
    """The month's charges for OpenAI's other endpoints: each unit's total at its seed price."""
    rows = []
    for (month, project, model, kind, size), (qty,) in sorted(units.items()):
        if month != m0:
            continue
        cost = openai_endpoints.unit_cost(kind, model or None, size or None, qty)
        per_k = _UNIT_NAMES[kind] == "1K Tokens"
        quantity = Decimal(qty) / 1000 if per_k else Decimal(qty)
        what = " ".join(x for x in (model or "", size, kind.replace("_", " ")) if x)
        rows.append(
            base_row(
                "openai",
                m0,
                a,
                b,
                **acct,
                SubAccountId=project,
                SubAccountName=by_project[project].name,
                ChargeCategory="Usage",
                ChargeDescription=what,
                ChargeFrequency="Usage-Based",
                ConsumedQuantity=quantity,
                ConsumedUnit=_UNIT_NAMES[kind],
                PricingUnit=_UNIT_NAMES[kind],
                PublisherName="OpenAI",
                ResourceId=None,
                ServiceCategory="AI and Machine Learning",
                ServiceName="OpenAI API",
                ServiceSubcategory="Generative AI",
                SkuId=f"{model or 'openai'}-{kind}",
                SkuPriceId=f"{model or 'openai'}-{kind}{'-' + size if size else ''}-standard",
                Tags=tags(ai_system=by_project[project].id, openai_project=project),
                x_ProjectId=project,
                **charge(qty=quantity, list_price=cost / quantity, price=cost / quantity, billed=cost),
            )
        )
    return rows


def _fmt_dec(v: Decimal) -> str:
    s = format(v.normalize(), "f") if v != 0 else "0"
    if "." in s:
        _, frac = s.split(".")
        if len(frac) > 11:
            raise ValueError(f"amount with more than 11 decimals: {v}")
    return s


def _csv_file(
    rows: list[dict],
    extra: tuple[str, ...],
    path: Path,
    *,
    space_dates: bool,
    null_literal: str,
    null_every: int,
    casing_every: int,
) -> None:
    header = ("Id", *FOCUS_12_COLUMNS, *extra)
    out = []
    for i, r in enumerate(rows):
        nl = "NULL" if (null_literal == "NULL" or (null_every and i % null_every == 3)) else ""
        cells = []
        for c in header:
            if c == "Id":
                cells.append(r["_id"])
                continue
            v = r.get(c)
            if v is None:
                cells.append(nl)
            elif c in TIME_COLUMNS:
                cells.append(u.sql_ts(v) if space_dates else u.iso_z(v))
            elif isinstance(v, Decimal):
                cells.append(_fmt_dec(v))
            elif c == "ChargeFrequency" and v == "Usage-Based" and casing_every and i % casing_every == 5:
                cells.append("Usage-based")
            else:
                cells.append(v)
        out.append(cells)
    u.write_bytes(path, u.csv_bytes(header, out))


def _parquet_file(rows: list[dict], path: Path) -> None:
    cols_13 = [RENAMES_13.get(c, c) for c in FOCUS_12_COLUMNS] + list(EXTRA_13) + ["x_ResourceGroupName"]
    fields = []
    arrays = []
    ids = [r["_id"] for r in rows]
    fields.append(pa.field("Id", pa.string()))
    arrays.append(pa.array(ids, type=pa.string()))
    inverse = {v: k for k, v in RENAMES_13.items()}
    for c in cols_13:
        src = inverse.get(c, c)
        vals = [r.get(src) for r in rows]
        if src in TIME_COLUMNS:
            t = pa.timestamp("s", tz="UTC")
            arr = pa.array(vals, type=pa.int64()).cast(t)
        elif src in MONEY_COLUMNS:
            t = pa.decimal128(38, 11)
            arr = pa.array([None if v is None else v.quantize(Decimal("0.00000000001")) for v in vals], type=t)
        else:
            t = pa.string()
            arr = pa.array(vals, type=t)
        fields.append(pa.field(c, t))
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    u.ensure_dir(path.parent)
    pq.write_table(table, path, compression="zstd", use_dictionary=True, write_statistics=True)


def write_focus(world: World, out_dir: Path, carried: Carried) -> dict:
    litellm, openai, seats = carried.litellm_tokens, carried.openai_tokens, carried.billed_seats
    files = records = 0
    ms_rows: list[dict] = []
    for mi, m0 in enumerate(world.month_starts):
        rng = u.rng_for(world.seed, f"billing/focus/{m0.isoformat()}")
        aws = aws_rows(world, m0, litellm, seats, rng, carried.bedrock_calls)
        for k, r in enumerate(aws):
            r["_id"] = f"aws-{m0:%Y%m}-{k + 1:07d}"
        _csv_file(
            aws,
            ("x_UsageType", "x_Operation", "line_item_iam_principal"),
            out_dir / f"focus_aws_{m0:%Y-%m}.csv",
            space_dates=mi % 2 == 0,
            null_literal="",
            null_every=7,
            casing_every=9,
        )
        oai = _openai_rows(world, m0, openai, carried.openai_units)
        for k, r in enumerate(oai):
            r["_id"] = f"oai-{m0:%Y%m}-{k + 1:06d}"
        if oai:
            _csv_file(
                oai,
                ("x_ProjectId",),
                out_dir / f"focus_openai_{m0:%Y-%m}.csv",
                space_dates=True,
                null_literal="NULL",
                null_every=0,
                casing_every=0,
            )
            files += 1
        mrows = microsoft_rows(world, m0, litellm, seats, rng)
        for k, r in enumerate(mrows):
            r["_id"] = f"ms-{m0:%Y%m}-{k + 1:07d}"
        ms_rows += mrows
        files += 1
        records += len(aws) + len(oai)
    first, last = world.month_starts[0], world.month_starts[-1]
    _parquet_file(ms_rows, out_dir / f"focus_1_3_microsoft_{first:%Y-%m}_{last:%Y-%m}.parquet")
    return {"files": files + 1, "records": records + len(ms_rows)}
