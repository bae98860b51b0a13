"""Anthropic's direct API: the Messages usage report, the cost report, and the Claude Code usage report.

Why they agree: the cost report is priced from the usage report as written (the cost writer reads the usage
files back), so per day and workspace ``amount`` = tokens x list price exactly (uncached input, output,
cache reads, 5-minute cache writes; web searches at 1 cent each). Claude Code's records are also the
"Claude Code" workspace's rows of the usage report (a user who signs in with their Console account gets an API
key of their own in that workspace, as Claude Code creates one; the CI actor's come with its key), and its
``estimated_cost`` is the same tokens at the same prices, rounded to the cent.

The organization: a few API keys of service accounts of the platform, data and support teams (each in a
workspace; the inventory declares the Platform and Support workspaces as AI systems' and not the Data one),
Console usage without a key in the default workspace (``null``), and Claude
Code adopted by the first teams that adopted the Anthropic-based code review agent (not before Claude Code
existed). Models follow their release dates (the newest Sonnet and Haiku of the day).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.provider_costs import decimal_text
from roi_ledger_demo.world import World

CLAUDE_CODE_RELEASE = dt.date(2025, 2, 24)
TOKEN_TYPES = (
    ("uncached_input_tokens", "Input Tokens"),
    ("output_tokens", "Output Tokens"),
    ("cache_creation.ephemeral_5m_input_tokens", "Input Tokens, Cache Write"),
    ("cache_read_input_tokens", "Input Tokens, Cache Hit"),
)
WEB_SEARCH_CENTS = Decimal(1)
"""$10 per 1,000 searches."""


@dataclass(frozen=True)
class ClaudeModel:
    id: str
    name: str
    """The display name the cost report's descriptions use."""
    family: str
    released: dt.date
    prices: tuple[Decimal, Decimal, Decimal, Decimal]
    """List prices in USD per million tokens, in ``TOKEN_TYPES`` order."""


#: id, display name (as the cost descriptions write it), release day, list prices in USD per million tokens
#: (uncached input, output, 5-minute cache write, cache read).
_TABLE = """
claude-3-haiku-20240307     Claude_Haiku_3     2024-03-13  0.25  1.25  0.30  0.03
claude-3-5-sonnet-20240620  Claude_Sonnet_3.5  2024-06-20  3     15    3.75  0.30
claude-3-5-sonnet-20241022  Claude_Sonnet_3.5  2024-10-22  3     15    3.75  0.30
claude-3-5-haiku-20241022   Claude_Haiku_3.5   2024-11-04  0.80  4     1     0.08
claude-3-7-sonnet-20250219  Claude_Sonnet_3.7  2025-02-24  3     15    3.75  0.30
claude-sonnet-4-20250514    Claude_Sonnet_4    2025-05-22  3     15    3.75  0.30
claude-sonnet-4-5-20250929  Claude_Sonnet_4.5  2025-09-29  3     15    3.75  0.30
claude-haiku-4-5-20251001   Claude_Haiku_4.5   2025-10-15  1     5     1.25  0.10
"""
MODELS: dict[str, ClaudeModel] = {
    mid: ClaudeModel(
        mid, name.replace("_", " "), name.split("_")[1].lower(), dt.date.fromisoformat(day), tuple(map(Decimal, p))
    )
    for mid, name, day, *p in (line.split() for line in _TABLE.strip().splitlines())
}


def current(family: str, day: dt.date) -> ClaudeModel:
    """The newest model of a family released by ``day`` (the oldest one before any was)."""
    fam = sorted((m for m in MODELS.values() if m.family == family), key=lambda m: m.released)
    out = [m for m in fam if m.released <= day]
    return out[-1] if out else fam[0]


def cents(model: str, tokens: tuple[int, int, int, int]) -> Decimal:
    """Exact list-price cost in cents of (uncached input, output, 5-minute cache write, cache read) tokens."""
    prices = MODELS[model].prices
    return sum((Decimal(t) * p for t, p in zip(tokens, prices, strict=True)), Decimal(0)).scaleb(-4)


@dataclass(frozen=True)
class ApiKey:
    id: str | None
    """``None``: usage without a key (the Console's)."""
    name: str
    workspace: str | None
    start: dt.date
    rate: float
    """Mean requests a day."""
    sonnet_share: float
    cache: bool = False
    web_search: bool = False


def workspace_ids(world: World) -> dict[str, str]:
    """The named workspaces' ids (the default workspace has none: ``null``)."""
    r = u.pyrng(world.seed, "ai/anthropic/workspaces")
    return {name: "wrkspc_01" + u.py_alnum(r, 22) for name in ("Data", "Support", "Claude Code", "Platform")}


def user_key_id(world: World, email: str) -> str:
    """The API key Claude Code creates in its workspace for a user who signs in with their Console account."""
    return "apikey_01" + u.py_alnum(u.pyrng(world.seed, f"ai/anthropic/claude_code_keys/{email}"), 22)


def keys(world: World) -> list[ApiKey]:
    """The organization's API keys (a service account's name each), and the Console's key-less usage."""
    r = u.pyrng(world.seed, "ai/anthropic/keys")
    ws = workspace_ids(world)
    out = []
    for team, workspace, rate, share, cache, web in (
        ("platform", ws["Platform"], 180.0, 1.0, True, False),
        ("data", ws["Data"], 400.0, 0.2, False, False),
        ("support", ws["Support"], 250.0, 0.5, True, True),
    ):
        svcs = [i for i in world.identities if i.kind == "service" and i.owner_team == team and i.status == "active"]
        svcs = [i for i in svcs if not i.ai_system_id] or svcs  # not a backend of another AI system
        name = svcs[r.randrange(len(svcs))].name if svcs else f"{team}-service"
        first = world.first_adoption(team) or world.month_starts[0]
        start = min(first + dt.timedelta(days=r.randint(0, 30)), world.as_of - dt.timedelta(days=30))
        key_id = "apikey_01" + u.py_alnum(r, 22)
        out.append(ApiKey(key_id, name, workspace, start, rate * world.scale.events, share, cache, web))
    out.append(ApiKey(None, "console", None, world.month_starts[0], 3.0, 1.0))
    cc = claude_code_start(world)
    out.append(ApiKey("apikey_01" + u.py_alnum(r, 22), "claude-code-ci", ws["Claude Code"], cc, 0.0, 1.0))
    return out


# -------------------------------------------------------------------------------------------- Claude Code


@dataclass(frozen=True)
class Actor:
    email: str | None
    key_name: str | None
    start: int
    end: int
    terminal: str
    level: float


def claude_code_start(world: World) -> dt.date:
    """The day Claude Code is adopted: after the first code review agent adoption, not before it existed."""
    review = min(world.system("ais-code-review-agent").team_adoption.values())
    floor = min(CLAUDE_CODE_RELEASE, world.as_of - dt.timedelta(days=60))
    return min(max(review + dt.timedelta(days=21), floor), world.as_of - dt.timedelta(days=10))


def actors(world: World) -> list[Actor]:
    """Engineers of the first two teams on the code review agent (about 30 % of them), and the CI key."""
    r = u.pyrng(world.seed, "ai/claude_code_usage/actors")
    adoption = world.system("ais-code-review-agent").team_adoption
    teams = sorted(adoption, key=lambda t: (adoption[t], t))[:2]
    base = u.epoch(claude_code_start(world))
    out = [Actor(None, "claude-code-ci", base + 7 * u.DAY, world.end, "ssh-session", 3.0)]
    for h in world.humans():
        take, lag, term, level = r.random(), r.randint(0, 40), r.choice(("vscode", "iTerm.app", "tmux")), r.random()
        if h.owner_team not in teams or take > 0.3:
            continue
        start = max(base + lag * u.DAY, h.created + 7 * u.DAY)
        end = h.retired if h.retired is not None else world.end
        if start < end - u.DAY:
            out.append(Actor(h.email, None, start, end, term, 0.5 + 1.5 * level))
    return out


def organization_id(world: World) -> str:
    return str(uuid.UUID(int=u.pyrng(world.seed, "ai/anthropic/organization").getrandbits(128), version=4))


def _cc_record(r, a: Actor, day: dt.date, terminal: str, org: str) -> dict:
    """One Claude Code record: an actor's day on one terminal; its estimated cost is its tokens' list price."""
    sessions = 1 + int(r.expovariate(1 / (1.5 * a.level)))
    added = int(sessions * r.lognormvariate(4.2, 0.7))
    commits = sum(r.random() < 0.4 for _ in range(sessions))
    breakdown = []
    for model, mu, share in ((current("sonnet", day), 9.1, 1.0), (current("haiku", day), 7.5, 0.4)):
        if r.random() >= share:
            continue
        tin = int(sessions * r.lognormvariate(mu, 0.5))
        tok = (tin, int(tin * r.uniform(0.2, 0.4)), int(tin * r.uniform(0.8, 1.8)), int(tin * r.uniform(6, 14)))
        amount = int(cents(model.id, tok).quantize(Decimal(1), ROUND_HALF_UP))
        tokens = {"cache_creation": tok[2], "cache_read": tok[3], "input": tok[0], "output": tok[1]}
        breakdown.append({"estimated_cost": {"amount": amount, "currency": "USD"}, "model": model.id, "tokens": tokens})
    edits = max(0, added // 25)
    tools = {
        "edit_tool": {"accepted": edits, "rejected": int(edits * r.uniform(0, 0.2))},
        "multi_edit_tool": {"accepted": edits // 4, "rejected": int(edits * r.uniform(0, 0.05))},
        "notebook_edit_tool": {"accepted": 0, "rejected": 0},
        "write_tool": {"accepted": sessions // 2, "rejected": int(r.random() < 0.2)},
    }
    actor = (
        {"email_address": a.email, "type": "user_actor"}
        if a.email
        else {"api_key_name": a.key_name, "type": "api_actor"}
    )
    core = {
        "commits_by_claude_code": commits,
        "lines_of_code": {"added": added, "removed": int(added * r.uniform(0.1, 0.5))},
    }
    core |= {"num_sessions": sessions, "pull_requests_by_claude_code": sum(r.random() < 0.3 for _ in range(commits))}
    rec = {"actor": actor, "core_metrics": core, "customer_type": "api", "date": f"{day}T00:00:00Z", "is_remote": False}
    rec |= {"model_breakdown": breakdown, "organization_id": org, "terminal_type": terminal, "tool_actions": tools}
    return rec | {"subscription_type": None}


def claude_code_records(world: World, m0: dt.date) -> list[dict]:
    """One month's Claude Code records (the same for the Claude Code writer and the usage report)."""
    r = u.pyrng(world.seed, f"ai/claude_code_usage/{m0:%Y-%m}")
    org = organization_id(world)
    cast = actors(world)
    out = []
    day = m0
    while day < u.next_month(m0) and day <= world.as_of:
        t = u.epoch(day)
        for a in cast:
            on = r.random() < ((0.95 if a.key_name else 0.4) if day.weekday() < 5 else 0.03)
            if not on or not a.start <= t < a.end:
                continue
            out.append(_cc_record(r, a, day, a.terminal, org))
            if a.email and r.random() < 0.12:  # the same day on a second terminal: a row of its own
                out.append(_cc_record(r, a, day, "vscode" if a.terminal != "vscode" else "tmux", org))
        day += dt.timedelta(days=1)
    return out


def _page(data: list) -> bytes:
    return u.dumps({"data": data, "has_more": False, "next_page": None}).encode("utf-8")


def write_claude_code(world: World, out_dir: Path, carried: Carried) -> dict:
    """One file per month: the month's single-day responses saved together (``data``, no more pages)."""
    files = records = 0
    for m0 in world.month_starts:
        recs = claude_code_records(world, m0)
        if recs:
            u.write_bytes(out_dir / f"claude_code_usage_{m0:%Y-%m}.json", _page(recs))
            files, records = files + 1, records + len(recs)
    return {"files": files, "records": records}


# ----------------------------------------------------------------------------------------- usage report


def _usage_row(key: str | None, workspace: str | None, model: str, tok: tuple[int, int, int, int], web: int) -> dict:
    """A usage item grouped by model, workspace, API key and service tier (the other dimensions null)."""
    return {
        "account_id": None,
        "api_key_id": key,
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": tok[2]},
        "cache_read_input_tokens": tok[3],
        "context_window": None,
        "inference_geo": None,
        "model": model,
        "output_tokens": tok[1],
        "server_tool_use": {"web_search_requests": web},
        "service_account_id": None,
        "service_tier": "standard",
        "uncached_input_tokens": tok[0],
        "workspace_id": workspace,
    }


def _key_rows(rng, key: ApiKey, day: dt.date) -> list[dict]:
    """A key's rows of one day: its requests split between the day's Sonnet and Haiku."""
    n = int(rng.poisson(key.rate * (1.0 if day.weekday() < 5 else 0.5)))
    rows = []
    for model, share in ((current("sonnet", day), key.sonnet_share), (current("haiku", day), 1 - key.sonnet_share)):
        k = int(rng.binomial(n, share))
        if k == 0:
            continue
        tin = int(k * rng.lognormal(7.2, 0.4))
        cached = key.cache and model.family == "sonnet"
        tok = (
            tin,
            int(k * rng.lognormal(5.8, 0.4)),
            int(k * rng.uniform(100, 600)) * cached,
            int(tin * rng.uniform(1, 4)) * cached,
        )
        web = int(rng.poisson(0.05 * k)) if key.web_search else 0
        rows.append(_usage_row(key.id, key.workspace, model.id, tok, web))
    return rows


def _claude_code_rows(world: World, recs: list[dict], ci: ApiKey) -> dict[str, list[dict]]:
    """The Claude Code workspace's usage rows by day: each user's tokens (their own key) and the CI key's, per
    model."""
    sums: dict[tuple[str, str | None, str], list[int]] = {}
    for rec in recs:
        actor = rec["actor"]
        key = ci.id if actor["type"] == "api_actor" else user_key_id(world, actor["email_address"])
        for mb in rec["model_breakdown"]:
            t = mb["tokens"]
            acc = sums.setdefault((rec["date"][:10], key, mb["model"]), [0, 0, 0, 0])
            for i, v in enumerate((t["input"], t["output"], t["cache_creation"], t["cache_read"])):
                acc[i] += v
    out: dict[str, list[dict]] = {}
    for (day, key, model), tok in sorted(sums.items(), key=lambda x: (x[0][0], x[0][1] or "", x[0][2])):
        out.setdefault(day, []).append(_usage_row(key, ci.workspace, model, tuple(tok), 0))
    return out


def write_usage(world: World, out_dir: Path, carried: Carried) -> dict:
    """``usage_report/messages`` with 1-day buckets grouped by model, workspace, API key and service tier:
    one page file per month, every day of the month (an empty day is a bucket with no results)."""
    all_keys = keys(world)
    ci = next(k for k in all_keys if k.name == "claude-code-ci")  # its usage is Claude Code's CI actor's
    files = records = 0
    for m0 in world.month_starts:
        rng = u.rng_for(world.seed, f"ai/anthropic_usage/{m0:%Y-%m}")
        cc = _claude_code_rows(world, claude_code_records(world, m0), ci)
        buckets = []
        day = m0
        while day < u.next_month(m0) and day <= world.as_of:
            rows = [row for k in all_keys if k is not ci and k.start <= day for row in _key_rows(rng, k, day)]
            rows += cc.get(day.isoformat(), [])
            t = u.epoch(day)
            buckets.append({"ending_at": u.iso_z(t + u.DAY), "results": rows, "starting_at": u.iso_z(t)})
            records += len(rows)
            day += dt.timedelta(days=1)
        if any(b["results"] for b in buckets):
            u.write_bytes(out_dir / f"anthropic_usage_messages_{m0:%Y-%m}.json", _page(buckets))
            files += 1
    return {"files": files, "records": records}


# ------------------------------------------------------------------------------------------- cost report


def _cost_rows(results: list[dict]) -> list[dict]:
    """A bucket's usage results priced, grouped by workspace and description (the API's group-by)."""
    tokens: dict[tuple[str, str], list[int]] = {}
    web: dict[str, int] = {}
    for x in results:
        ws = x["workspace_id"] or ""
        acc = tokens.setdefault((ws, x["model"]), [0, 0, 0, 0])
        vals = (x["uncached_input_tokens"], x["output_tokens"], x["cache_creation"]["ephemeral_5m_input_tokens"])
        for i, v in enumerate((*vals, x["cache_read_input_tokens"])):
            acc[i] += v
        web[ws] = web.get(ws, 0) + x["server_tool_use"]["web_search_requests"]
    rows = []
    for (ws, model), tok in sorted(tokens.items()):
        m = MODELS[model]
        for (token_type, label), n, price in zip(TOKEN_TYPES, tok, m.prices, strict=True):
            if n:
                rows.append(_cost_row(Decimal(n) * price / 10_000, ws, f"{m.name} Usage - {label}", m.id, token_type))
    for ws, n in sorted(web.items()):
        if n:
            rows.append(_cost_row(n * WEB_SEARCH_CENTS, ws, "Web Search Usage", None, None))
    return rows


def _cost_row(amount: Decimal, ws: str, description: str, model: str | None, token_type: str | None) -> dict:
    """A cost item; the fields parsed from the description are null on non-token costs (web search)."""
    tokens = model is not None
    return {
        "amount": decimal_text(amount),
        "context_window": "0-200k" if tokens else None,
        "cost_type": "tokens" if tokens else "web_search",
        "currency": "USD",
        "description": description,
        "inference_geo": "not_available" if tokens else None,
        "model": model,
        "service_tier": "standard" if tokens else None,
        "token_type": token_type,
        "workspace_id": ws or None,
    }


def write_cost(world: World, out_dir: Path, carried: Carried) -> dict:
    """``cost_report`` pages (1-day buckets grouped by workspace and description), one file per month,
    priced from the usage writer's files (it runs after it): usage x list price, to the 1/10,000 cent."""
    files = records = 0
    for p in sorted((out_dir.parent / "anthropic_usage").glob("anthropic_usage_messages_*.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        buckets = [b | {"results": _cost_rows(b["results"])} for b in doc["data"]]
        month = p.stem.rsplit("_", 1)[1]
        u.write_bytes(out_dir / f"anthropic_cost_report_{month}.json", _page(buckets))
        files, records = files + 1, records + sum(len(b["results"]) for b in buckets)
    return {"files": files, "records": records}
