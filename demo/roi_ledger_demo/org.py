"""The demo organisation's shape: scales, the AWS account and GitHub organisation, the teams."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# ----------------------------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class Scale:
    people: int
    services: int
    agents: int
    api_keys: int
    litellm_rows: int
    """Target number of LiteLLM spend-log rows over the whole history (12 months basis)."""
    events: int
    """Multiplier for the other event datasets (audit logs, decisions, delivery, tickets...)."""


SCALES: dict[str, Scale] = {
    "small": Scale(people=500, services=500, agents=300, api_keys=700, litellm_rows=150_000, events=1),
    "medium": Scale(people=2_000, services=2_000, agents=1_200, api_keys=2_800, litellm_rows=1_500_000, events=10),
    "large": Scale(people=5_000, services=5_000, agents=3_000, api_keys=7_000, litellm_rows=10_600_000, events=10),
}

AWS_ACCOUNT = "123456789012"
#: GitHub Copilot's coding agent: generally available from this day; its pull requests' author (the bot that
#: authors its commits, as GitHub's REST API gives it).
CODING_AGENT_GA = dt.date(2025, 5, 19)
COPILOT_AGENT_LOGIN = "copilot-swe-agent[bot]"
ORG = "example-org"

# ------------------------------------------------------------------------------------------------ teams

TEAMS: tuple[tuple[str, str, float, bool], ...] = (
    # slug, ticket prefix, headcount weight, engineering team (ships code)
    ("platform", "PLAT", 1.2, True),
    ("payments", "PAY", 1.0, True),
    ("checkout", "CHK", 0.9, True),
    ("search", "SRCH", 0.8, True),
    ("mobile", "MOB", 0.9, True),
    ("data", "DATA", 0.9, True),
    ("ml", "ML", 0.7, True),
    ("security", "SEC", 0.7, True),
    ("sre", "SRE", 0.8, True),
    ("identity", "IDN", 0.6, True),
    ("support", "SUP", 1.3, False),
    ("growth", "GRO", 1.0, False),
)
TEAM_SLUGS = tuple(t[0] for t in TEAMS)
ENGINEERING = tuple(t[0] for t in TEAMS if t[3])


REPO_SUFFIXES = ("api", "web", "infra", "worker")


def team_repos(team: str) -> list[str]:
    """A team's repositories (GitHub audit log and delivery history alike)."""
    return [f"{ORG}/{team}-{s}" for s in REPO_SUFFIXES]
