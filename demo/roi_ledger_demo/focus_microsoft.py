"""The demo's Microsoft FOCUS 1.3 rows: Azure OpenAI token charges, seats billed through Azure, the rest of the
subscription's spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import TokenTotals
from roi_ledger_demo.focus_common import NANO, REGION_NAMES, base_row, charge, one_time_rows, tags
from roi_ledger_demo.systems import MODELS
from roi_ledger_demo.world import World


def microsoft_rows(
    world: World, m0: dt.date, litellm: TokenTotals, seats: list[dict], rng: np.random.Generator
) -> list[dict]:
    rows = []
    a = u.epoch(m0)
    b = min(u.epoch(u.next_month(m0)), world.end)
    acct = {
        "BillingAccountId": "8a1c2f3e-0000-4000-8000-00000000b111",
        "BillingAccountName": "Example Org EA",
        "BillingAccountType": "Billing Profile",
        "InvoiceIssuerName": "Microsoft",
        "ProviderName": "Microsoft",
        "InvoiceId": f"G{m0:%y%m}00042",
    }

    def sub(team: str) -> dict:
        return {
            "SubAccountId": f"/subscriptions/{u.stream_key('az/' + team):08x}-0000-4000-8000-{team[:4]:0>12}",
            "SubAccountName": f"{team}-azure",
        }

    for (month, sid, model), (tin, tout) in sorted(litellm.items()):
        mdl = MODELS[model]
        if month != m0 or mdl.provider != "azure":
            continue
        team = world.system(sid).owner_team if sid else "platform"
        for direction, toks, price_nano in (("input", tin, mdl.price_in), ("output", tout, mdl.price_out)):
            if toks == 0:
                continue
            price = Decimal(price_nano * 1000) * NANO
            qty = Decimal(toks) / 1000
            rows.append(
                base_row(
                    "microsoft",
                    m0,
                    a,
                    b,
                    **acct,
                    **sub(team),
                    ChargeCategory="Usage",
                    ChargeDescription=f"Azure OpenAI {model} {direction} tokens",
                    ChargeFrequency="Usage-Based",
                    ConsumedQuantity=qty,
                    ConsumedUnit="1K Tokens",
                    PricingUnit="1K Tokens",
                    PublisherName="Microsoft",
                    RegionId="eastus",
                    RegionName=REGION_NAMES["eastus"],
                    ResourceId=f"/subscriptions/x/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/"
                    f"accounts/example-ai/deployments/{model}",
                    ResourceName=model,
                    ResourceType="Cognitive Services Deployment",
                    ServiceCategory="AI and Machine Learning",
                    ServiceName="Azure OpenAI Service",
                    ServiceSubcategory="Generative AI",
                    SkuId=f"AOAI-{model}",
                    SkuPriceId=f"AOAI-{model}-{direction}",
                    Tags=tags(ai_system=sid, cost_center="ai-gateway"),
                    x_ResourceGroupName="rg-ai",
                    **charge(qty=qty, list_price=price, price=price),
                )
            )
    for s in seats:
        if s["provider"] != "microsoft" or s["month"] != m0:
            continue
        lic = s["licence"]
        qty = Decimal(s["seats"])
        rows.append(
            base_row(
                "microsoft",
                m0,
                a,
                u.epoch(u.next_month(m0)),
                **acct,
                **sub(lic.owner_team),
                ChargeCategory="Purchase",
                ChargeDescription=f"{lic.product} seats",
                ChargeFrequency="Recurring",
                PricingUnit="Seats",
                PublisherName="GitHub",
                ResourceId=lic.licence_id,
                ResourceName=lic.product,
                ResourceType="SaaS Subscription",
                ServiceCategory="Developer Tools",
                ServiceName="GitHub Copilot",
                ServiceSubcategory="Development Environments",
                SkuId=lic.sku,
                SkuPriceId=lic.sku + ".M",
                Tags=tags(ai_system=lic.ai_system_id, team=lic.owner_team),
                x_ResourceGroupName="rg-dev-tools",
                ContractApplied=u.dumps(
                    {
                        "Elements": [
                            {
                                "ContractId": "EA-2024-0042",
                                "ContractCommitmentId": "EA-2024-0042-MACC",
                                "ContractCommitmentAppliedCost": str(s["amount"]),
                            }
                        ]
                    }
                ),
                **charge(qty=qty, list_price=s["unit_price"], price=s["unit_price"]),
            )
        )
    rows += one_time_rows(world, "microsoft", m0, acct, sub)
    day = a
    vm_price = Decimal("0.192")
    blob_price = Decimal("0.00002739726")
    while day < b:
        for team in ("data", "ml"):
            hours = Decimal(int(rng.integers(12, 25)))
            rows.append(
                base_row(
                    "microsoft",
                    m0,
                    day,
                    day + u.DAY,
                    **acct,
                    **sub(team),
                    ChargeCategory="Usage",
                    ChargeDescription="D4s v5 Linux",
                    ChargeFrequency="Usage-Based",
                    ConsumedQuantity=hours,
                    ConsumedUnit="Hours",
                    PricingUnit="1 Hour",
                    PublisherName="Microsoft",
                    RegionId="eastus",
                    RegionName=REGION_NAMES["eastus"],
                    ResourceId=f"/subscriptions/x/resourceGroups/rg-{team}/providers/Microsoft.Compute/"
                    f"virtualMachines/{team}-vm-01",
                    ResourceName=f"{team}-vm-01",
                    ResourceType="Virtual machine",
                    ServiceCategory="Compute",
                    ServiceName="Virtual Machines",
                    ServiceSubcategory="Virtual Machines",
                    SkuId="DZH318Z0BQ4L",
                    SkuPriceId="DZH318Z0BQ4L/0016",
                    Tags=tags(team=team),
                    x_ResourceGroupName=f"rg-{team}",
                    **charge(qty=hours, list_price=vm_price, price=vm_price),
                )
            )
            gb = Decimal(int(rng.integers(1000, 40000)))
            rows.append(
                base_row(
                    "microsoft",
                    m0,
                    day,
                    day + u.DAY,
                    **acct,
                    **sub(team),
                    ChargeCategory="Usage",
                    ChargeDescription="Hot LRS data stored",
                    ChargeFrequency="Usage-Based",
                    ConsumedQuantity=gb,
                    ConsumedUnit="GB-Hours",
                    PricingUnit="GB-Hours",
                    PublisherName="Microsoft",
                    RegionId="eastus",
                    RegionName=REGION_NAMES["eastus"],
                    ResourceId=f"/subscriptions/x/resourceGroups/rg-{team}/providers/Microsoft.Storage/"
                    f"storageAccounts/{team}lake",
                    ResourceName=f"{team}lake",
                    ResourceType="Storage account",
                    ServiceCategory="Storage",
                    ServiceName="Storage",
                    ServiceSubcategory="Object Storage",
                    SkuId="DZH318Z0BNVX",
                    SkuPriceId="DZH318Z0BNVX/004V",
                    Tags=tags(team=team),
                    x_ResourceGroupName=f"rg-{team}",
                    **charge(qty=gb, list_price=blob_price, price=blob_price),
                )
            )
        day += u.DAY
    return rows
