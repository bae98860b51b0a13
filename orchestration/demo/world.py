"""The demo organisation: teams, people, non-human identities, AI systems, keys and adoption dates.

Everything every dataset writer needs to stay consistent with every other one is decided here, once, from
the seed. Writers only add events on top of this world.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from orchestration.demo import _util as u

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
    "medium": Scale(
        people=2_000, services=2_000, agents=1_200, api_keys=2_800, litellm_rows=1_500_000, events=10
    ),
    "large": Scale(
        people=5_000, services=5_000, agents=3_000, api_keys=7_000, litellm_rows=10_600_000, events=10
    ),
}

AWS_ACCOUNT = "123456789012"
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
        Model(
            "claude-3-5-sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", 3000, 15000, 7.4, 6.0
        ),
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


def _systems() -> list[AISystem]:
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


def _shadow_systems() -> list[AISystem]:
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


# ------------------------------------------------------------------------------------------- identities


@dataclass
class AccessKey:
    key_id: str
    created: int
    """Epoch seconds of creation / last rotation."""
    active: bool
    static: bool
    """Long-lived: never rotated for more than a year."""


@dataclass
class Identity:
    id: str
    kind: str
    name: str
    owner_team: str
    created: int
    email: str = ""
    ai_system_id: str = ""
    status: str = "active"
    retired: int | None = None
    aws_iam_user: str = ""
    okta_login: str = ""
    okta_id: str = ""
    github_login: str = ""
    github_id: int = 0
    mfa: bool = False
    password: bool = False
    aws_keys: list[AccessKey] = field(default_factory=list)
    litellm_key: str = ""
    litellm_alias: str = ""
    openai_key_id: str = ""
    openai_user_id: str = ""
    github_tokens: list[str] = field(default_factory=list)
    secret_arns: list[str] = field(default_factory=list)
    other_refs: list[str] = field(default_factory=list)
    ip: str = ""

    @property
    def is_human(self) -> bool:
        return self.kind == "human"

    @property
    def login(self) -> str:
        """The subject a policy engine sees: the Okta login for people, the identity key otherwise."""
        return self.okta_login if self.is_human else self.id

    def api_key_refs(self) -> list[str]:
        refs = [k.key_id for k in self.aws_keys]
        for r in (self.litellm_key, self.openai_key_id, self.openai_user_id):
            if r:
                refs.append(r)
        return refs + self.github_tokens + self.secret_arns + self.other_refs


@dataclass
class UnknownKey:
    """A usage key present in no IAM source and no inventory (the deliberate attribution gap)."""

    channel: str
    key: str
    system_id: str
    rate: float


_FIRST = [
    "Avery",
    "Quinn",
    "Jordan",
    "Taylor",
    "Morgan",
    "Riley",
    "Casey",
    "Jamie",
    "Rowan",
    "Skyler",
    "Reese",
    "Emerson",
    "Finley",
    "Harper",
    "Parker",
    "Sawyer",
    "Dakota",
    "Hayden",
    "Kendall",
    "Logan",
    "Micah",
    "Noel",
    "Oakley",
    "Peyton",
    "Remy",
    "Sage",
    "Shiloh",
    "Tatum",
    "Toby",
    "Wren",
    "Alexis",
    "Blair",
    "Cameron",
    "Devon",
    "Elliot",
    "Frankie",
    "Gray",
    "Hollis",
    "Indigo",
    "Jules",
    "Kai",
    "Lane",
    "Marlow",
    "Nico",
    "Onyx",
    "Perry",
    "Quincy",
    "Robin",
    "Sasha",
    "Teagan",
    "Umi",
    "Val",
    "Winter",
    "Xen",
    "Yael",
    "Zion",
    "Arden",
    "Bellamy",
    "Corin",
    "Darcy",
    "Ellis",
    "Fallon",
    "Greer",
    "Haven",
    "Ira",
    "Jesse",
    "Kit",
    "Linden",
    "Merritt",
    "Nova",
    "Ocean",
    "Presley",
    "Rory",
    "Salem",
    "Tristan",
    "Uri",
    "Vesper",
    "Wynn",
    "Ash",
    "Briar",
    "Cody",
    "Drew",
    "Eden",
    "Flynn",
    "Gale",
    "Hunter",
    "Jody",
    "Kerry",
    "Lee",
    "Marion",
    "Nat",
    "Ollie",
    "Pat",
    "Ray",
    "Shay",
    "Terry",
]
_LAST = [
    "Quinn",
    "Abbott",
    "Barker",
    "Calloway",
    "Dalton",
    "Ellison",
    "Fairbanks",
    "Garner",
    "Holloway",
    "Irving",
    "Jennings",
    "Keller",
    "Lambert",
    "Mercer",
    "Norwood",
    "Ocampo",
    "Pryor",
    "Rendell",
    "Sutter",
    "Thorne",
    "Underhill",
    "Vance",
    "Whitlock",
    "Yardley",
    "Zeller",
    "Ashford",
    "Blackwood",
    "Carver",
    "Draper",
    "Easton",
    "Fletcher",
    "Granger",
    "Hastings",
    "Ingram",
    "Judd",
    "Kingsley",
    "Lowell",
    "Marsh",
    "Nash",
    "Osborne",
    "Pemberton",
    "Radcliffe",
    "Sterling",
    "Tanner",
    "Upton",
    "Vickers",
    "Walsh",
    "Yates",
    "Archer",
    "Bishop",
    "Crane",
    "Dorsey",
    "Everett",
    "Fox",
    "Gilmore",
    "Hale",
    "Ives",
    "Jarvis",
    "Knox",
    "Lyle",
    "Monroe",
    "Noble",
    "Oakes",
    "Pike",
    "Reyes",
    "Shaw",
    "Temple",
    "Vale",
    "Webb",
    "Alder",
    "Brook",
    "Cole",
    "Dane",
    "Ferris",
    "Gentry",
    "Hart",
    "Irwin",
    "Kemp",
    "Lark",
    "Moss",
    "Nye",
    "Orr",
    "Price",
    "Rhodes",
    "Sloan",
    "Tate",
    "Voss",
    "Ward",
    "Young",
    "Baird",
    "Cross",
    "Dunn",
    "Frost",
    "Hayes",
    "Lang",
]

PURPOSES = (
    "etl",
    "deployer",
    "backup",
    "metrics",
    "batch",
    "sync",
    "api",
    "cron",
    "ingest",
    "notifier",
    "reporting",
    "scheduler",
)
REGIONS = ("us-east-1", "eu-west-1", "us-west-2")


def _width(n: int) -> int:
    return max(4, len(str(n)))


@dataclass
class World:
    seed: int
    scale_name: str
    scale: Scale
    as_of: dt.date
    months: int
    month_starts: list[dt.date]
    start: int
    """Epoch seconds of the first instant of the history."""
    end: int
    """Epoch seconds just after the last instant of the history (midnight after as_of)."""
    teams: tuple[str, ...]
    team_headcount: dict[str, int]
    systems: list[AISystem]
    shadow: list[AISystem]
    identities: list[Identity]
    unknown_keys: list[UnknownKey]

    @property
    def rate_mult(self) -> float:
        """Per-identity event-rate multiplier, so total event volumes are ``scale.events`` x small ones."""
        return self.scale.events * SCALES["small"].people / self.scale.people

    @property
    def by_id(self) -> dict[str, Identity]:
        return {i.id: i for i in self.identities}

    def system(self, sid: str) -> AISystem:
        for s in self.systems + self.shadow:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def humans(self) -> list[Identity]:
        return [i for i in self.identities if i.kind == "human"]

    def first_adoption(self, team: str) -> dt.date | None:
        dates = [s.team_adoption[team] for s in self.systems if team in s.team_adoption]
        return min(dates) if dates else None

    @property
    def unknown_key_set(self) -> set[str]:
        return {k.key for k in self.unknown_keys}


def _rand_day_in(rng: np.random.Generator, lo: dt.date, hi: dt.date) -> dt.date:
    span = max(0, (hi - lo).days)
    return lo + dt.timedelta(days=int(rng.integers(0, span + 1)))


def _adoption(rng: np.random.Generator, systems: list[AISystem], ms: list[dt.date], as_of: dt.date) -> None:
    m = len(ms)
    lo_idx = min(1, m - 1)
    hi_idx = max(lo_idx, m - 4)
    latest = as_of - dt.timedelta(days=20)
    never_copilot = ("mobile", "identity")
    never_review = ("checkout", "identity", "ml")
    for s in systems:
        k = int(rng.integers(lo_idx, hi_idx + 1))
        base = min(_rand_day_in(rng, ms[k], ms[k] + dt.timedelta(days=25)), latest)
        s.adoption_date = base
        s.team_adoption = {s.owner_team: base}
        for team in s.scope:
            if team == s.owner_team:
                continue
            r = rng.random()
            lag = int(rng.integers(0, 130))
            if s.id == "ais-copilot" and team in never_copilot:
                continue
            if s.id == "ais-code-review-agent" and team in never_review:
                continue
            if r > s.adopt_p:
                continue
            d = base + dt.timedelta(days=lag)
            if d <= latest:
                s.team_adoption[team] = d


def build_world(seed: int, scale: str, months: int, as_of: dt.date) -> World:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    if months < 1:
        raise ValueError("months must be >= 1")
    sc = SCALES[scale]
    rng = u.rng_for(seed, "world")
    ms = u.month_starts(as_of, months)
    start = u.epoch(ms[0])
    end = u.epoch(as_of + dt.timedelta(days=1))

    systems = _systems()
    shadow = _shadow_systems()
    _adoption(rng, systems, ms, as_of)
    for s in shadow:
        k = int(rng.integers(0, max(1, months // 2)))
        s.adoption_date = min(ms[k] + dt.timedelta(days=int(rng.integers(0, 20))), as_of)
        s.team_adoption = {t: s.adoption_date for t in s.scope}
    pids = u.rand_alnum(rng, len(systems) + len(shadow), 24)
    for s, p in zip(systems + shadow, pids, strict=True):
        if s.channel == "openai":
            s.project_id = "proj_" + p

    # ---- headcount
    weights = np.array([t[2] for t in TEAMS])
    counts = np.floor(weights / weights.sum() * sc.people).astype(int)
    counts[: sc.people - counts.sum()] += 1
    team_headcount = dict(zip(TEAM_SLUGS, (int(c) for c in counts), strict=True))
    hist_days = (as_of - ms[0]).days + 1

    identities: list[Identity] = []
    w = _width(max(sc.people, sc.services, sc.agents, sc.api_keys))

    # ---- humans
    combos = len(_FIRST) * len(_LAST)
    picks = (
        rng.permutation(combos)[: sc.people] if sc.people <= combos else rng.integers(0, combos, sc.people)
    )
    human_team = np.repeat(np.array(TEAM_SLUGS), counts)
    rng.shuffle(human_team)
    okta_ids = u.rand_alnum(rng, sc.people, 17)
    openai_uids = u.rand_alnum(rng, sc.people, 24)
    used_emails: dict[str, int] = {}
    used_gh: dict[str, int] = {}
    for i in range(sc.people):
        first = _FIRST[int(picks[i]) // len(_LAST)]
        last = _LAST[int(picks[i]) % len(_LAST)]
        team = str(human_team[i])
        base = f"{first}.{last}".lower()
        n = used_emails.get(base, 0)
        used_emails[base] = n + 1
        local = base if n == 0 else f"{base}{n + 1}"
        eng = team in ENGINEERING
        created = u.epoch(ms[0]) - int(rng.integers(30, 2500)) * u.DAY
        if rng.random() < 0.12:  # joined during the history
            created = u.epoch(ms[0]) + int(rng.integers(0, max(1, hist_days - 30))) * u.DAY
        h = Identity(
            id=f"hum-{i + 1:0{w}d}",
            kind="human",
            name=f"{first} {last}",
            owner_team=team,
            created=created,
            email=f"{local}@example.com",
        )
        h.okta_login = h.email
        h.okta_id = "00u" + okta_ids[i]
        h.mfa = bool(rng.random() < 0.93)
        if rng.random() < (0.92 if eng else 0.3):
            gbase = f"{first}-{last}".lower()
            gn = used_gh.get(gbase, 0)
            used_gh[gbase] = gn + 1
            h.github_login = gbase if gn == 0 else f"{gbase}{gn + 1}"
            h.github_id = int(rng.integers(1_000_000, 190_000_000))
        if eng and rng.random() < 0.35:
            h.aws_iam_user = local
            h.password = True
        if rng.random() < 0.04 and created < end - 90 * u.DAY:
            h.status = "retired"
            h.retired = max(
                created + 60 * u.DAY, start + int(rng.integers(30, max(31, hist_days - 20))) * u.DAY
            )
        h.openai_user_id = "user-" + openai_uids[i]
        h.ip = f"10.{20 + TEAM_SLUGS.index(team)}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"
        identities.append(h)

    # ---- services
    ai_backends = [
        ("ais-support-bot", "support"),
        ("ais-incident-summariser", "sre"),
        ("ais-secrets-scanner", "security"),
        ("ais-chat-assistant", "platform"),
        ("ais-doc-assistant", "platform"),
        ("ais-soc-triage", "security"),
    ]
    seq: dict[str, int] = {}
    for i in range(sc.services):
        ai = ""
        if rng.random() < 0.25:
            ai, team = ai_backends[int(rng.integers(0, len(ai_backends)))]
        else:
            team = TEAM_SLUGS[int(rng.integers(0, len(TEAM_SLUGS)))]
        purpose = "ai" if ai else PURPOSES[int(rng.integers(0, len(PURPOSES)))]
        stem = f"svc-{team}-{purpose}"
        seq[stem] = seq.get(stem, 0) + 1
        name = f"{stem}-{seq[stem]:02d}"
        created = start - int(rng.integers(60, 2000)) * u.DAY
        s = Identity(
            id=f"svc-{i + 1:0{w}d}",
            kind="service",
            name=name,
            owner_team=team,
            created=created,
            ai_system_id=ai,
        )
        if rng.random() < 0.8:
            s.aws_iam_user = name
        if rng.random() < 0.25:
            s.okta_login = "0oa" + u.rand_alnum(rng, 1, 17)[0]
        if rng.random() < 0.15:
            s.github_login = f"{name}-bot"
            s.github_id = int(rng.integers(1_000_000, 190_000_000))
        if rng.random() < 0.03:
            s.status = "retired"
        s.ip = f"10.{100 + TEAM_SLUGS.index(team)}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"
        identities.append(s)
    # the unsanctioned OpenAI project is run by one data-team service account (known identity, shadow system)
    shadow_owner = next(
        i for i in identities if i.kind == "service" and i.owner_team == "data" and not i.ai_system_id
    )
    shadow_owner.openai_key_id = "key_" + u.rand_alnum(rng, 1, 16)[0]

    # ---- agents
    agent_plan = (
        ("ais-code-review-agent", 0.40),
        ("ais-auto-remediation", 0.25),
        ("ais-soc-triage", 0.20),
        ("ais-incident-summariser", 0.15),
    )
    sys_by_id = {s.id: s for s in systems}
    gh_bot_teams: set[tuple[str, str]] = set()
    aseq: dict[str, int] = {}
    for i in range(sc.agents):
        r = rng.random()
        acc = 0.0
        sid = agent_plan[-1][0]
        for cand, p in agent_plan:
            acc += p
            if r < acc:
                sid = cand
                break
        sysm = sys_by_id[sid]
        teams = sorted(sysm.team_adoption)
        team = teams[int(rng.integers(0, len(teams)))]
        adopted = u.epoch(sysm.team_adoption[team])
        short = sid.removeprefix("ais-")
        stem = f"{short}-{team}"
        aseq[stem] = aseq.get(stem, 0) + 1
        a = Identity(
            id=f"agt-{i + 1:0{w}d}",
            kind="agent",
            name=f"{stem}-{aseq[stem]:02d}",
            owner_team=team,
            created=adopted - int(rng.integers(1, 10)) * u.DAY,
            ai_system_id=sid,
        )
        if sid == "ais-auto-remediation" or (sid == "ais-soc-triage" and rng.random() < 0.5):
            a.aws_iam_user = f"agent-{a.name}"
        if sid == "ais-code-review-agent" and (sid, team) not in gh_bot_teams:
            gh_bot_teams.add((sid, team))
            a.github_login = f"code-review-{team}[bot]"
            a.github_id = int(rng.integers(190_000_000, 200_000_000))
        a.ip = (
            f"10.{200 + TEAM_SLUGS.index(team) % 50}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"
        )
        identities.append(a)

    # ---- standalone API keys
    llm_systems = [s for s in systems if s.channel == "litellm" and s.users != "humans"]
    oai_systems = [s for s in systems if s.channel == "openai"]
    for i in range(sc.api_keys):
        r = rng.random()
        if r < 0.45:
            sysm = llm_systems[int(rng.integers(0, len(llm_systems)))]
            teams = sorted(sysm.team_adoption)
            team = teams[int(rng.integers(0, len(teams)))]
            k = Identity(
                id=f"key-{i + 1:0{w}d}",
                kind="api_key",
                name="",
                owner_team=team,
                created=u.epoch(sysm.team_adoption[team]),
                ai_system_id=sysm.id,
            )
            k.name = f"litellm key {sysm.tag.removeprefix('app:')} {team} #{i + 1}"
        elif r < 0.70:
            sysm = oai_systems[int(rng.integers(0, len(oai_systems)))]
            teams = sorted(sysm.team_adoption)
            team = teams[int(rng.integers(0, len(teams)))]
            k = Identity(
                id=f"key-{i + 1:0{w}d}",
                kind="api_key",
                name="",
                owner_team=team,
                created=u.epoch(sysm.team_adoption[team]),
                ai_system_id=sysm.id,
            )
            k.name = f"openai service key {sysm.id.removeprefix('ais-')} {team} #{i + 1}"
        else:
            team = TEAM_SLUGS[int(rng.integers(0, len(TEAM_SLUGS)))]
            vendor = ("datadog", "pagerduty", "sentry", "circleci")[int(rng.integers(0, 4))]
            k = Identity(
                id=f"key-{i + 1:0{w}d}",
                kind="api_key",
                name=f"{vendor} api key {team} #{i + 1}",
                owner_team=team,
                created=start - int(rng.integers(10, 900)) * u.DAY,
            )
            k.other_refs.append(f"{vendor[:3]}_{u.rand_alnum(rng, 1, 20)[0]}")
        if rng.random() < 0.04:
            k.status = "retired"
        octet = 150 + TEAM_SLUGS.index(k.owner_team)
        k.ip = f"10.{octet}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"
        identities.append(k)

    # ---- keys and credentials
    human_llm = {s.id for s in systems if s.channel == "litellm" and s.users == "humans"}
    human_oai = {s.id for s in systems if s.channel == "openai" and s.users == "humans"}
    shadow_llm_teams = {t for s in shadow if s.channel == "litellm" for t in s.scope}
    team_llm = {t: any(t in sys_by_id[sid].team_adoption for sid in human_llm) for t in TEAM_SLUGS}
    team_oai = {t: any(t in sys_by_id[sid].team_adoption for sid in human_oai) for t in TEAM_SLUGS}
    for ident in identities:
        if ident.kind == "human":
            if team_llm[ident.owner_team] or ident.owner_team in shadow_llm_teams:
                ident.litellm_key = u.rand_hex(rng, 1, 32)[0]
                ident.litellm_alias = f"{ident.email.split('@')[0]}-personal"
            if team_oai[ident.owner_team]:
                ident.openai_key_id = "key_" + u.rand_alnum(rng, 1, 16)[0]
            else:
                ident.openai_user_id = ""
            if ident.github_login and rng.random() < 0.2:
                ident.github_tokens.append(u.b64_sha256_like(rng, 1)[0])
        elif ident.kind == "service":
            sysm = sys_by_id.get(ident.ai_system_id)
            if sysm is not None and sysm.channel == "litellm":
                ident.litellm_key = u.rand_hex(rng, 1, 32)[0]
                ident.litellm_alias = ident.name
            elif sysm is not None and sysm.channel == "openai":
                ident.openai_key_id = "key_" + u.rand_alnum(rng, 1, 16)[0]
            if ident.github_login:
                ident.github_tokens.append(u.b64_sha256_like(rng, 1)[0])
        elif ident.kind == "agent":
            ident.litellm_key = u.rand_hex(rng, 1, 32)[0]
            ident.litellm_alias = ident.name
        elif ident.kind == "api_key":
            sysm = sys_by_id.get(ident.ai_system_id)
            if sysm is not None and sysm.channel == "litellm":
                ident.litellm_key = u.rand_hex(rng, 1, 32)[0]
                ident.litellm_alias = f"{sysm.tag.removeprefix('app:')}-{ident.id}"
            elif sysm is not None:
                ident.openai_key_id = "key_" + u.rand_alnum(rng, 1, 16)[0]
        # AWS access keys
        if ident.aws_iam_user:
            nkeys = 0
            if ident.kind == "human":
                nkeys = 1 if rng.random() < 0.45 else 0
            elif ident.kind in ("service", "agent"):
                nkeys = 1 if rng.random() < 0.85 else 2
            for _ in range(nkeys):
                static = bool(rng.random() < (0.25 if ident.kind != "human" else 0.12))
                jitter = int(rng.integers(0, u.DAY))
                if static and ident.kind == "agent":  # issued when the agent was set up, never rotated
                    created = ident.created + u.DAY + jitter
                elif static:
                    created = start - int(rng.integers(400, 1800)) * u.DAY + jitter
                else:
                    created = max(end - int(rng.integers(2, 85)) * u.DAY + jitter, ident.created + u.DAY)
                kid = "AKIA" + u.rand_upper32(rng, 1, 16)[0]
                ident.aws_keys.append(
                    AccessKey(kid, min(created, end - u.DAY), bool(rng.random() < 0.95), static)
                )
            if ident.kind != "agent" and any(k.static for k in ident.aws_keys):
                ident.created = min(ident.created, min(k.created for k in ident.aws_keys) - 10 * u.DAY)
        # secrets (never a value, only the ARN)
        if ident.kind in ("service", "agent") and rng.random() < 0.6:
            sname = f"prod/{ident.owner_team}/{ident.name}/api-token"
            ident.secret_arns.append(
                f"arn:aws:secretsmanager:us-east-1:{AWS_ACCOUNT}:secret:{sname}-{u.rand_alnum(rng, 1, 6)[0]}"
            )

    # ---- deliberate unknown keys (in no IAM source, no inventory)
    unknown = [
        UnknownKey("litellm", u.rand_hex(rng, 1, 32)[0], "ais-copilot", 1.2),
        UnknownKey("litellm", u.rand_hex(rng, 1, 32)[0], "ais-data-analyst", 1.0),
        UnknownKey("litellm", u.rand_hex(rng, 1, 32)[0], "shadow-slide-wizard", 0.8),
        UnknownKey("litellm", u.rand_hex(rng, 1, 32)[0], "", 0.8),
        UnknownKey("openai", "key_" + u.rand_alnum(rng, 1, 16)[0], "ais-chat-assistant", 1.5),
        UnknownKey("openai", "key_" + u.rand_alnum(rng, 1, 16)[0], "ais-doc-assistant", 1.0),
    ]

    return World(
        seed=seed,
        scale_name=scale,
        scale=sc,
        as_of=as_of,
        months=months,
        month_starts=ms,
        start=start,
        end=end,
        teams=TEAM_SLUGS,
        team_headcount=team_headcount,
        systems=systems,
        shadow=shadow,
        identities=identities,
        unknown_keys=unknown,
    )
