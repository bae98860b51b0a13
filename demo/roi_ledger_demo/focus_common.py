"""FOCUS rows the demo's billing providers share: the columns, a row's common fields, charges, tags, and the
one-time implementation purchases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from roi_ledger_demo import _util as u
from roi_ledger_demo.world import World

FOCUS_12_COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountId",
    "CommitmentDiscountStatus",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
)
MONEY_COLUMNS = (
    "BilledCost",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "PricingQuantity",
    "ConsumedQuantity",
)
TIME_COLUMNS = ("BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart")
RENAMES_13 = {"ProviderName": "ServiceProviderName", "PublisherName": "HostProviderName"}
EXTRA_13 = ("ContractApplied", "AllocatedMethodId", "AllocatedResourceId", "AllocatedTags")

NANO = Decimal("0.000000001")
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "eastus": "East US"}

# AI systems billed through each channel
IMPLEMENTATION = {  # system: (invoice issuer file, publisher, amount USD)
    "ais-copilot": ("microsoft", "GitHub", Decimal("48000.00")),
    "ais-code-review-agent": ("aws", "Anthropic", Decimal("36000.00")),
    "ais-soc-triage": ("aws", "Triagely", Decimal("85000.00")),
    "ais-auto-remediation": ("aws", "Remedia", Decimal("120000.00")),
    "ais-data-analyst": ("microsoft", "Microsoft", Decimal("25000.00")),
    "ais-incident-summariser": ("microsoft", "Microsoft", Decimal("12000.00")),
    "ais-secrets-scanner": ("microsoft", "Microsoft", Decimal("18000.00")),
    "ais-chat-assistant": ("openai", "OpenAI", Decimal("30000.00")),
    "ais-support-bot": ("openai", "OpenAI", Decimal("64000.00")),
    "ais-doc-assistant": ("openai", "OpenAI", Decimal("9500.00")),
}


def tags(**kv: str) -> str:
    return u.dumps({k: v for k, v in kv.items() if v})


def charge(
    *, qty: Decimal | None, list_price: Decimal | None, price: Decimal | None, billed: Decimal | None = None
) -> dict:
    if billed is None:
        assert qty is not None and price is not None
        billed = qty * price
    list_cost = qty * list_price if (qty is not None and list_price is not None) else billed
    return {
        "BilledCost": billed,
        "EffectiveCost": billed,
        "ContractedCost": billed,
        "ListCost": list_cost,
        "PricingQuantity": qty,
        "ListUnitPrice": list_price,
        "ContractedUnitPrice": price,
    }


def base_row(provider: str, m0: dt.date, cp_start: int, cp_end: int, **kw: object) -> dict:
    r: dict = dict.fromkeys(FOCUS_12_COLUMNS)
    r.update(
        {
            "BillingCurrency": "USD",
            "BillingPeriodStart": u.epoch(m0),
            "BillingPeriodEnd": u.epoch(u.next_month(m0)),
            "ChargePeriodStart": cp_start,
            "ChargePeriodEnd": cp_end,
            "PricingCategory": "Standard",
        }
    )
    r.update(kw)
    return r


def one_time_rows(world: World, provider: str, m0: dt.date, acct: dict, sub) -> list[dict]:
    rows = []
    for sid, (prov, publisher, amount) in IMPLEMENTATION.items():
        s = world.system(sid)
        if prov != provider or s.adoption_date is None:
            continue
        if not (m0 <= s.adoption_date < u.next_month(m0)):
            continue
        t = u.epoch(s.adoption_date)
        rows.append(
            base_row(
                provider,
                m0,
                t,
                t + u.DAY,
                **acct,
                **sub(s.owner_team),
                ChargeCategory="Purchase",
                ChargeDescription=f"{s.name} implementation and onboarding services",
                ChargeFrequency="One-Time",
                PricingUnit="Units",
                PublisherName=publisher,
                ResourceId=None,
                ServiceCategory="AI and Machine Learning",
                ServiceName=f"{s.name} implementation",
                ServiceSubcategory="Other (AI and Machine Learning)",
                SkuId=f"IMPL-{sid.upper()}",
                SkuPriceId=f"IMPL-{sid.upper()}.FIXED",
                Tags=tags(ai_system=sid, team=s.owner_team),
                **charge(qty=Decimal(1), list_price=amount, price=amount),
            )
        )
    return rows
