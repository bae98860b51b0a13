"""The demo organisation: teams, people, non-human identities, AI systems, keys and adoption dates.

Everything every dataset writer needs to stay consistent with every other one is decided here, once, from
the seed. Writers only add events on top of this world.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo.org import AWS_ACCOUNT, ENGINEERING, SCALES, TEAM_SLUGS, TEAMS, Scale
from roi_ledger_demo.people import FIRST_NAMES, LAST_NAMES, PURPOSES, AccessKey, Identity, UnknownKey
from roi_ledger_demo.systems import AISystem, registered_systems, shadow_systems


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

    systems = registered_systems()
    shadow = shadow_systems()
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
    combos = len(FIRST_NAMES) * len(LAST_NAMES)
    picks = rng.permutation(combos)[: sc.people] if sc.people <= combos else rng.integers(0, combos, sc.people)
    human_team = np.repeat(np.array(TEAM_SLUGS), counts)
    rng.shuffle(human_team)
    okta_ids = u.rand_alnum(rng, sc.people, 17)
    openai_uids = u.rand_alnum(rng, sc.people, 24)
    used_emails: dict[str, int] = {}
    used_gh: dict[str, int] = {}
    for i in range(sc.people):
        first = FIRST_NAMES[int(picks[i]) // len(LAST_NAMES)]
        last = LAST_NAMES[int(picks[i]) % len(LAST_NAMES)]
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
            h.retired = max(created + 60 * u.DAY, start + int(rng.integers(30, max(31, hist_days - 20))) * u.DAY)
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
    shadow_owner = next(i for i in identities if i.kind == "service" and i.owner_team == "data" and not i.ai_system_id)
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
        a.ip = f"10.{200 + TEAM_SLUGS.index(team) % 50}.{int(rng.integers(0, 256))}.{int(rng.integers(1, 255))}"
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
                ident.aws_keys.append(AccessKey(kid, min(created, end - u.DAY), bool(rng.random() < 0.95), static))
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
