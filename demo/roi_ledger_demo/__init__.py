"""Seeded demo organisation: every raw dataset of docs/FORMATS.md, generated from one consistent world.

The world (``world.py``) is decided once from the seed:

- 12 teams (10 engineering teams that ship code, plus ``support`` and ``growth``);
- people (``hum-NNNN``: synthetic names, ``first.last@example.com`` email = Okta login, GitHub login
  ``first-last``, IAM user ``first.last`` for some engineers), service accounts (``svc-NNNN``), AI agents
  (``agt-NNNN``) and standalone API keys (``key-NNNN``); small scale has 500 people and 1,500 non-human
  identities;
- 10 sanctioned AI systems (``ais-*``: coding assistant, code review agent, chat and documentation
  assistants on OpenAI, SOC triage, auto-remediation, support bot, data analyst, incident summariser,
  secrets scanner) with an adoption date per adopting team (spread over the history; some teams never
  adopt some systems), and 3 shadow systems that appear only in usage and policy data: LiteLLM request
  tags ``app:resume-screener`` and ``app:slide-wizard`` and one OpenAI project missing from the inventory.

Crosswalk: the inventory (``iam/identity_inventory``) lists every identity with ``aws_iam_user``,
``okta_login`` (email; ``0oa...`` client id for service apps), ``github_login`` (``...[bot]`` for the code
review agents) and ``api_key_refs``: LiteLLM key hashes (64 hex), OpenAI ``key_...`` ids and ``user-...``
ids, AWS ``AKIA...`` access key ids, GitHub ``hashed_token`` values and secret ARNs. AI system rows carry
their usage markers (LiteLLM tag ``app:<name>``, OpenAI ``proj_...``). LiteLLM ``team_id`` and
``metadata.user_api_key_team_id`` are the owner team slug; ``user`` is the person's email. OPA
``input.subject`` is the email for people and the identity key otherwise; ``input.ai_system`` is the
``ais-*`` id (the app tag or project id for shadow systems). FOCUS AI charges carry
``Tags.ai_system``; token charges equal the usage exports' billable tokens times price exactly; seat
subscriptions use the SaaS licence id as ``ResourceId``.

AI tools paid for outside the gateway (``ai/*``, written last): GitHub Copilot seats, per-user usage and org
day totals for the teams that adopted the coding assistant (seat holders by GitHub login, the org totals the
sums of the user lines, pull requests from the delivery history); Anthropic usage and cost reports of a few
service-account API keys and Claude Code (engineers' emails; its tokens are the Claude Code workspace's
usage), the cost report priced from the usage report; OpenAI costs priced from the OpenAI usage files, one
month of one project deliberately over-billed by 8 %; Bedrock invocation logs of two IAM users and an
assumed role; Cursor daily usage and usage events (included and usage-based) of the teams without Copilot.

Deliberate imperfections: static long-lived AWS keys, denied OPA decisions, four LiteLLM and two OpenAI
keys known to no source (well under 2 % of usage cost; see ``World.unknown_keys``), retired identities
that still hold keys, orphaned secrets, unused seats, and the shadow systems above.

``generate()`` is deterministic: the same arguments give the same bytes in every file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from orchestration import datasets as _registry
from roi_ledger_demo import (
    anthropic,
    billing,
    copilot,
    cursor,
    delivery,
    iam,
    okta,
    policy,
    provider_costs,
    saas,
    security,
    usage,
)
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.org import SCALES
from roi_ledger_demo.world import World, build_world

__all__ = ["SCALES", "WRITERS", "World", "build_world", "generate"]

#: A writer puts one dataset's files in its folder and returns ``{"files": n, "records": n}``.
Writer = Callable[[World, Path, Carried], dict]

#: Every registered dataset's writer, in the order they run: FOCUS after the usage exports and the SaaS
#: licences whose tokens and seats it bills (``carried.py``), the AI tools last. A new dataset of the registry
#: needs an entry (a test holds the keys to the registry).
WRITERS: dict[str, Writer] = {
    "iam/identity_inventory": iam.write_inventory,
    "iam/aws_credential_report": iam.write_credential_report,
    "iam/github_audit_log": iam.write_github,
    "iam/okta_system_log": okta.write_okta,
    "iam/secrets_inventory": iam.write_secrets,
    "usage/litellm_spend_logs": usage.write_litellm,
    "usage/openai_usage": usage.write_openai,
    "policy/opa_decision_logs": policy.write_opa,
    "billing/saas_licences": saas.write_saas,
    # Bedrock's invocation logs before FOCUS: AWS bills their calls by IAM principal
    "ai/bedrock_invocations": provider_costs.write_bedrock,
    "billing/focus": billing.write_focus,
    "delivery/changes": delivery.write_changes,
    "delivery/deployments": delivery.write_deployments,
    "delivery/incidents": delivery.write_incidents,
    "delivery/work_items": delivery.write_work_items,
    "security/incidents": security.write_security_incidents,
    "assumptions/scenarios": security.write_scenarios,
    # AI tools: each reads only what ran before it (the org totals the users lines and the delivery history,
    # the Anthropic cost the usage report, the OpenAI costs the OpenAI usage files)
    "ai/github_copilot_seats": copilot.write_seats,
    "ai/github_copilot_usage": copilot.write_users,
    "ai/github_copilot_org_usage": copilot.write_org_usage,
    "ai/anthropic_usage": anthropic.write_usage,
    "ai/anthropic_cost": anthropic.write_cost,
    "ai/claude_code_usage": anthropic.write_claude_code,
    "ai/openai_costs": provider_costs.write_openai_costs,
    "ai/cursor_daily_usage": cursor.write_daily,
    "ai/cursor_usage_events": cursor.write_events,
}


def generate(data_dir: Path, *, seed: int = 42, scale: str = "small", months: int = 12, as_of: dt.date) -> dict:
    """Write every dataset under ``data_dir/raw/<system>/<dataset>/``.

    Returns ``{"<system>/<dataset>": {"files": n, "records": n}, ...}`` in the registry's order. Files of the
    same name are overwritten (the same arguments give the same bytes, so a re-run changes nothing); no other
    file is ever deleted, so exports a user dropped beside the demo's are safe.
    """
    missing = [d.key for d in _registry.DATASETS if d.key not in WRITERS]
    if missing:
        raise ValueError(f"no demo writer for registered dataset(s) {', '.join(missing)} (roi_ledger_demo.WRITERS)")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    world = build_world(seed, scale, months, as_of)
    raw = Path(data_dir) / "raw"
    carried = Carried()
    summary: dict[str, dict] = {}
    for key, write in WRITERS.items():
        (raw / key).mkdir(parents=True, exist_ok=True)
        summary[key] = write(world, raw / key, carried)
    return {d.key: summary[d.key] for d in _registry.DATASETS}
