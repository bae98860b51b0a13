"""The demo's AWS FOCUS 1.2 rows: Bedrock token charges, seats billed through AWS Marketplace, the rest of the
account's spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import CallerTokens, TokenTotals
from roi_ledger_demo.focus_common import NANO, REGION_NAMES, base_row, charge, one_time_rows, tags
from roi_ledger_demo.org import AWS_ACCOUNT, ENGINEERING, TEAM_SLUGS
from roi_ledger_demo.provider_costs import bedrock_prices
from roi_ledger_demo.systems import MODELS
from roi_ledger_demo.world import World


def aws_rows(
    world: World,
    m0: dt.date,
    litellm: TokenTotals,
    seats: list[dict],
    rng: np.random.Generator,
    bedrock: CallerTokens | None = None,
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
                    base_row(
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
                        Tags=tags(team=team, env="prod"),
                        x_UsageType="BoxUsage:m6i.large",
                        x_Operation="RunInstances",
                        **charge(qty=hours, list_price=ec2_list, price=ec2_price),
                    )
                )
            gbh = Decimal(int(rng.integers(2_000, 90_000)))
            rows.append(
                base_row(
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
                    Tags=tags(team=team, env="prod"),
                    x_UsageType="TimedStorage-ByteHrs",
                    x_Operation="StandardStorage",
                    **charge(qty=gbh, list_price=s3_price, price=s3_price),
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
                base_row(
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
                    Tags=tags(ai_system=sid, cost_center="ai-gateway"),
                    x_UsageType=f"USE1-{model}-{direction}-tokens",
                    x_Operation="InvokeModel",
                    **charge(qty=qty, list_price=price, price=price),
                )
            )
    rows += _bedrock_caller_rows(m0, a, b, acct, bedrock or {})
    # marketplace seat subscriptions (recurring)
    for s in seats:
        if s["provider"] != "aws" or s["month"] != m0:
            continue
        lic = s["licence"]
        qty = Decimal(s["seats"])
        rows.append(
            base_row(
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
                ServiceCategory="Security" if lic.ai_system_id == "ais-soc-triage" else "Management and Governance",
                ServiceName=f"AWS Marketplace: {lic.product}",
                ServiceSubcategory=None,
                SkuId=lic.sku,
                SkuPriceId=lic.sku + ".MONTHLY",
                Tags=tags(ai_system=lic.ai_system_id, team=lic.owner_team),
                x_UsageType="MP:Subscription",
                x_Operation="Subscribe",
                **charge(qty=qty, list_price=s["unit_price"], price=s["unit_price"]),
            )
        )
    rows += one_time_rows(world, "aws", m0, acct, sub)
    # monthly tax line (not AI) and a correction / credit once
    total = sum((r["BilledCost"] for r in rows), Decimal(0))
    rows.append(
        base_row(
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
            **charge(
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
            base_row(
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
                Tags=tags(team="data", env="prod"),
                **charge(qty=None, list_price=None, price=None, billed=Decimal("-12.45703125000")),
            )
        )
        rows.append(
            base_row(
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
                Tags=tags(ai_system="ais-code-review-agent", team="platform"),
                **charge(qty=None, list_price=None, price=None, billed=Decimal("-500.00")),
            )
        )
    return rows


#: Bedrock's token classes as the invocation logs count them, in ``CallerTokens`` order.
_TOKEN_CLASSES = ("input", "cache-read-input", "cache-write-input", "output")


def _bedrock_caller_rows(m0: dt.date, a: int, b: int, acct: dict, bedrock: CallerTokens) -> list[dict]:
    """Bedrock calls outside the gateway (the invocation logs' callers), billed as CUR 2.0 attributes them:
    per caller (``line_item_iam_principal``, the ARN the call was made with), foundation model and token
    class, each at the seed price, so the bill equals the logged tokens x price exactly."""
    prices = bedrock_prices()
    rows = []
    for (month, arn, model), tokens in sorted(bedrock.items()):
        if month != m0:
            continue
        for cls, toks, price in zip(_TOKEN_CLASSES, tokens, prices[model], strict=True):
            if toks == 0:
                continue
            sku = f"BDRK-{u.stream_key(model + cls):08X}"
            qty = Decimal(toks)
            rows.append(
                base_row(
                    "aws",
                    m0,
                    a,
                    b,
                    **acct,
                    SubAccountId=AWS_ACCOUNT,
                    SubAccountName="example-org-payer",
                    ChargeCategory="Usage",
                    ChargeDescription=f"Bedrock {model} {cls} tokens",
                    ChargeFrequency="Usage-Based",
                    ConsumedQuantity=qty,
                    ConsumedUnit="Tokens",
                    PricingUnit="Tokens",
                    PublisherName="Amazon" if model.startswith("amazon.") else "Anthropic",
                    RegionId="us-east-1",
                    RegionName=REGION_NAMES["us-east-1"],
                    ResourceId=f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
                    ResourceType="Foundation Model",
                    ServiceCategory="AI and Machine Learning",
                    ServiceName="Amazon Bedrock",
                    ServiceSubcategory="Generative AI",
                    SkuId=sku,
                    SkuPriceId=sku + ".OD",
                    x_UsageType=f"USE1-{model}-{cls}-tokens",
                    x_Operation="InvokeModel",
                    line_item_iam_principal=arn,
                    **charge(qty=qty, list_price=price, price=price),
                )
            )
    return rows
