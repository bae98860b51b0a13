"""Billing writers: FOCUS cost and usage (AWS and OpenAI as FOCUS 1.2 CSV, Microsoft as FOCUS 1.3 Parquet)
and the SaaS seat / licence export.

Money is computed with ``decimal.Decimal`` only. AI charges carry ``Tags`` ``{"ai_system": "ais-..."}``;
usage-based token charges equal the billable tokens of the LiteLLM / OpenAI usage exports times the model
price, exactly. Seat subscriptions billed through a FOCUS provider use the SaaS licence id as ``ResourceId``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.demo import _util as u
from orchestration.demo.org import AWS_ACCOUNT, ENGINEERING, TEAM_SLUGS
from orchestration.demo.systems import MODELS
from orchestration.demo.usage import TokenTotals
from orchestration.demo.world import World

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
_IMPLEMENTATION = {  # system: (invoice issuer file, publisher, amount USD)
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


@dataclass
class Licence:
    licence_id: str
    vendor: str
    product: str
    ai_system_id: str
    sku: str
    unit_price: Decimal
    owner_team: str
    teams: tuple[str, ...]
    start: dt.date | None
    """First billed month (None: before the history)."""
    retire: dt.date | None = None
    replaced_by: str = ""
    focus_provider: str = ""
    annual: bool = False
    active_share: float = 0.8


def _tags(**kv: str) -> str:
    return u.dumps({k: v for k, v in kv.items() if v})


def _charge(
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


def _licences(world: World) -> list[Licence]:
    s = {x.id: x for x in world.systems}

    def later(d: dt.date | None, days: int) -> dt.date | None:
        if d is None:
            return None
        r = d + dt.timedelta(days=days)
        return r if r <= world.as_of else None

    return [
        Licence(
            "lic-copilot-business",
            "GitHub",
            "GitHub Copilot Business",
            "ais-copilot",
            "COPILOT-BUS-SEAT",
            Decimal("19.00"),
            "platform",
            ENGINEERING,
            s["ais-copilot"].adoption_date,
            focus_provider="microsoft",
            active_share=0.72,
        ),
        Licence(
            "lic-triagely-soc",
            "Triagely",
            "Triagely SOC Triage",
            "ais-soc-triage",
            "TRG-SOC-ANALYST",
            Decimal("250.00"),
            "security",
            ("security",),
            s["ais-soc-triage"].adoption_date,
            focus_provider="aws",
            active_share=0.9,
        ),
        Licence(
            "lic-remedia-platform",
            "Remedia",
            "Remedia Platform",
            "ais-auto-remediation",
            "REM-PLAT-USER",
            Decimal("120.00"),
            "sre",
            ("sre", "platform"),
            s["ais-auto-remediation"].adoption_date,
            focus_provider="aws",
            active_share=0.6,
        ),
        Licence(
            "lic-legacy-siem-triage",
            "SIEMworks",
            "SIEMworks Triage Add-on",
            "",
            "SW-TRIAGE-ADDON",
            Decimal("310.00"),
            "security",
            ("security",),
            None,
            retire=later(s["ais-soc-triage"].adoption_date, 45),
            replaced_by="ais-soc-triage",
            active_share=0.5,
        ),
        Licence(
            "lic-codesearch-pro",
            "CodeSearchCo",
            "CodeSearch Pro",
            "",
            "CSP-SEAT",
            Decimal("12.00"),
            "platform",
            ENGINEERING,
            None,
            retire=later(s["ais-copilot"].adoption_date, 90),
            replaced_by="ais-copilot",
            active_share=0.35,
        ),
        Licence(
            "lic-runbookbot-classic",
            "RunbookBot",
            "RunbookBot Classic",
            "",
            "RBB-OPS",
            Decimal("95.00"),
            "sre",
            ("sre",),
            None,
            retire=later(s["ais-auto-remediation"].adoption_date, 60),
            replaced_by="ais-auto-remediation",
            active_share=0.55,
        ),
        Licence(
            "lic-scribe-summaries",
            "ScribeCo",
            "Scribe Meeting & Incident Summaries",
            "",
            "SCR-PRO",
            Decimal("30.00"),
            "sre",
            ("sre", "security", "platform"),
            None,
            retire=later(s["ais-incident-summariser"].adoption_date, 75),
            replaced_by="ais-incident-summariser",
            active_share=0.4,
        ),
        Licence(
            "lic-helpdesk-macros",
            "HelpdeskPlus",
            "Helpdesk Macros Plus",
            "",
            "HDM-AGENT",
            Decimal("45.00"),
            "support",
            ("support",),
            None,
            retire=later(s["ais-support-bot"].adoption_date, 60),
            replaced_by="ais-support-bot",
            active_share=0.7,
        ),
        Licence(
            "lic-jira-software",
            "Atlassian",
            "Jira Software Cloud",
            "",
            "JIRA-STD",
            Decimal("8.60"),
            "platform",
            TEAM_SLUGS,
            None,
            active_share=0.93,
        ),
        Licence(
            "lic-slack-business",
            "Slack",
            "Slack Business+",
            "",
            "SLK-BPLUS",
            Decimal("150.00"),
            "platform",
            TEAM_SLUGS,
            None,
            annual=True,
            active_share=0.97,
        ),
        Licence(
            "lic-figma-org",
            "Figma",
            "Figma Organization",
            "",
            "FIG-ORG",
            Decimal("45.00"),
            "growth",
            ("growth", "mobile", "checkout"),
            None,
            active_share=0.6,
        ),
    ]


def _headcount(world: World, teams: tuple[str, ...]) -> int:
    return sum(world.team_headcount[t] for t in teams)


def _adopted_headcount(world: World, sid: str, d: dt.date) -> int:
    s = world.system(sid)
    return sum(world.team_headcount[t] for t, a in s.team_adoption.items() if a <= d)


def write_saas(world: World, out_dir: Path) -> tuple[dict, list[dict]]:
    """SaaS licence rows; also returns the seat subscriptions billed through a FOCUS provider."""
    rng = u.rng_for(world.seed, "billing/saas_licences")
    header = (
        "licence_id",
        "vendor",
        "product",
        "ai_system_id",
        "sku",
        "billing_period_start",
        "billing_period_end",
        "billing_frequency",
        "seats_purchased",
        "seats_assigned",
        "seats_active_30d",
        "unit_price",
        "amount",
        "currency",
        "status",
        "retired_date",
        "owner_team",
        "replaced_by_ai_system_id",
    )
    rows: list[list] = []
    billed: list[dict] = []
    for lic in _licences(world):
        for m0 in world.month_starts:
            m_end = u.next_month(m0) - dt.timedelta(days=1)
            if lic.start is not None and m_end < lic.start:
                continue
            if lic.retire is not None and m0 > lic.retire:
                continue
            if lic.annual and m0.month != world.month_starts[0].month:
                continue
            if lic.ai_system_id and lic.ai_system_id == "ais-copilot":
                base = _adopted_headcount(world, lic.ai_system_id, m_end)
            else:
                base = _headcount(world, lic.teams)
            if base == 0:
                continue
            purchased = int(np.ceil(base * 1.08)) + 2
            assigned = min(purchased, int(np.rint(base * rng.uniform(0.88, 0.98))))
            share = lic.active_share
            if lic.retire is not None:  # usage of the old tool fades once its AI replacement is adopted
                sid = lic.replaced_by
                adopted = world.system(sid).adoption_date
                if adopted is not None and m0 >= adopted:
                    share *= 0.5
            active = min(assigned, int(np.rint(assigned * share * rng.uniform(0.9, 1.05))))
            freq = "annual" if lic.annual else "monthly"
            price = lic.unit_price * (12 if lic.annual else 1)
            amount = price * purchased
            period_end = u.add_months(m0, 12) - dt.timedelta(days=1) if lic.annual else m_end
            retired_now = lic.retire is not None and m0 <= lic.retire <= m_end
            status = "retired" if retired_now else "active"
            rows.append(
                [
                    lic.licence_id,
                    lic.vendor,
                    lic.product,
                    lic.ai_system_id,
                    lic.sku,
                    m0.isoformat(),
                    period_end.isoformat(),
                    freq,
                    purchased,
                    assigned,
                    active,
                    u.money(price),
                    u.money(amount),
                    "USD",
                    status,
                    lic.retire.isoformat() if retired_now else "",
                    lic.owner_team,
                    lic.replaced_by,
                ]
            )
            if lic.focus_provider:
                billed.append(
                    {
                        "provider": lic.focus_provider,
                        "month": m0,
                        "licence": lic,
                        "seats": purchased,
                        "unit_price": price,
                        "amount": amount,
                    }
                )
    u.write_bytes(out_dir / "saas_licences.csv", u.csv_bytes(header, rows))
    return {"files": 1, "records": len(rows)}, billed


# -------------------------------------------------------------------------------------------------- FOCUS


def _base(provider: str, m0: dt.date, cp_start: int, cp_end: int, **kw: object) -> dict:
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


def _aws_rows(
    world: World, m0: dt.date, litellm: TokenTotals, seats: list[dict], rng: np.random.Generator
) -> list[dict]:
    rows: list[dict] = []
    a = u.epoch(m0)
    b = min(u.epoch(u.next_month(m0)), world.end)
    acct = {
        "BillingAccountId": AWS_ACCOUNT,
        "BillingAccountName": "example-org-payer",
        "BillingAccountType": "Billing Account",
        "InvoiceIssuerName": "Amazon Web Services, Inc.",
        "ProviderName": "Amazon Web Services",
        "InvoiceId": f"EUINUS{m0:%y%m}{AWS_ACCOUNT[-4:]}",
    }

    def sub(team: str) -> dict:
        return {
            "SubAccountId": f"{210000000000 + TEAM_SLUGS.index(team) * 1111:012d}",
            "SubAccountName": f"{team}-prod",
        }

    ev = world.scale.events
    # non-AI compute and storage, daily
    day = a
    ec2_price, ec2_list = Decimal("0.0768"), Decimal("0.0960")
    s3_price = Decimal("0.00003194444")  # per GB-hour: 11 decimal places
    while day < b:
        for team in TEAM_SLUGS:
            for k in range(max(1, 2 * ev if team in ENGINEERING else ev)):
                hours = Decimal(int(rng.integers(8, 25)))
                rid = f"i-{u.stream_key(f'{team}/{k}'):08x}{k:04x}"
                rows.append(
                    _base(
                        "aws",
                        m0,
                        day,
                        day + u.DAY,
                        **acct,
                        **sub(team),
                        ChargeCategory="Usage",
                        ChargeDescription="m6i.large Linux on-demand",
                        ChargeFrequency="Usage-Based",
                        ConsumedQuantity=hours,
                        ConsumedUnit="Hours",
                        PricingUnit="Hours",
                        PublisherName="Amazon Web Services",
                        RegionId="us-east-1",
                        RegionName=REGION_NAMES["us-east-1"],
                        ResourceId=f"arn:aws:ec2:us-east-1:{AWS_ACCOUNT}:instance/{rid}",
                        ResourceName=f"{team}-app-{k}",
                        ResourceType="Instance",
                        ServiceCategory="Compute",
                        ServiceName="Amazon Elastic Compute Cloud",
                        ServiceSubcategory="Virtual Machines",
                        SkuId="G3E6K7",
                        SkuPriceId="G3E6K7.JRTCKXETXF",
                        Tags=_tags(team=team, env="prod"),
                        x_UsageType="BoxUsage:m6i.large",
                        x_Operation="RunInstances",
                        **_charge(qty=hours, list_price=ec2_list, price=ec2_price),
                    )
                )
            gbh = Decimal(int(rng.integers(2_000, 90_000)))
            rows.append(
                _base(
                    "aws",
                    m0,
                    day,
                    day + u.DAY,
                    **acct,
                    **sub(team),
                    ChargeCategory="Usage",
                    ChargeDescription="S3 Standard storage",
                    ChargeFrequency="Usage-Based",
                    ConsumedQuantity=gbh,
                    ConsumedUnit="GB-Hours",
                    PricingUnit="GB-Hours",
                    PublisherName="Amazon Web Services",
                    RegionId="us-east-1",
                    RegionName=REGION_NAMES["us-east-1"],
                    ResourceId=f"arn:aws:s3:::{team}-data-prod",
                    ResourceName=f"{team}-data-prod",
                    ResourceType="Bucket",
                    ServiceCategory="Storage",
                    ServiceName="Amazon Simple Storage Service",
                    ServiceSubcategory="Object Storage",
                    SkuId="WP9ANXZGBYYSGJEA",
                    SkuPriceId="WP9ANXZGBYYSGJEA.JRTCKXETXF",
                    Tags=_tags(team=team, env="prod"),
                    x_UsageType="TimedStorage-ByteHrs",
                    x_Operation="StandardStorage",
                    **_charge(qty=gbh, list_price=s3_price, price=s3_price),
                )
            )
        day += u.DAY
    # Bedrock tokens through the LiteLLM gateway, monthly per AI system and model
    for (month, sid, model), (tin, tout) in sorted(litellm.items()):
        mdl = MODELS[model]
        if month != m0 or mdl.provider != "bedrock":
            continue
        for direction, toks, price_nano in (("input", tin, mdl.price_in), ("output", tout, mdl.price_out)):
            if toks == 0:
                continue
            price = Decimal(price_nano) * NANO
            qty = Decimal(toks)
            sku = f"BDRK-{u.stream_key(model + direction):08X}"
            rows.append(
                _base(
                    "aws",
                    m0,
                    a,
                    b,
                    **acct,
                    **sub(world.system(sid).owner_team if sid else "platform"),
                    ChargeCategory="Usage",
                    ChargeDescription=f"Bedrock {model} {direction} tokens",
                    ChargeFrequency="Usage-Based",
                    ConsumedQuantity=qty,
                    ConsumedUnit="Tokens",
                    PricingUnit="Tokens",
                    PublisherName="Anthropic",
                    RegionId="us-east-1",
                    RegionName=REGION_NAMES["us-east-1"],
                    ResourceId=(
                        f"arn:aws:bedrock:us-east-1:{AWS_ACCOUNT}:application-inference-profile/"
                        f"{sid or 'gateway-default'}"
                    ),
                    ResourceName=f"litellm-{sid or 'untagged'}",
                    ResourceType="Inference Profile",
                    ServiceCategory="AI and Machine Learning",
                    ServiceName="Amazon Bedrock",
                    ServiceSubcategory="Generative AI",
                    SkuId=sku,
                    SkuPriceId=sku + ".OD",
                    Tags=_tags(ai_system=sid, cost_center="ai-gateway"),
                    x_UsageType=f"USE1-{model}-{direction}-tokens",
                    x_Operation="InvokeModel",
                    **_charge(qty=qty, list_price=price, price=price),
                )
            )
    # marketplace seat subscriptions (recurring)
    for s in seats:
        if s["provider"] != "aws" or s["month"] != m0:
            continue
        lic = s["licence"]
        qty = Decimal(s["seats"])
        rows.append(
            _base(
                "aws",
                m0,
                a,
                u.epoch(u.next_month(m0)),
                **acct,
                **sub(lic.owner_team),
                ChargeCategory="Purchase",
                ChargeDescription=f"{lic.product} monthly subscription",
                ChargeFrequency="Recurring",
                PricingUnit="Seats",
                PublisherName=lic.vendor,
                ResourceId=lic.licence_id,
                ResourceName=lic.product,
                ResourceType="SaaS Subscription",
                ServiceCategory="Security"
                if lic.ai_system_id == "ais-soc-triage"
                else "Management and Governance",
                ServiceName=f"AWS Marketplace: {lic.product}",
                ServiceSubcategory=None,
                SkuId=lic.sku,
                SkuPriceId=lic.sku + ".MONTHLY",
                Tags=_tags(ai_system=lic.ai_system_id, team=lic.owner_team),
                x_UsageType="MP:Subscription",
                x_Operation="Subscribe",
                **_charge(qty=qty, list_price=s["unit_price"], price=s["unit_price"]),
            )
        )
    rows += _one_time(world, "aws", m0, acct, sub)
    # monthly tax line (not AI) and a correction / credit once
    total = sum((r["BilledCost"] for r in rows), Decimal(0))
    rows.append(
        _base(
            "aws",
            m0,
            a,
            u.epoch(u.next_month(m0)),
            **acct,
            ChargeCategory="Tax",
            ChargeDescription="Sales tax",
            ChargeFrequency="Recurring",
            PublisherName="Amazon Web Services",
            ServiceCategory="Other",
            ServiceName="Tax",
            Tags=None,
            PricingCategory=None,
            **_charge(
                qty=None,
                list_price=None,
                price=None,
                billed=(total * Decimal("0.0725")).quantize(Decimal("0.01")),
            ),
        )
    )
    mi = world.month_starts.index(m0)
    if mi == len(world.month_starts) // 2 and mi > 0:
        prev = world.month_starts[mi - 1]
        rows.append(
            _base(
                "aws",
                m0,
                u.epoch(prev),
                u.epoch(m0),
                **acct,
                **sub("data"),
                ChargeCategory="Usage",
                ChargeClass="Correction",
                ChargeDescription="S3 Standard storage correction",
                ChargeFrequency="Usage-Based",
                PricingUnit="GB-Hours",
                PublisherName="Amazon Web Services",
                RegionId="us-east-1",
                RegionName=REGION_NAMES["us-east-1"],
                ResourceId="arn:aws:s3:::data-data-prod",
                ResourceName="data-data-prod",
                ResourceType="Bucket",
                ServiceCategory="Storage",
                ServiceName="Amazon Simple Storage Service",
                ServiceSubcategory="Object Storage",
                SkuId="WP9ANXZGBYYSGJEA",
                SkuPriceId="WP9ANXZGBYYSGJEA.JRTCKXETXF",
                Tags=_tags(team="data", env="prod"),
                **_charge(qty=None, list_price=None, price=None, billed=Decimal("-12.45703125000")),
            )
        )
        rows.append(
            _base(
                "aws",
                m0,
                a,
                u.epoch(u.next_month(m0)),
                **acct,
                **sub("platform"),
                ChargeCategory="Credit",
                ChargeDescription="Generative AI promotional credit",
                ChargeFrequency="One-Time",
                PublisherName="Amazon Web Services",
                PricingCategory=None,
                ServiceCategory="AI and Machine Learning",
                ServiceName="Amazon Bedrock",
                ServiceSubcategory="Generative AI",
                Tags=_tags(ai_system="ais-code-review-agent", team="platform"),
                **_charge(qty=None, list_price=None, price=None, billed=Decimal("-500.00")),
            )
        )
    return rows


def _one_time(world: World, provider: str, m0: dt.date, acct: dict, sub) -> list[dict]:
    rows = []
    for sid, (prov, publisher, amount) in _IMPLEMENTATION.items():
        s = world.system(sid)
        if prov != provider or s.adoption_date is None:
            continue
        if not (m0 <= s.adoption_date < u.next_month(m0)):
            continue
        t = u.epoch(s.adoption_date)
        rows.append(
            _base(
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
                Tags=_tags(ai_system=sid, team=s.owner_team),
                **_charge(qty=Decimal(1), list_price=amount, price=amount),
            )
        )
    return rows


def _openai_rows(world: World, m0: dt.date, openai: TokenTotals) -> list[dict]:
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
                _base(
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
                    Tags=_tags(ai_system=s.id if s.sanctioned else "", openai_project=project),
                    x_ProjectId=project,
                    **_charge(qty=qty, list_price=price, price=price),
                )
            )
    rows += _one_time(world, "openai", m0, acct, sub)
    return rows


def _microsoft_rows(
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
                _base(
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
                    Tags=_tags(ai_system=sid, cost_center="ai-gateway"),
                    x_ResourceGroupName="rg-ai",
                    **_charge(qty=qty, list_price=price, price=price),
                )
            )
    for s in seats:
        if s["provider"] != "microsoft" or s["month"] != m0:
            continue
        lic = s["licence"]
        qty = Decimal(s["seats"])
        rows.append(
            _base(
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
                Tags=_tags(ai_system=lic.ai_system_id, team=lic.owner_team),
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
                **_charge(qty=qty, list_price=s["unit_price"], price=s["unit_price"]),
            )
        )
    rows += _one_time(world, "microsoft", m0, acct, sub)
    day = a
    vm_price = Decimal("0.192")
    blob_price = Decimal("0.00002739726")
    while day < b:
        for team in ("data", "ml"):
            hours = Decimal(int(rng.integers(12, 25)))
            rows.append(
                _base(
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
                    Tags=_tags(team=team),
                    x_ResourceGroupName=f"rg-{team}",
                    **_charge(qty=hours, list_price=vm_price, price=vm_price),
                )
            )
            gb = Decimal(int(rng.integers(1000, 40000)))
            rows.append(
                _base(
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
                    Tags=_tags(team=team),
                    x_ResourceGroupName=f"rg-{team}",
                    **_charge(qty=gb, list_price=blob_price, price=blob_price),
                )
            )
        day += u.DAY
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
            arr = pa.array(
                [None if v is None else v.quantize(Decimal("0.00000000001")) for v in vals], type=t
            )
        else:
            t = pa.string()
            arr = pa.array(vals, type=t)
        fields.append(pa.field(c, t))
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    u.ensure_dir(path.parent)
    pq.write_table(table, path, compression="zstd", use_dictionary=True, write_statistics=True)


def write_focus(
    world: World, out_dir: Path, litellm: TokenTotals, openai: TokenTotals, seats: list[dict]
) -> dict:
    files = records = 0
    ms_rows: list[dict] = []
    for mi, m0 in enumerate(world.month_starts):
        rng = u.rng_for(world.seed, f"billing/focus/{m0.isoformat()}")
        aws = _aws_rows(world, m0, litellm, seats, rng)
        for k, r in enumerate(aws):
            r["_id"] = f"aws-{m0:%Y%m}-{k + 1:07d}"
        _csv_file(
            aws,
            ("x_UsageType", "x_Operation"),
            out_dir / f"focus_aws_{m0:%Y-%m}.csv",
            space_dates=mi % 2 == 0,
            null_literal="",
            null_every=7,
            casing_every=9,
        )
        oai = _openai_rows(world, m0, openai)
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
        mrows = _microsoft_rows(world, m0, litellm, seats, rng)
        for k, r in enumerate(mrows):
            r["_id"] = f"ms-{m0:%Y%m}-{k + 1:07d}"
        ms_rows += mrows
        files += 1
        records += len(aws) + len(oai)
    first, last = world.month_starts[0], world.month_starts[-1]
    _parquet_file(ms_rows, out_dir / f"focus_1_3_microsoft_{first:%Y-%m}_{last:%Y-%m}.parquet")
    return {"files": files + 1, "records": records + len(ms_rows)}
