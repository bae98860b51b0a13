"""The demo's SaaS seat and licence export, and the licences some FOCUS providers bill."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.org import ENGINEERING, TEAM_SLUGS
from roi_ledger_demo.world import World


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


def write_saas(world: World, out_dir: Path, carried: Carried) -> dict:
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
    carried.billed_seats = billed
    return {"files": 1, "records": len(rows)}
