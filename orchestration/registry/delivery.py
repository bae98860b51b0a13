"""Delivery: Four Keys changes, deployments and incidents, and work items."""

from __future__ import annotations

from orchestration.dataset_model import Dataset
from orchestration.registry.common import f

_DELIVERY_OPTIONAL = (f("repo"), f("team"))

DELIVERY_CHANGES = Dataset(
    system="delivery",
    name="changes",
    title="Four Keys changes",
    description="DORA Four Keys `changes` table (CSV or JSON lines): one row per change (commit).",
    formats=("csv", "jsonl"),
    owner="engineering",
    natural_key=("change_id",),
    freshness_field="time_created",
    fields=(
        f("source", req=True),
        f("event_type"),
        f("change_id", req=True, desc="commit sha"),
        f("time_created", type="timestamp", req=True),
        *_DELIVERY_OPTIONAL,
        f("author", desc="login (personal data)"),
        f("approved_at", type="timestamp", desc="review approval time (approval cycle time)"),
        f(
            "metadata",
            type="json",
            desc="the change's event data; `message` (or `commit.message`): the commit message, whose "
            "`Co-authored-by:` trailers credit AI tools",
        ),
    ),
)

DELIVERY_DEPLOYMENTS = Dataset(
    system="delivery",
    name="deployments",
    title="Four Keys deployments",
    description="DORA Four Keys `deployments` table (CSV or JSON lines): one row per deployment with the "
    "changes it shipped.",
    formats=("csv", "jsonl"),
    owner="engineering",
    natural_key=("deploy_id",),
    freshness_field="time_created",
    fields=(
        f("source", req=True),
        f("deploy_id", req=True),
        f("time_created", type="timestamp", req=True),
        f("main_commit"),
        f("changes", desc="change ids: JSON array, or `;`-separated in CSV"),
        *_DELIVERY_OPTIONAL,
        f("environment"),
    ),
)

DELIVERY_INCIDENTS = Dataset(
    system="delivery",
    name="incidents",
    title="Four Keys incidents",
    description="DORA Four Keys `incidents` table (CSV or JSON lines): one row per production incident "
    "with its root-cause changes.",
    formats=("csv", "jsonl"),
    owner="engineering",
    natural_key=("incident_id",),
    repeats="latest",
    # incidents are sparse events: a quiet week is normal, five without any incident is not
    freshness_field="time_created",
    freshness_warn_hours=24 * 14,
    freshness_error_hours=24 * 35,
    fields=(
        f("source", req=True),
        f("incident_id", req=True),
        f("time_created", type="timestamp", req=True),
        f("time_resolved", type="timestamp"),
        f("changes", desc="root-cause change ids: JSON array, or `;`-separated in CSV"),
        *_DELIVERY_OPTIONAL,
        f("title"),
    ),
)

WORK_ITEMS = Dataset(
    system="delivery",
    name="work_items",
    title="Work items",
    description="Ticket export (Jira/Linear style, CSV): key, type, created, resolved, assignee, effort, labels.",
    formats=("csv",),
    owner="engineering",
    natural_key=("key",),
    repeats="latest",
    freshness_field="created",
    fields=(
        f("key", req=True),
        f("type", req=True, allowed=("story", "bug", "task", "toil", "incident", "chore")),
        f("created", type="timestamp", req=True),
        f("resolved", type="timestamp"),
        f("assignee", desc="personal data"),
        f("team"),
        f("effort_hours", type="decimal"),
        f("story_points", type="decimal"),
        f("status"),
        f("labels", desc="`;`-separated"),
    ),
)
