"""OPA decision logs: model-access, tool-call and data-access decisions for AI systems (some denied)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.people import Identity
from roi_ledger_demo.world import World

# action, resource template, probability the policy denies it
_TOOLS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "ais-auto-remediation": (
        ("ec2:RebootInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-{h8}", 0.02),
        ("iam:DisableAccessKey", "arn:aws:iam::123456789012:user/{h8}", 0.05),
        ("iam:DeleteUser", "arn:aws:iam::123456789012:user/{h8}", 0.9),
        ("s3:PutBucketPolicy", "arn:aws:s3:::{team}-data-{h8}", 0.6),
    ),
    "ais-code-review-agent": (
        ("github:CreateReviewComment", "example-org/{team}-api", 0.0),
        ("github:ReadContents", "example-org/{team}-web", 0.0),
        ("github:MergePullRequest", "example-org/{team}-api", 0.95),
    ),
    "ais-soc-triage": (
        ("siem:Query", "siem/index/{team}", 0.0),
        ("edr:IsolateHost", "edr/host/{h8}", 0.7),
        ("ticket:Create", "jira/SEC", 0.0),
    ),
    "ais-incident-summariser": (
        ("pagerduty:ReadIncident", "pagerduty/incident/{h8}", 0.0),
        ("slack:PostMessage", "slack/#inc-{h8}", 0.03),
    ),
    "ais-secrets-scanner": (
        ("secretsmanager:ListSecrets", "secretsmanager/us-east-1", 0.0),
        ("secretsmanager:GetSecretValue", "secretsmanager/{h8}", 0.97),
    ),
    "ais-support-bot": (
        ("crm:ReadTicket", "crm/ticket/{h8}", 0.0),
        ("crm:IssueRefund", "crm/refund/{h8}", 0.8),
    ),
}
_DATA = (
    ("read", "dataset/{team}/public-metrics", "internal", 0.0),
    ("read", "dataset/{team}/customer-pii", "restricted", 0.85),
    ("upload", "file/{h8}.pdf", "confidential", 0.3),
)
_DENY_REASONS = {
    "tool": "action requires human approval",
    "data": "data classification not allowed for this AI system",
    "model": "AI system is not registered in the inventory",
}


def write_opa(world: World, out_dir: Path, carried: Carried) -> dict:
    ev = world.rate_mult
    callers: list[tuple[Identity, str, str, int, float]] = []  # identity, system ref, kind, start, weight
    for ident in world.identities:
        if ident.status == "retired" and ident.retired is None:
            continue
        if ident.kind in ("agent", "service", "api_key") and ident.ai_system_id:
            s = world.system(ident.ai_system_id)
            start = max(ident.created, u.epoch(s.team_adoption.get(ident.owner_team, s.adoption_date)))
            kind = "tool" if ident.ai_system_id in _TOOLS else "model"
            callers.append((ident, s.id, kind, start, 3.0 if ident.kind == "agent" else 1.0))
        elif ident.kind == "human":
            for s in world.systems:
                if s.users == "humans" and ident.owner_team in s.team_adoption:
                    callers.append(
                        (
                            ident,
                            s.id,
                            "data",
                            max(ident.created, u.epoch(s.team_adoption[ident.owner_team])),
                            0.25,
                        )
                    )
            for s in world.shadow:
                if s.users == "humans" and ident.owner_team in s.scope and ident.litellm_key:
                    callers.append((ident, s.tag, "model", max(ident.created, u.epoch(s.adoption_date)), 0.05))
    shadow_proj = next(s for s in world.shadow if s.channel == "openai")
    for ident in world.identities:
        if ident.kind == "service" and ident.openai_key_id and not ident.ai_system_id:
            callers.append((ident, shadow_proj.project_id, "model", u.epoch(shadow_proj.adoption_date), 2.0))
    labels_id = u.uuid_strings(u.rng_for(world.seed, "opa-instance"), 3)
    files = records = 0
    for mi, m0 in enumerate(world.month_starts):
        rng = u.rng_for(world.seed, f"policy/opa_decision_logs/{m0.isoformat()}")
        r = u.pyrng(world.seed, f"policy/opa_decision_logs/{m0.isoformat()}/events")
        a = max(u.epoch(m0), world.start)
        b = min(u.epoch(u.next_month(m0)), world.end)
        active = [c for c in callers if c[3] < b and (c[0].retired or b) > a]
        if not active:
            continue
        w = np.array([c[4] for c in active])
        n = int(rng.poisson(w.sum() * 6.0 * ev * (b - a) / (30 * u.DAY)))
        pick = rng.choice(len(active), size=n, p=w / w.sum())
        events = []
        revision = f"v{m0:%Y.%m}.{1 + mi % 3}"
        for ci in pick:
            ident, sref, kind, start, _ = active[int(ci)]
            lo = max(a, start)
            hi = min(b, ident.retired or b)
            if hi <= lo:
                continue
            t_ns = (lo + r.randrange(hi - lo)) * 1_000_000_000 + r.randrange(1_000_000_000)
            h8 = u.py_hex(r, 4)
            if kind == "tool":
                tools = _TOOLS[sref]
                action, res, p_deny = tools[r.randrange(len(tools))]
                resource = res.format(h8=h8, team=ident.owner_team)
                path = "ai/tools/allow"
                inp = {
                    "subject": ident.login,
                    "subject_kind": ident.kind,
                    "ai_system": sref,
                    "action": action,
                    "resource": resource,
                    "team": ident.owner_team,
                }
            elif kind == "data":
                action, res, cls, p_deny = _DATA[r.randrange(len(_DATA))]
                path = "ai/data/allow"
                inp = {
                    "subject": ident.login,
                    "subject_kind": ident.kind,
                    "ai_system": sref,
                    "action": action,
                    "resource": res.format(h8=h8, team=ident.owner_team),
                    "classification": cls,
                    "team": ident.owner_team,
                }
            else:
                sanctioned = sref.startswith("ais-")
                p_deny = 0.01 if sanctioned else 1.0
                path = "ai/models/allow"
                inp = {
                    "subject": ident.login,
                    "subject_kind": ident.kind,
                    "ai_system": sref,
                    "action": "invoke_model",
                    "resource": "model/" + ("gpt-4o-mini" if not sanctioned else "default"),
                    "team": ident.owner_team,
                }
            allow = not (r.random() < p_deny)
            result = '{"allow":true,"reasons":[]' if allow else f'{{"allow":false,"reasons":["{_DENY_REASONS[kind]}"]'
            if kind == "model" and not sref.startswith("ais-"):
                result += ',"enforcement":"monitor"'
            decision_id = u.py_uuid(r)
            eval_ns = r.randrange(20_000, 900_000)
            head = (
                f'{{"decision_id":"{decision_id}","labels":{{"id":"{labels_id[r.randrange(3)]}",'
                f'"version":"0.68.0"}},"bundles":{{"ai-policies":{{"revision":"{revision}"}}}},"path":"{path}",'
                f'"input":{u.dumps(inp)},"result":{result}}},'
                f'"requested_by":"{ident.ip}:{r.randrange(30000, 60000)}",'
                f'"timestamp":"{u.rfc3339_ns(t_ns)}","metrics":{{"timer_rego_query_eval_ns":{eval_ns},'
                f'"timer_server_handler_ns":{eval_ns + r.randrange(50_000, 1_500_000)}}},"req_id":'
            )
            events.append((t_ns, decision_id, head))
        events.sort()
        data = "".join(f"{head}{k + 1}}}\n" for k, (_, _, head) in enumerate(events))
        u.write_bytes(out_dir / f"decisions_{m0:%Y-%m}.jsonl", data.encode("utf-8"))
        files += 1
        records += len(events)
    return {"files": files, "records": records}
