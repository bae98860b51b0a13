"""Security incidents (OCSF Incident Finding names) and the scenario assumptions for the Monte Carlo model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.world import World

_CATEGORIES = (
    ("credential_abuse", 0.22),
    ("phishing", 0.2),
    ("misconfiguration", 0.2),
    ("malware", 0.08),
    ("data_exposure", 0.12),
    ("prompt_injection", 0.06),
    ("insider", 0.04),
    ("other", 0.08),
)
_SEVERITIES = (("Low", 0.35), ("Medium", 0.35), ("High", 0.22), ("Critical", 0.08))
_TITLES = {
    "phishing": "Credential phishing campaign against {team} staff",
    "misconfiguration": "Public access enabled on {team} storage bucket",
    "malware": "Malware detected on {team} workstation",
    "data_exposure": "Sensitive data shared outside approved tools ({team})",
    "insider": "Unusual bulk download by {team} user",
    "other": "Suspicious activity in {team} environment",
}


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...]) -> str:
    r = rng.random()
    acc = 0.0
    for v, p in table:
        acc += p
        if r < acc:
            return v
    return table[-1][0]


def write_security_incidents(world: World, out_dir: Path, carried: Carried) -> dict:
    rng = u.rng_for(world.seed, "security/incidents")
    ev = world.scale.events
    soc = world.system("ais-soc-triage").adoption_date
    scanner = world.system("ais-secrets-scanner").adoption_date
    soc_t = u.epoch(soc) if soc else None
    scan_t = u.epoch(scanner) if scanner else None
    static = [i for i in world.identities if any(k.static and k.active for k in i.aws_keys)]
    shadow_tags = [s.name for s in world.shadow]
    victims = {
        "ais-support-bot": "support",
        "ais-chat-assistant": "platform",
        "ais-doc-assistant": "platform",
    }
    rows = []
    monthly = 10.0 * ev
    for m0 in world.month_starts:
        a = max(u.epoch(m0), world.start)
        b = min(u.epoch(u.next_month(m0)), world.end)
        n = int(rng.poisson(monthly * (b - a) / (30 * u.DAY)))
        for _ in range(n):
            start = a + int(rng.integers(0, b - a))
            cat = _pick(rng, _CATEGORIES)
            if cat == "credential_abuse" and scan_t and start > scan_t and rng.random() < 0.4:
                cat = "misconfiguration"  # fewer leaked keys once the scanner runs
            team = world.teams[int(rng.integers(0, len(world.teams)))]
            sev = _pick(rng, _SEVERITIES)
            ai_system = ""
            detected_by = "human" if rng.random() < 0.45 else "tool"
            ai_detect = False
            if soc_t and start >= soc_t and rng.random() < 0.55:
                ai_detect, ai_system = True, "ais-soc-triage"
            if cat == "credential_abuse" and scan_t and start >= scan_t and rng.random() < 0.5:
                ai_detect, ai_system = True, "ais-secrets-scanner"
            if ai_detect:
                detected_by = "ai"
            affected_ids = int(rng.integers(1, 4))
            affected_secrets = 0
            if cat == "credential_abuse":
                who = static[int(rng.integers(0, len(static)))] if static and rng.random() < 0.8 else None
                title = (
                    f"Static access key of IAM user {who.aws_iam_user} ({who.id}) used from unfamiliar ASN"
                    if who
                    else "Leaked personal access token used against example-org repositories"
                )
                affected_secrets = int(rng.integers(0, 12))
                affected_ids = int(rng.integers(1, 8))
            elif cat == "prompt_injection":
                cause = ("ais-support-bot", "ais-chat-assistant", "ais-doc-assistant")[int(rng.integers(0, 3))]
                if world.system(cause).adoption_date and start < u.epoch(world.system(cause).adoption_date):
                    cat, title = "other", _TITLES["other"].format(team=team)
                else:
                    ai_system = ai_system or cause
                    title = f"Prompt injection via {world.system(cause).name} exposed internal instructions"
                    team = victims[cause]
            elif cat == "data_exposure" and rng.random() < 0.35:
                app = shadow_tags[int(rng.integers(0, 2))]
                title = f"Customer documents uploaded to unsanctioned AI app {app}"
            else:
                title = _TITLES[cat].format(team=team)
            detect_h = float(rng.lognormal(np.log(3.0 if ai_detect else 26.0), 0.8))
            after_soc = soc_t is not None and start >= soc_t
            resp_h = float(rng.lognormal(np.log(9.0 if after_soc else 17.0), 0.6))
            resp_h *= {"Low": 0.5, "Medium": 1.0, "High": 2.0, "Critical": 3.5}[sev]
            detected = start + int(detect_h * 3600)
            end = detected + int(resp_h * 3600 * rng.uniform(1.5, 4.0))
            loss = float(
                rng.lognormal(np.log({"Low": 800, "Medium": 6000, "High": 45000, "Critical": 350000}[sev]), 0.9)
            )
            closed = end < world.end
            rows.append(
                [
                    f"SEC-{m0:%Y%m}",
                    title,
                    sev,
                    ("Closed" if rng.random() < 0.7 else "Resolved") if closed else "In Progress",
                    u.iso_z(start),
                    u.iso_z(detected) if detected < world.end else "",
                    u.iso_z(end) if closed else "",
                    cat,
                    ai_system,
                    detected_by,
                    affected_ids,
                    affected_secrets,
                    u.money(str(round(resp_h, 1)), 1),
                    u.money(str(round(loss, 2))) if closed else "",
                    "USD",
                ]
            )
    rows.sort(key=lambda r: (r[4], r[1]))
    for k, r in enumerate(rows):
        r[0] = f"{r[0]}-{k + 1:05d}"
    header = (
        "finding_uid",
        "title",
        "severity",
        "status",
        "start_time",
        "detected_time",
        "end_time",
        "category",
        "ai_system_id",
        "detected_by",
        "affected_identities",
        "affected_secrets",
        "response_hours",
        "loss_amount",
        "currency",
    )
    u.write_bytes(out_dir / "security_incidents.csv", u.csv_bytes(header, rows))
    return {"files": 1, "records": len(rows)}


_IBM = "IBM Cost of a Data Breach 2025 (global average $4.44M; $4.88M in 2024)"
_IBM_AI = (
    "IBM Cost of a Data Breach 2025 (about $1.9M lower cost and 80 days shorter lifecycle with extensive "
    "security AI and automation)"
)
_IBM_SHADOW = "IBM Cost of a Data Breach 2025 (about $670k extra cost where shadow AI was involved)"
_DBIR = "Verizon DBIR 2025 (credential abuse is the initial access vector in 22% of breaches)"
_DORA = "DORA 2024 (elite: on-demand deploys, lead time < 1 day, recovery < 1 hour)"

SCENARIOS = (
    # id, system, ledger, description, model, low, mode, high, loss L, loss H, efficacy, reduction,
    # annual cost, source
    (
        "scn-soc-triage-breach",
        "ais-soc-triage",
        "defensive",
        "Data breach whose detection and containment the SOC triage assistant speeds up",
        "pert",
        "0.05",
        "0.12",
        "0.30",
        "1000000",
        "10000000",
        "0.20",
        "0.43",
        "180000",
        _IBM_AI,
    ),
    (
        "scn-secrets-scanner-credential-abuse",
        "ais-secrets-scanner",
        "defensive",
        "Breach through abused credentials (leaked or static keys) caught by the secrets scanner",
        "poisson",
        "",
        "0.05",
        "",
        "500000",
        "8000000",
        "0.40",
        "0.20",
        "60000",
        _DBIR + "; " + _IBM,
    ),
    (
        "scn-auto-remediation-containment",
        "ais-auto-remediation",
        "defensive",
        "Cloud misconfiguration incident contained faster by automated remediation",
        "pert",
        "0.5",
        "2",
        "5",
        "50000",
        "900000",
        "0.15",
        "0.35",
        "150000",
        _IBM_AI,
    ),
    (
        "scn-chat-assistant-shadow-ai",
        "ais-chat-assistant",
        "defensive",
        "Breach involving unsanctioned AI tools avoided by offering a sanctioned assistant",
        "bernoulli",
        "",
        "0.08",
        "",
        "300000",
        "1500000",
        "0.50",
        "0.00",
        "40000",
        _IBM_SHADOW,
    ),
    (
        "scn-doc-assistant-shadow-ai",
        "ais-doc-assistant",
        "defensive",
        "Documents pasted into shadow AI apps, reduced by a sanctioned documentation assistant",
        "bernoulli",
        "",
        "0.04",
        "",
        "200000",
        "1200000",
        "0.30",
        "0.00",
        "15000",
        _IBM_SHADOW,
    ),
    (
        "scn-data-analyst-exposure",
        "ais-data-analyst",
        "defensive",
        "Data exposure through ad-hoc exports, reduced by governed analytics",
        "poisson",
        "",
        "0.03",
        "",
        "250000",
        "4440000",
        "0.25",
        "0.10",
        "30000",
        _IBM,
    ),
    (
        "scn-support-bot-prompt-injection",
        "ais-support-bot",
        "defensive",
        "Prompt injection against the support bot, partly blocked by its guardrails",
        "poisson",
        "",
        "0.5",
        "",
        "20000",
        "670000",
        "0.20",
        "0.10",
        "25000",
        _IBM,
    ),
    (
        "scn-code-review-change-failures",
        "ais-code-review-agent",
        "productivity",
        "Change failures caught before production by the code review agent",
        "pert",
        "12",
        "24",
        "48",
        "5000",
        "80000",
        "0.30",
        "0.10",
        "90000",
        _DORA,
    ),
    (
        "scn-support-bot-deflection",
        "ais-support-bot",
        "efficiency",
        "Support tickets escalated to engineering, avoided by the support bot",
        "poisson",
        "",
        "120",
        "",
        "150",
        "1800",
        "0.30",
        "0.00",
        "60000",
        "Demo assumption (escalations a year and their handling cost)",
    ),
)

# Scenarios that take observed figures from the spine instead of their own (incident category, inputs).
# ais-copilot and ais-incident-summariser have no row: the default library (seed scenario_library) covers them.
OBSERVED = {
    "scn-auto-remediation-containment": ("misconfiguration", "frequency;loss;control_cost"),
    "scn-secrets-scanner-credential-abuse": ("credential_abuse", "control_cost"),
    "scn-soc-triage-breach": ("data_exposure", "control_cost"),
}


def write_scenarios(world: World, out_dir: Path, carried: Carried) -> dict:
    header = (
        "scenario_id",
        "ai_system_id",
        "ledger",
        "description",
        "frequency_model",
        "frequency_low",
        "frequency_mode",
        "frequency_high",
        "loss_low_90",
        "loss_high_90",
        "currency",
        "control_efficacy",
        "loss_reduction",
        "annual_control_cost",
        "horizon_years",
        "incident_category",
        "use_observed",
        "source",
    )
    rows = []
    for sid, system, ledger, desc, model, lo, mode, hi, ll, lh, eff, red, cost, src in SCENARIOS:
        rows.append(
            [
                sid,
                system,
                ledger,
                desc,
                model,
                lo,
                mode,
                hi,
                ll,
                lh,
                "USD",
                eff,
                red,
                cost,
                3,
                *OBSERVED.get(sid, ("", "")),
                src + " - cited in docs/METHOD.md section 5",
            ]
        )
    u.write_bytes(out_dir / "scenarios.csv", u.csv_bytes(header, rows))
    return {"files": 1, "records": len(rows)}
