"""Cursor: the Admin API's daily usage per member, and its usage-based events with their costs.

Why they agree: one activity model per month (its own stream, ``ai/cursor/activity/<month>``) decides every
member's day; the daily writer writes its counters and the events writer one event per usage-based request
of it, so a member's ``usageBasedReqs`` of a day is the number of their events that day. A request is
usage-based once the member's month has used the plan's 500 included requests, so only the heaviest users
of a month have events. Costs are exact decimals in US cents: the model's list price of the tokens
(``tokenUsage.totalCents``) plus Cursor's token rate (``cursorTokenFee``) is ``chargedCents``.

Who: the engineers (about 40 %) of the engineering teams that never adopted Copilot (the first two), from a
team adoption date drawn in the first half of the history; retired people stop at their retirement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.org import ENGINEERING
from roi_ledger_demo.people import Identity
from roi_ledger_demo.provider_costs import decimal_text, dumps_exact, num
from roi_ledger_demo.world import World

CURSOR_FLOOR = dt.date(2023, 3, 1)
INCLUDED_REQUESTS = 500
FEE_PER_MTOK = Decimal("0.25")
"""Cursor's token rate, USD per million tokens (all token kinds)."""
PAGE_SIZE = 1000
#: Cursor's model labels from their release: (since, Claude label, GPT label).
LABELS = (
    (dt.date(2000, 1, 1), "claude-3.5-sonnet", "gpt-4o"),
    (dt.date(2025, 2, 24), "claude-3.7-sonnet", "gpt-4o"),
    (dt.date(2025, 5, 22), "claude-4-sonnet", "gpt-4.1"),
    (dt.date(2025, 8, 7), "claude-4-sonnet", "gpt-5"),
    (dt.date(2025, 9, 29), "claude-4.5-sonnet", "gpt-5"),
)
#: USD per million tokens: input, output, cache write, cache read.
PRICES = {
    "claude": tuple(Decimal(x) for x in ("3", "15", "3.75", "0.30")),
    "gpt-4o": tuple(Decimal(x) for x in ("2.50", "10", "0", "1.25")),
    "gpt-4.1": tuple(Decimal(x) for x in ("2", "8", "0", "0.50")),
    "gpt-5": tuple(Decimal(x) for x in ("1.25", "10", "0", "0.125")),
}
VERSIONS = (
    (dt.date(2000, 1, 1), "0.42"),
    (dt.date(2025, 1, 1), "0.45"),
    (dt.date(2025, 6, 4), "1.0"),
    (dt.date(2025, 10, 29), "2.0"),
)
EXTENSIONS = (".ts", ".tsx", ".kt", ".swift", ".go", ".py")


@dataclass(frozen=True)
class Member:
    who: Identity
    user_id: int
    start: int
    end: int
    level: float
    claude: bool
    """Prefers the Claude model (else the GPT one)."""
    ext: str


def members(world: World) -> list[Member]:
    """The team's Cursor members (the same for both writers: their own stream)."""
    r = u.pyrng(world.seed, "ai/cursor/members")
    copilot = world.system("ais-copilot").team_adoption
    teams = [t for t in ENGINEERING if t not in copilot][:2] or [ENGINEERING[-1]]
    half = max(1, (world.as_of - world.month_starts[0]).days // 2)
    adopt = {}
    for t in teams:
        day = max(world.month_starts[min(2, world.months - 1)], CURSOR_FLOOR) + dt.timedelta(days=r.randint(0, half))
        adopt[t] = u.epoch(min(day, world.as_of - dt.timedelta(days=45)))
    ids = r.sample(range(40_000, 99_999), len(world.humans()))
    out = []
    for h, uid in zip(world.humans(), ids, strict=True):
        take, lag, level, claude, ext = (
            r.random(),
            r.randint(0, 20),
            r.lognormvariate(0, 0.6),
            r.random(),
            r.choice(EXTENSIONS),
        )
        if h.owner_team not in adopt or take > 0.4:
            continue
        start = max(adopt[h.owner_team], h.created + 7 * u.DAY) + lag * u.DAY
        end = h.retired if h.retired is not None else world.end
        if start < end - u.DAY:
            out.append(Member(h, uid, start, end, level, claude < 0.7, ext))
    return out


def _label(m: Member, day: dt.date) -> str:
    row = [x for x in LABELS if x[0] <= day][-1]
    return row[1] if m.claude else row[2]


def _day_row(r, m: Member, day: dt.date, used: int) -> dict:
    """A member's active day; ``used``: the month's requests before it (the plan includes 500)."""
    composer = int(r.lognormvariate(1.5, 0.6) * m.level)
    chat = int(r.lognormvariate(1.2, 0.6) * m.level)
    agent = int(r.lognormvariate(1.3, 0.7) * m.level) if day >= dt.date(2024, 11, 24) else 0
    total = composer + chat + agent
    included = max(0, min(total, INCLUDED_REQUESTS - used))
    shown = int(r.lognormvariate(5.0, 0.5) * m.level)
    tabs = int(shown * r.uniform(0.55, 0.8))
    applies = composer + agent + r.randint(0, 5)
    accepts = int(applies * r.uniform(0.75, 0.95))
    added = tabs + applies * r.randint(5, 25)
    acc_added = int(added * r.uniform(0.6, 0.8))
    deleted = int(added * r.uniform(0.2, 0.5))
    version = [v for since, v in VERSIONS if since <= day][-1]
    return {
        "userId": m.user_id,
        "day": day.isoformat(),
        "date": u.epoch(day) * 1000,
        "isActive": True,
        "totalLinesAdded": added,
        "totalLinesDeleted": deleted,
        "acceptedLinesAdded": acc_added,
        "acceptedLinesDeleted": int(deleted * r.uniform(0.5, 0.8)),
        "totalApplies": applies,
        "totalAccepts": accepts,
        "totalRejects": applies - accepts,
        "totalTabsShown": shown,
        "totalTabsAccepted": tabs,
        "composerRequests": composer,
        "chatRequests": chat,
        "agentRequests": agent,
        "cmdkUsages": int(r.lognormvariate(1.0, 0.7)),
        "subscriptionIncludedReqs": included,
        "apiKeyReqs": 0,
        "usageBasedReqs": total - included,
        "bugbotUsages": 0,
        "mostUsedModel": _label(m, day) if total else None,
        "applyMostUsedExtension": m.ext if applies else None,
        "tabMostUsedExtension": m.ext,
        "clientVersion": f"{version}.{(day.toordinal() // 9) % 12}",
        "email": m.who.email,
    }


def month_activity(world: World, cast: list[Member], m0: dt.date) -> list[tuple[Member, dict]]:
    """Every member's active days of a month (mostly weekdays), in day order."""
    r = u.pyrng(world.seed, f"ai/cursor/activity/{m0:%Y-%m}")
    used = [0] * len(cast)
    out = []
    day = m0
    while day < u.next_month(m0) and day <= world.as_of:
        t = u.epoch(day)
        for i, m in enumerate(cast):
            on = r.random() < (0.7 if day.weekday() < 5 else 0.05)
            if on and m.start <= t < m.end:
                row = _day_row(r, m, day, used[i])
                used[i] += row["composerRequests"] + row["chatRequests"] + row["agentRequests"]
                out.append((m, row))
        day += dt.timedelta(days=1)
    return out


def _period(world: World, m0: dt.date, inclusive: bool) -> dict:
    end = u.epoch(min(u.next_month(m0), world.as_of + dt.timedelta(days=1))) * 1000
    return {"startDate": u.epoch(m0) * 1000, "endDate": end - 1 if inclusive else end}


def write_daily(world: World, out_dir: Path, carried: Carried) -> dict:
    """``POST /teams/daily-usage-data`` responses (active members' rows), one file per month."""
    cast = members(world)
    files = records = 0
    for m0 in world.month_starts:
        rows = [row for _, row in month_activity(world, cast, m0)]
        if rows:
            doc = {"data": rows, "period": _period(world, m0, inclusive=False)}
            u.write_bytes(out_dir / f"cursor_daily_usage_{m0:%Y-%m}.json", u.dumps(doc).encode("utf-8"))
            files, records = files + 1, records + len(rows)
    return {"files": files, "records": records}


def _event(r, m: Member, row: dict, t_ms: int) -> dict:
    """One usage-based request: its tokens at the model's list price plus the token rate, in cents."""
    label = row["mostUsedModel"]
    family = "claude" if label.startswith("claude") else label
    tok = [int(r.lognormvariate(8.5, 0.8)), int(r.lognormvariate(6.2, 0.7)), 0, int(r.lognormvariate(9.0, 0.9))]
    if family == "claude" and r.random() < 0.4:
        tok[2] = int(r.lognormvariate(8.8, 0.7))
    token_cents = sum((Decimal(n) * p for n, p in zip(tok, PRICES[family], strict=True)), Decimal(0)).scaleb(-4)
    fee = (Decimal(sum(tok)) * FEE_PER_MTOK).scaleb(-4)
    usage = {"inputTokens": tok[0], "outputTokens": tok[1], "cacheWriteTokens": tok[2], "cacheReadTokens": tok[3]}
    max_mode = r.random() < 0.05
    return {
        "timestamp": str(t_ms),
        "userEmail": m.who.email,
        "conversationId": u.py_uuid(r),
        "model": label,
        "kind": "Usage-based",
        "maxMode": max_mode,
        "requestsCosts": num("2" if max_mode else "1"),
        "isTokenBasedCall": True,
        "isChargeable": True,
        "isHeadless": False,
        "tokenUsage": usage | {"totalCents": num(decimal_text(token_cents))},
        "chargedCents": num(decimal_text(token_cents + fee)),
        "cursorTokenFee": num(decimal_text(fee)),
        "isFreeBugbot": False,
    }


def _included_event(r, m: Member, row: dict, t_ms: int) -> dict:
    """One request the plan includes: the API lists it beside the billed ones, with no token usage and no charge
    (a team's events are continuous, so the dataset's freshness says when its exports stop)."""
    return {
        "timestamp": str(t_ms),
        "userEmail": m.who.email,
        "conversationId": u.py_uuid(r),
        "model": row["mostUsedModel"],
        "kind": "Included in Business",
        "maxMode": False,
        "requestsCosts": num("1"),
        "isTokenBasedCall": False,
        "isChargeable": False,
        "isHeadless": False,
        "chargedCents": num("0"),
        "isFreeBugbot": False,
    }


def write_events(world: World, out_dir: Path, carried: Carried) -> dict:
    """``POST /teams/filtered-usage-events`` responses, newest first, pages of 1,000, one file a page."""
    cast = members(world)
    files = records = 0
    for m0 in world.month_starts:
        r = u.pyrng(world.seed, f"ai/cursor_usage_events/{m0:%Y-%m}")
        events = []
        for m, row in month_activity(world, cast, m0):
            # distinct milliseconds: a member's event is keyed by its time, model and kind; the day's included
            # requests come first, the usage-based ones once the month's plan is used up
            n_included, n_billed = row["subscriptionIncludedReqs"], row["usageBasedReqs"]
            times = sorted(r.sample(range(8 * 3600_000, 19 * 3600_000), n_included + n_billed))
            for i, t in enumerate(times):
                make = _included_event if i < n_included else _event
                events.append(make(r, m, row, row["date"] + t))
        events.sort(key=lambda e: (int(e["timestamp"]), e["userEmail"]), reverse=True)
        pages = [events[i : i + PAGE_SIZE] for i in range(0, len(events), PAGE_SIZE)]
        for k, page in enumerate(pages, start=1):
            nav = {"numPages": len(pages), "currentPage": k, "pageSize": PAGE_SIZE}
            nav |= {"hasNextPage": k < len(pages), "hasPreviousPage": k > 1}
            doc = {"totalUsageEventsCount": len(events), "pagination": nav, "usageEvents": page}
            doc["period"] = _period(world, m0, inclusive=True)
            name = f"cursor_usage_events_{m0:%Y-%m}" + (f"_p{k}" if len(pages) > 1 else "")
            u.write_bytes(out_dir / f"{name}.json", dumps_exact(doc).encode("utf-8"))
            files, records = files + 1, records + len(page)
    return {"files": files, "records": records}
