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

Deliberate imperfections: static long-lived AWS keys, denied OPA decisions, four LiteLLM and two OpenAI
keys known to no source (well under 2 % of usage cost; see ``World.unknown_keys``), retired identities
that still hold keys, orphaned secrets, unused seats, and the shadow systems above.

``generate()`` is deterministic: the same arguments give the same bytes in every file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from orchestration import datasets as _registry
from orchestration.demo import billing, delivery, iam, okta, policy, saas, security, usage
from orchestration.demo.org import SCALES
from orchestration.demo.world import World, build_world

__all__ = ["SCALES", "World", "build_world", "generate"]

#: Every registered dataset: the generator writes each of them (a new registry entry needs a writer here).
DATASETS = tuple(d.key for d in _registry.DATASETS)


def generate(
    data_dir: Path, *, seed: int = 42, scale: str = "small", months: int = 12, as_of: dt.date
) -> dict:
    """Write every dataset under ``data_dir/raw/<system>/<dataset>/``.

    Returns ``{"<system>/<dataset>": {"files": n, "records": n}, ...}``. Files of the same name are
    overwritten (the same arguments give the same bytes, so a re-run changes nothing); no other file is ever
    deleted, so exports a user dropped beside the demo's are safe.
    """
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    world = build_world(seed, scale, months, as_of)
    raw = Path(data_dir) / "raw"
    for key in DATASETS:
        (raw / key).mkdir(parents=True, exist_ok=True)

    def d(key: str) -> Path:
        return raw / key

    summary: dict[str, dict] = {}
    summary["iam/identity_inventory"] = iam.write_inventory(world, d("iam/identity_inventory"))
    summary["iam/aws_credential_report"] = iam.write_credential_report(world, d("iam/aws_credential_report"))
    summary["iam/github_audit_log"] = iam.write_github(world, d("iam/github_audit_log"))
    summary["iam/okta_system_log"] = okta.write_okta(world, d("iam/okta_system_log"))
    summary["iam/secrets_inventory"] = iam.write_secrets(world, d("iam/secrets_inventory"))
    summary["usage/litellm_spend_logs"], litellm_tokens = usage.write_litellm(
        world, d("usage/litellm_spend_logs")
    )
    summary["usage/openai_usage"], openai_tokens = usage.write_openai(world, d("usage/openai_usage"))
    summary["policy/opa_decision_logs"] = policy.write_opa(world, d("policy/opa_decision_logs"))
    summary["billing/saas_licences"], seats = saas.write_saas(world, d("billing/saas_licences"))
    summary["billing/focus"] = billing.write_focus(
        world, d("billing/focus"), litellm_tokens, openai_tokens, seats
    )
    summary.update(delivery.write_delivery(world, raw / "delivery"))
    summary["security/incidents"] = security.write_security_incidents(world, d("security/incidents"))
    summary["assumptions/scenarios"] = security.write_scenarios(world, d("assumptions/scenarios"))
    return {k: summary[k] for k in DATASETS}
