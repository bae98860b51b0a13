"""What the identity inventory says of the AI tools bought outside the gateway.

GitHub Copilot is the coding assistant ``ais-copilot`` (its licence in the SaaS export is that system's), so
that system declares the ``product:github_copilot`` marker; Cursor and Claude Code are AI systems of their
own, each declared by its ``product:`` marker, Claude Code also by its Anthropic workspace; the Support
workspace is the support bot's and the Platform workspace the code review agent's (their Anthropic calls);
the Data workspace is declared by nobody, so the ledger shows it as shadow AI. The service accounts that own
an Anthropic API key list its id (the platform one also the Claude Code CI key, by id and by the name Claude
Code analytics gives it), each Claude Code user their own key, and the Bedrock batch job's role is listed by
the service account of its team that calls Bedrock. One idle Copilot seat holder is on leave
(``on_leave_until``): the fair seat reclaim skips them. Everything here is read from the writers' own random
streams: nothing else the generator writes changes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from roi_ledger_demo import anthropic, copilot
from roi_ledger_demo.org import AWS_ACCOUNT
from roi_ledger_demo.provider_costs import bedrock_callers
from roi_ledger_demo.world import World

#: id, name, category, vendor, owner team, marker (``product:`` as the ledger's spine reads it).
PRODUCTS = (
    ("ais-cursor", "Cursor", "coding_assistant", "Anysphere", "platform", "product:cursor"),
    ("ais-claude-code", "Claude Code", "coding_assistant", "Anthropic", "platform", "product:claude_code"),
)


def system_refs(world: World) -> dict[str, list[str]]:
    """Usage markers of AI systems beyond their gateway tags and OpenAI projects, by system id."""
    ws = anthropic.workspace_ids(world)
    refs: dict[str, list[str]] = {pid: [marker] for pid, *_, marker in PRODUCTS}
    refs["ais-copilot"] = ["product:github_copilot"]  # the coding assistant the Copilot Business licence pays for
    refs["ais-claude-code"].append(ws["Claude Code"])
    refs["ais-support-bot"] = [ws["Support"]]
    refs["ais-code-review-agent"] = [ws["Platform"]]
    return refs


def identity_refs(world: World) -> dict[str, list[str]]:
    """API key ids, key names and role ARNs the inventory lists for identities, by identity id."""
    by_name = {i.name: i for i in world.identities}
    by_iam_user = {i.aws_iam_user: i for i in world.identities if i.aws_iam_user}
    refs: dict[str, list[str]] = defaultdict(list)
    keys = anthropic.keys(world)
    owners = [k.name for k in keys if k.id and k.name in by_name]
    for key in keys:
        if key.id is None:
            continue
        owner = by_name.get(key.name) or (by_name[owners[0]] if owners else None)
        if owner is None:
            continue
        refs[owner.id].append(key.id)
        if key.name not in by_name:  # the CI key: Claude Code analytics names it
            refs[owner.id].append(key.name)
    callers = bedrock_callers(world)
    by_email = {i.email: i for i in world.identities if i.email}
    for actor in anthropic.actors(world):
        if actor.email and actor.email in by_email:
            refs[by_email[actor.email].id].append(anthropic.user_key_id(world, actor.email))
    service = next((arn for arn, kind, _ in callers if kind == "service"), None)
    role = next((arn for arn, kind, _ in callers if kind == "role"), None)
    if service and role:
        owner = by_iam_user.get(service.rsplit("/", 1)[1])
        role_name = role.split("assumed-role/", 1)[1].split("/", 1)[0]
        if owner is not None:
            refs[owner.id].append(f"arn:aws:iam::{AWS_ACCOUNT}:role/{role_name}")
    return dict(refs)


def on_leave(world: World) -> dict[str, str]:
    """Identity id -> the last day of their leave: the holder of the last idle Copilot seat that is neither
    never used nor pending cancellation, on leave for 45 days past the as-of day."""
    idle = [s for s in copilot.plan(world) if s.idle_from not in (None, s.created) and not s.pending_cancel]
    if not idle:
        return {}
    return {idle[-1].who.id: (world.as_of + dt.timedelta(days=45)).isoformat()}
