"""The demo organisation's AI systems (registered and shadow) and the models they call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from roi_ledger_demo.org import ENGINEERING, TEAM_SLUGS

# ----------------------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class Model:
    group: str
    """User-facing model name (LiteLLM ``model_group``; OpenAI ``model``)."""
    deployment: str
    provider: str
    """``bedrock``, ``azure`` (through LiteLLM) or ``openai`` (direct, OpenAI usage API)."""
    price_in: int
    """Nano-USD per input token."""
    price_out: int
    mu_in: float
    mu_out: float
    call_type: str = "acompletion"


MODELS: dict[str, Model] = {
    m.group: m
    for m in (
        Model("claude-3-5-sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", 3000, 15000, 7.4, 6.0),
        Model("claude-3-haiku", "anthropic.claude-3-haiku-20240307-v1:0", "bedrock", 250, 1250, 7.0, 5.4),
        Model("gpt-4o", "gpt-4o-2024-08-06", "azure", 2500, 10000, 7.2, 5.8),
        Model("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "azure", 150, 600, 6.8, 5.2),
        Model("text-embedding-3-small", "text-embedding-3-small", "azure", 20, 0, 6.5, 0.0, "aembedding"),
        Model("gpt-4.1-2025-04-14", "gpt-4.1-2025-04-14", "openai", 2000, 8000, 7.3, 6.0),
        Model("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini-2025-04-14", "openai", 400, 1600, 7.0, 5.6),
        Model("o4-mini-2025-04-16", "o4-mini-2025-04-16", "openai", 1100, 4400, 7.0, 6.4),
    )
}

API_BASES = {
    "bedrock": "https://bedrock-runtime.us-east-1.amazonaws.com",
    "azure": "https://example-ai.openai.azure.com/",
}

# ------------------------------------------------------------------------------------------- AI systems


@dataclass
class AISystem:
    id: str
    name: str
    category: str
    vendor: str
    owner_team: str
    channel: str
    """``litellm`` (tag on the gateway) or ``openai`` (direct OpenAI project)."""
    models: tuple[tuple[str, float], ...]
    users: str
    """Who calls it: ``humans``, ``agents`` or ``services``."""
    scope: tuple[str, ...]
    """Teams that may adopt it (the owner team always does, first)."""
    adopt_p: float
    rate: float
    """Mean requests per caller per active day."""
    sanctioned: bool = True
    tag: str = ""
    """LiteLLM request tag (``app:<name>``)."""
    project_id: str = ""
    """OpenAI project id."""
    adoption_date: dt.date | None = None
    team_adoption: dict[str, dt.date] = field(default_factory=dict)

    @property
    def usage_refs(self) -> list[str]:
        return [r for r in (self.project_id, self.tag) if r]


def registered_systems() -> list[AISystem]:
    """The inventory's AI systems, adoption dates not yet drawn."""
    eng = ENGINEERING
    return [
        AISystem(
            "ais-copilot",
            "Copilot Chat",
            "coding_assistant",
            "GitHub",
            "platform",
            "litellm",
            (("gpt-4o", 0.6), ("claude-3-5-sonnet", 0.4)),
            "humans",
            eng,
            0.75,
            9.0,
            tag="app:copilot-chat",
        ),
        AISystem(
            "ais-code-review-agent",
            "AI code review agent",
            "agent",
            "Anthropic",
            "platform",
            "litellm",
            (("claude-3-5-sonnet", 1.0),),
            "agents",
            eng,
            0.6,
            40.0,
            tag="app:code-review-agent",
        ),
        AISystem(
            "ais-chat-assistant",
            "Enterprise chat assistant",
            "chat_assistant",
            "OpenAI",
            "platform",
            "openai",
            (("gpt-4.1-2025-04-14", 0.5), ("gpt-4.1-mini-2025-04-14", 0.5)),
            "humans",
            TEAM_SLUGS,
            0.8,
            6.0,
        ),
        AISystem(
            "ais-soc-triage",
            "SOC triage assistant",
            "detection",
            "Triagely",
            "security",
            "litellm",
            (("claude-3-haiku", 0.7), ("claude-3-5-sonnet", 0.3)),
            "agents",
            ("security",),
            1.0,
            60.0,
            tag="app:soc-triage",
        ),
        AISystem(
            "ais-auto-remediation",
            "Auto-remediation agent",
            "remediation",
            "Remedia",
            "sre",
            "litellm",
            (("claude-3-5-sonnet", 1.0),),
            "agents",
            ("sre",),
            1.0,
            30.0,
            tag="app:auto-remediation",
        ),
        AISystem(
            "ais-support-bot",
            "Customer support bot",
            "chat_assistant",
            "OpenAI",
            "support",
            "openai",
            (("gpt-4.1-mini-2025-04-14", 0.8), ("gpt-4.1-2025-04-14", 0.2)),
            "services",
            ("support",),
            1.0,
            400.0,
        ),
        AISystem(
            "ais-data-analyst",
            "Data analyst assistant",
            "analytics",
            "Microsoft",
            "data",
            "litellm",
            (("gpt-4o", 0.7), ("gpt-4o-mini", 0.3)),
            "humans",
            ("data", "ml", "growth", "payments", "support"),
            0.8,
            7.0,
            tag="app:data-analyst",
        ),
        AISystem(
            "ais-incident-summariser",
            "Incident summariser",
            "other",
            "Microsoft",
            "sre",
            "litellm",
            (("gpt-4o-mini", 1.0),),
            "services",
            ("sre",),
            1.0,
            50.0,
            tag="app:incident-summariser",
        ),
        AISystem(
            "ais-secrets-scanner",
            "Secrets scanner assistant",
            "detection",
            "Microsoft",
            "security",
            "litellm",
            (("gpt-4o-mini", 0.6), ("text-embedding-3-small", 0.4)),
            "services",
            ("security",),
            1.0,
            80.0,
            tag="app:secrets-scanner",
        ),
        AISystem(
            "ais-doc-assistant",
            "Documentation assistant",
            "other",
            "OpenAI",
            "platform",
            "openai",
            (("o4-mini-2025-04-16", 0.3), ("gpt-4.1-mini-2025-04-14", 0.7)),
            "humans",
            TEAM_SLUGS,
            0.5,
            3.0,
        ),
    ]


def shadow_systems() -> list[AISystem]:
    """AI systems seen in usage that no inventory row registers."""
    return [
        AISystem(
            "shadow-resume-screener",
            "resume-screener",
            "other",
            "",
            "support",
            "litellm",
            (("gpt-4o-mini", 1.0),),
            "humans",
            ("support", "growth"),
            1.0,
            6.0,
            sanctioned=False,
            tag="app:resume-screener",
        ),
        AISystem(
            "shadow-slide-wizard",
            "slide-wizard",
            "other",
            "",
            "growth",
            "litellm",
            (("claude-3-haiku", 1.0),),
            "humans",
            ("growth", "payments"),
            1.0,
            5.0,
            sanctioned=False,
            tag="app:slide-wizard",
        ),
        AISystem(
            "shadow-translation-scripts",
            "translation-scripts",
            "other",
            "",
            "data",
            "openai",
            (("gpt-4.1-mini-2025-04-14", 1.0),),
            "services",
            ("data",),
            1.0,
            120.0,
            sanctioned=False,
        ),
    ]
