"""GitHub Copilot: seat assignments, per-user daily usage metrics and the organization's day totals.

Why they agree: one seat plan (who holds a seat, from when, through which team, who went idle) and one
activity calendar (the days each holder used Copilot) come from streams of their own (``ai/copilot/plan``,
``ai/copilot/activity``) that the seat and users writers both derive from, so ``last_activity_at`` is a day
the users report has a line for. The org writer reads the users files back and sums them (each day's org
totals equal its user lines) and takes its pull requests from the delivery history (``carried.four_keys``,
read only) plus one per coding-agent session of the user lines.

Seats go to the people (with a GitHub login) of the teams that adopted the coding assistant
(``ais-copilot``), from their team's adoption date: most through their team's GitHub team
(``assigning_team``), the others directly; a few late requesters (seat created in the last 30 days), a few
idle seats (no use for more than 60 days; two never used), one of them pending cancellation at the next
billing cycle (a scheduled date, after the as-of day by design), one active user whose IDE sends no
telemetry (``last_activity_at`` null); retired people lose their seat. Seat snapshots: the as-of day and
every third month end before it.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo import delivery
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.org import CODING_AGENT_GA, COPILOT_AGENT_LOGIN, ORG
from roi_ledger_demo.people import Identity
from roi_ledger_demo.world import World

ORG_ID = 72_305_118
"""The organization's numeric id (an integer in the seats API, a string in the metrics reports)."""
ENTERPRISE_ID = "48213"
IDES = ("vscode", "vscode", "vscode", "intellij", "intellij", "neovim", "visualstudio")
LANGS = ("typescript", "python", "go", "java", "kotlin", "sql", "rust", "csharp")
#: The activity counters of every line and breakdown row, in the order of a counts tuple (the language rows
#: stop before the last one).
COUNTERS = (
    "code_acceptance_activity_count",
    "code_generation_activity_count",
    "loc_added_sum",
    "loc_deleted_sum",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "user_initiated_interaction_count",
)
#: The breakdowns of a line and the dimensions the org level sums them by.
BREAKDOWNS = {
    "totals_by_feature": ("feature",),
    "totals_by_ide": ("ide",),
    "totals_by_language_feature": ("language", "feature"),
    "totals_by_language_model": ("language", "model"),
    "totals_by_model_feature": ("model", "feature"),
}
CHAT_FEATURES = ("chat_panel_ask_mode", "chat_panel_agent_mode", "agent_edit")
#: Copilot's default chat model from the day it became the default.
CHAT_MODELS = (
    (dt.date(2000, 1, 1), "gpt-4o"),
    (dt.date(2025, 4, 14), "gpt-4.1"),
    (dt.date(2025, 9, 29), "claude-sonnet-4.5"),
)
AGENT_MODE_GA = dt.date(2025, 2, 24)


@dataclass
class Seat:
    who: Identity
    team: str
    created: int  # epoch seconds of the grant
    ends: int  # epoch seconds the seat goes (retirement), else world.end
    via_team: bool
    idle_from: int | None = None  # the holder's last day of use; == created: never used
    pending_cancel: bool = False
    telemetry_off: bool = False
    ide: str = "vscode"
    langs: tuple[str, str] = ("python", "sql")
    level: float = 1.0


def plan(world: World) -> list[Seat]:
    """Who holds a Copilot seat, since when and how: the same list for every writer (its own stream)."""
    adoption = world.system("ais-copilot").team_adoption
    rng = u.rng_for(world.seed, "ai/copilot/plan")
    team_mode = {t: bool(rng.random() < 0.7) for t in sorted(adoption)}
    seats: list[Seat] = []
    waiting: list[Identity] = []
    for h in world.humans():
        if not h.github_login or h.owner_team not in adoption:
            continue
        take, via, lag, t = rng.random() < 0.9, rng.random() < 0.8, rng.random(), int(rng.integers(8 * 3600, 18 * 3600))
        lo = max(u.epoch(adoption[h.owner_team]), h.created + 7 * u.DAY)
        ends = h.retired if h.retired is not None else world.end
        via = via and team_mode[h.owner_team]
        created = lo + int(lag * (3 if via else 45)) * u.DAY + t
        if not take and h.retired is None and lo < world.end - 35 * u.DAY:
            waiting.append(h)  # asks for a seat late (below)
        elif take and created < ends - u.DAY:
            seats.append(Seat(h, h.owner_team, created, ends, via))
    for i in rng.permutation(len(waiting))[: max(2, round(0.012 * len(seats)))]:
        created = world.end - int(rng.integers(2, 29)) * u.DAY + int(rng.integers(9 * 3600, 17 * 3600))
        seats.append(Seat(waiting[int(i)], waiting[int(i)].owner_team, created, world.end, False))
    for s in seats:
        s.ide = IDES[int(rng.integers(0, len(IDES)))]
        a, b = rng.choice(len(LANGS), size=2, replace=False)
        s.langs = (LANGS[int(a)], LANGS[int(b)])
        s.level = float(rng.lognormal(0.0, 0.5))
    _mark_idle(world, seats, rng)
    return seats


def _mark_idle(world: World, seats: list[Seat], rng: np.random.Generator) -> None:
    """Idle seats (last use more than 60 days ago; the first two never used), the third one pending
    cancellation, and one active holder whose IDE sends no telemetry."""
    old = [s for s in seats if s.ends == world.end and s.created < world.end - 120 * u.DAY]
    picks = [old[int(i)] for i in rng.permutation(len(old))]
    n_idle = max(3, round(0.03 * len(seats)))
    for k, s in enumerate(picks[:n_idle]):
        span = max(1, (world.end - 65 * u.DAY - s.created) // u.DAY - 14)
        s.idle_from = s.created if k < 2 else s.created + (14 + int(rng.integers(0, span))) * u.DAY
    if len(picks) > n_idle:
        picks[2].pending_cancel = True
        picks[n_idle].telemetry_off = True


def _day_index(world: World, t: int) -> int:
    return (t - world.start) // u.DAY


def _date(world: World, index: int) -> dt.date:
    return world.month_starts[0] + dt.timedelta(days=int(index))


def activity(world: World, seats: list[Seat]) -> list[np.ndarray]:
    """Per seat, the days (indices from the history's first day) its holder used Copilot: after the grant,
    up to the seat's end or the holder's idle day; mostly weekdays."""
    rng = u.rng_for(world.seed, "ai/copilot/activity")
    n = _day_index(world, world.end)
    index = np.arange(n)
    weekday = np.array([_date(world, d).weekday() < 5 for d in range(n)])
    out = []
    for s in seats:
        draw = rng.random(n)
        stop = _day_index(world, min(s.ends, s.idle_from if s.idle_from is not None else s.ends) + u.DAY - 1)
        p = np.where(weekday, min(0.8, 0.38 * s.level**0.5), 0.04)
        out.append(np.nonzero((draw < p) & (index > _day_index(world, s.created)) & (index < stop))[0])
    return out


# ------------------------------------------------------------------------------------------------- seats


def _partition(day: dt.date) -> dict:
    """The housekeeping fields every report line ends with."""
    return {"etl_id": "green", "day_partition": day.isoformat(), "entity_id_partition": ORG_ID}


def _node_id(kind: str, num: int) -> str:
    return base64.b64encode(f"04:{kind}{num}".encode()).decode("ascii")


_USER_LINKS = "followers following{/other_user} gists{/gist_id} starred{/owner}{/repo} subscriptions orgs repos"
_USER_LINKS += " events{/privacy} received_events"


def _simple_user(login: str, uid: int) -> dict:
    """The seat's ``assignee``: a Simple User with all its API links."""
    api = f"https://api.github.com/users/{login}"
    rec = {"login": login, "id": uid, "node_id": _node_id("User", uid)}
    rec |= {"avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4", "gravatar_id": "", "url": api}
    rec["html_url"] = f"https://github.com/{login}"
    for link in _USER_LINKS.split():
        name = link.split("{")[0]
        rec[f"{'organizations' if name == 'orgs' else name}_url"] = f"{api}/{link}"
    return rec | {"type": "User", "site_admin": False}


def _team(team: str) -> dict:
    """The seat's ``assigning_team``: the team's GitHub team (``<team>-eng``), a stable id per team."""
    tid = 9_120_000 + 7919 * (sum(team.encode()) % 997)
    api = f"https://api.github.com/organizations/{ORG_ID}/team/{tid}"
    rec = {"id": tid, "node_id": _node_id("Team", tid), "url": f"https://api.github.com/teams/{tid}"}
    rec |= {"html_url": f"https://github.com/orgs/{ORG}/teams/{team}-eng", "name": f"{team.capitalize()} Engineering"}
    rec |= {"slug": f"{team}-eng", "description": f"Engineers of the {team} team.", "privacy": "closed"}
    rec |= {"notification_setting": "notifications_enabled", "permission": "pull"}
    rec |= {"members_url": f"{api}/members{{/member}}", "repositories_url": f"{api}/repos", "parent": None}
    return rec | {"type": "organization", "organization_id": ORG_ID}


def editor(ide: str, day: dt.date) -> tuple[str, str, str]:
    """(IDE version, plugin, plugin version) in use on a day: one release a month."""
    m = (day.year - 2024) * 12 + day.month
    if ide == "vscode":
        return f"1.{84 + m}.{m % 3}", "copilot-chat", f"0.{12 + m}.{m % 4}"
    if ide == "intellij":
        return f"{day.year}.{1 + (day.month - 1) // 4}.{m % 4 + 1}", "copilot-intellij", f"1.5.{15 + m}.{7000 + 31 * m}"
    if ide == "neovim":
        return f"0.{9 + m // 12}.{m % 5}", "copilot.vim", f"1.{30 + m}.0"
    return f"17.{9 + m // 6}.{m % 7}", "copilot", f"1.{200 + 3 * m}.0"


def _seat_record(world: World, s: Seat, days: np.ndarray, at: int, final: bool) -> dict:
    """One seat as the API shows it at ``at`` (epoch seconds): its last use is its last day of use before."""
    seen = days[days < _day_index(world, at)]
    last_day = _date(world, seen[-1]) if len(seen) else None
    last_t = min(u.epoch(last_day) + 9 * 3600 + s.created % 29_000, at - 60) if last_day else None
    rec: dict = {"created_at": u.iso_offset(s.created), "updated_at": u.iso_offset(s.created)}
    rec["pending_cancellation_date"] = u.next_month(world.as_of).isoformat() if s.pending_cancel and final else None
    rec["last_activity_at"] = rec["last_activity_editor"] = None
    if last_day is not None and not s.telemetry_off:
        ver, plugin, pver = editor(s.ide, last_day)
        name = {"intellij": "JetBrains-IU", "visualstudio": "VisualStudio"}.get(s.ide, s.ide)
        rec["last_activity_at"] = u.iso_offset(last_t)
        rec["last_activity_editor"] = f"{name}/{ver}/{plugin}/{pver}"
    auth = last_t - 5400 if last_t is not None else (None if s.idle_from == s.created else s.created + 1800)
    rec["last_authenticated_at"] = u.iso_offset(min(auth, at - 60)) if auth is not None else None
    rec["plan_type"] = "business"
    rec["assignee"] = _simple_user(s.who.github_login, s.who.github_id)
    return rec | ({"assigning_team": _team(s.team)} if s.via_team else {})


def write_seats(world: World, out_dir: Path, carried: Carried) -> dict:
    """A ``GET /orgs/{org}/copilot/billing/seats`` snapshot (its pages as one) per snapshot day; the
    cancellation is pending only in the as-of day's snapshot (it was asked for in this cycle)."""
    seats = plan(world)
    pairs = sorted(zip(seats, activity(world, seats), strict=True), key=lambda x: x[0].created)
    snaps = [u.add_months(world.month_starts[-1], 1 - k) - dt.timedelta(days=1) for k in range(3, world.months, 3)]
    files = records = 0
    for day in [*sorted(snaps), world.as_of]:
        at = u.epoch(day) + u.DAY
        rows = [_seat_record(world, s, d, at, day == world.as_of) for s, d in pairs if s.created < at <= s.ends]
        if rows:
            doc = {"total_seats": len(rows), "seats": rows}
            u.write_bytes(out_dir / f"copilot_seats_{day}.json", u.dumps(doc).encode("utf-8"))
            files, records = files + 1, records + len(rows)
    return {"files": files, "records": records}


# ------------------------------------------------------------------------------------------ users report


def _features(r, s: Seat, day: dt.date) -> dict[str, tuple[int, ...]]:
    """The features a holder used on one day, each with its counters (``COUNTERS`` order)."""
    gen = max(1, int(r.lognormvariate(3.3, 0.6) * s.level))
    acc = int(gen * r.uniform(0.18, 0.36))
    f = {"code_completion": (acc, gen, int(acc * r.uniform(1.2, 2.4)), 0, gen * 2 + r.randint(0, gen), 0, 0)}
    if r.random() < min(0.8, 0.4 * s.level):
        k = 1 + int(r.expovariate(0.3))
        g = k + r.randint(0, 2 * k)
        a = int(g * r.uniform(0.2, 0.5))
        f["chat_panel_ask_mode"] = (a, g, a * r.randint(2, 8), 0, g * r.randint(4, 8), 0, k)
    if r.random() < (0.35 if day >= AGENT_MODE_GA else 0.08) * min(s.level, 1.5):
        k = 1 + int(r.expovariate(0.35))
        g = k + r.randint(0, k)
        added = int(r.lognormvariate(4.0, 0.8))
        f["chat_panel_agent_mode"] = (int(g * r.uniform(0.3, 0.7)), g, 0, 0, 0, 0, k)
        f["agent_edit"] = (0, 0, added, int(added * r.uniform(0.05, 0.4)), 0, 0, 0)
    return f


def _row(counts: tuple[int, ...], **dims: object) -> dict:
    """A breakdown row (``counts`` may stop before the interaction count: language rows have none)."""
    return dims | dict(zip(COUNTERS, counts, strict=False))


def _add(*rows: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sum(c) for c in zip(*rows, strict=True)) if rows else (0,) * 7


def _breakdowns(f: dict[str, tuple[int, ...]], s: Seat, day: dt.date, model: str, stamp: str) -> dict:
    """The ``totals_by_*`` arrays of a user line: IDE, language x feature (completions split over the
    holder's two languages), language x model and model x feature (chat features only)."""
    main, other = s.langs
    langs = []
    for name, c in f.items():
        first = tuple(int(x * 0.7) for x in c) if name == "code_completion" else c
        langs.append(_row(first[:6], feature=name, language=main))
        if name == "code_completion":
            langs.append(_row(tuple(x - y for x, y in zip(c, first, strict=True))[:6], feature=name, language=other))
    chat = {n: c for n, c in f.items() if n in CHAT_FEATURES}
    ver, plugin, pver = editor(s.ide, day)
    ide = _row(
        _add(*f.values()),
        ide=s.ide,
        last_known_ide_version={"ide_version": ver, "sampled_at": stamp},
        last_known_plugin_version={"plugin": plugin, "plugin_version": pver, "sampled_at": stamp},
    )
    return {
        "totals_by_feature": [_row(c, feature=n) for n, c in f.items()],
        "totals_by_ide": [ide],
        "totals_by_language_feature": langs,
        "totals_by_language_model": [_row(_add(*chat.values())[:6], language=main, model=model)] if chat else [],
        "totals_by_model_feature": [_row(c, feature=n, model=model) for n, c in chat.items()],
    }


def user_line(r, s: Seat, day: dt.date) -> dict:
    """One ``users-1-day`` NDJSON line (organization scope); the line's counters are its features' sums."""
    f = _features(r, s, day)
    total = _add(*f.values())
    model = [m for since, m in CHAT_MODELS if since <= day][-1]
    stamp = u.iso_ms_z((u.epoch(day) + r.randint(8 * 3600, 18 * 3600)) * 1000)
    agent = "chat_panel_agent_mode" in f
    coding_agent = day >= CODING_AGENT_GA and r.random() < 0.03 * s.level
    phase = min(3, int(s.level * 2))
    cohort = {"phase": f"Phase {phase}" if phase else "No Cohort", "phase_number": phase, "version": "v1"}
    line: dict = dict(zip(COUNTERS, total, strict=True)) | _breakdowns(f, s, day, model, stamp)
    line |= {
        "ai_adoption_phase": cohort,
        "ai_credits_used": (total[6] + 8 * coding_agent) / 4,
        "day": day.isoformat(),
        "enterprise_id": ENTERPRISE_ID,
        "organization_id": str(ORG_ID),
        "used_agent": agent,
        "used_chat": "chat_panel_ask_mode" in f or agent,
        "used_cli": False,
        "used_copilot_cloud_agent": coding_agent,
        "used_copilot_code_review_active": True if r.random() < 0.15 else None,
        "used_copilot_code_review_passive": None,
        "used_copilot_coding_agent": coding_agent,
        "user_id": s.who.github_id,
        "user_login": s.who.github_login,
    }
    return dict(sorted(line.items())) | _partition(day)


def write_users(world: World, out_dir: Path, carried: Carried) -> dict:
    """``users-1-day`` lines, one per seat holder and day of use, the month's daily downloads in one
    gzipped NDJSON file (a tenth of the plain size: these are the demo's bulkiest AI lines)."""
    seats = plan(world)
    by_month: dict[dt.date, list[tuple[int, str, int]]] = defaultdict(list)
    for i, days in enumerate(activity(world, seats)):
        for d in days:
            by_month[_date(world, d).replace(day=1)].append((int(d), seats[i].who.github_login, i))
    files = records = 0
    for m0, items in sorted(by_month.items()):
        r = u.pyrng(world.seed, f"ai/github_copilot_usage/{m0:%Y-%m}")
        lines = [user_line(r, seats[i], _date(world, d)) for d, _, i in sorted(items)]
        u.write_gzip(out_dir / f"copilot_usage_users_1_day_{m0:%Y-%m}.ndjson.gz", u.jsonl_bytes(lines))
        files, records = files + 1, records + len(lines)
    return {"files": files, "records": records}


# ----------------------------------------------------------------------------------------- org day totals


def _read_users(folder: Path) -> dict[str, list[dict]]:
    """The users writer's lines, by day."""
    by_day: dict[str, list[dict]] = defaultdict(list)
    for p in sorted(folder.glob("copilot_usage_users_1_day_*.ndjson.gz")):
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            for text in fh:
                rec = json.loads(text)
                by_day[rec["day"]].append(rec)
    return by_day


def _sum_rows(lines: list[dict], field: str, dims: tuple[str, ...]) -> list[dict]:
    """One breakdown of the day's user lines summed by its dimensions (no ``last_known_*`` at org level)."""
    acc: dict[tuple, dict] = {}
    for line in lines:
        for row in line[field]:
            key = tuple(row[d] for d in dims)
            tgt = acc.get(key)
            if tgt is None:
                acc[key] = {k: v for k, v in row.items() if not k.startswith("last_known")}
            else:
                for k in COUNTERS:
                    if k in tgt:
                        tgt[k] += row[k]
    return [acc[k] for k in sorted(acc)]


def _pull_requests(world: World, carried: Carried, by_day: dict[str, list[dict]]) -> dict[str, dict]:
    """Per day: every team's pull requests of the delivery history (approved = merged; those its coding agent
    authored by Copilot), a third of those of teams on Copilot reviewed by Copilot, and one pull request per
    coding-agent session of the user lines."""
    fk = carried.four_keys or delivery.four_keys(world, Carried())  # a fresh Carried: the shared one stays as is
    adoption = world.system("ais-copilot").team_adoption
    r = u.pyrng(world.seed, "ai/github_copilot_org_usage/pull_requests")
    prs: list[tuple[int, int | None, bool, bool]] = []  # created, merged (epoch s), by Copilot, reviewed by Copilot
    for rows in fk.changes_by_month.values():
        for row in sorted(rows, key=lambda x: (x[3], x[2])):
            if row[1] == "pull_request":
                t0 = int(dt.datetime.fromisoformat(row[3]).timestamp())
                t1 = int(dt.datetime.fromisoformat(row[7]).timestamp()) if row[7] else None
                on = row[5] in adoption and t0 >= u.epoch(adoption[row[5]])
                prs.append((t0, t1, row[6] == COPILOT_AGENT_LOGIN, on and r.random() < 0.3))
    for day, lines in sorted(by_day.items()):
        for _ in range(sum(x["used_copilot_coding_agent"] for x in lines)):
            t0 = u.epoch(dt.date.fromisoformat(day)) + r.randint(9 * 3600, 17 * 3600)
            t1 = t0 + int(r.lognormvariate(5.3, 0.7) * 60)
            prs.append((t0, t1 if t1 < world.end and r.random() < 0.7 else None, True, False))
    created: dict[str, list] = defaultdict(list)
    merged: dict[str, list] = defaultdict(list)
    for pr in prs:
        created[u.to_date(pr[0]).isoformat()].append(pr)
        if pr[1] is not None:
            merged[u.to_date(pr[1]).isoformat()].append(pr)
    return {day: _pr_day(created[day], merged[day]) for day in set(created) | set(merged)}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _pr_day(created: list[tuple], merged: list[tuple]) -> dict:
    """The ``pull_requests`` object of one day (medians null when nothing qualifying was merged)."""
    minutes = [((p[1] - p[0]) / 60, p[2], p[3]) for p in merged]
    reviewed = sum(p[3] for p in created)
    return {
        "copilot_suggestions_by_comment_type": [],
        "median_minutes_to_merge": _median([m for m, _, _ in minutes]),
        "median_minutes_to_merge_copilot_authored": _median([m for m, by, _ in minutes if by]),
        "median_minutes_to_merge_copilot_reviewed": _median([m for m, _, rev in minutes if rev]),
        "total_created": len(created),
        "total_created_by_copilot": sum(p[2] for p in created),
        "total_merged": len(merged),
        "total_merged_created_by_copilot": sum(p[2] for p in merged),
        "total_merged_reviewed_by_copilot": sum(p[3] for p in merged),
        "total_reviewed": len(merged) + reviewed,
        "total_reviewed_by_copilot": reviewed,
    }


def _active(users: dict[str, tuple[set, set, set]], day: dt.date, window: int, kind: int = 0) -> int:
    """Distinct users of the trailing ``window`` days: any use (kind 0), chat (1) or agent mode (2)."""
    days = [(day - dt.timedelta(days=k)).isoformat() for k in range(window)]
    return len(set().union(*(users[d][kind] for d in days if d in users)))


def org_line(by_day: dict[str, list[dict]], users: dict[str, tuple[set, set, set]], day: dt.date, prs: dict) -> dict:
    """One ``organization-1-day`` line: the day's user lines summed, active users, pull requests."""
    lines = by_day.get(day.isoformat(), [])
    line: dict = {k: sum(x[k] for x in lines) for k in COUNTERS}
    for field, dims in BREAKDOWNS.items():
        line[field] = _sum_rows(lines, field, dims)
    line |= {
        "daily_active_copilot_code_review_users": sum(bool(x["used_copilot_code_review_active"]) for x in lines),
        "daily_active_users": len(lines),
        "day": day.isoformat(),
        "enterprise_id": ENTERPRISE_ID,
        "monthly_active_agent_users": _active(users, day, 28, 2),
        "monthly_active_chat_users": _active(users, day, 28, 1),
        "monthly_active_users": _active(users, day, 28),
        "organization_id": str(ORG_ID),
        "pull_requests": prs.get(day.isoformat()) or _pr_day([], []),
        "weekly_active_users": _active(users, day, 7),
    }
    return dict(sorted(line.items())) | _partition(day)


def write_org_usage(world: World, out_dir: Path, carried: Carried) -> dict:
    """``organization-1-day`` lines from the first day of use to the as-of day, one gzipped NDJSON file per month;
    reads the users writer's files (it runs after it) and the delivery history (read only)."""
    by_day = _read_users(out_dir.parent / "github_copilot_usage")
    if not by_day:
        return {"files": 0, "records": 0}
    prs = _pull_requests(world, carried, by_day)
    users = {
        d: tuple({x["user_id"] for x in lines if not flag or x[flag]} for flag in ("", "used_chat", "used_agent"))
        for d, lines in by_day.items()
    }
    months: dict[dt.date, list[dict]] = defaultdict(list)
    day = dt.date.fromisoformat(min(by_day))
    while day <= world.as_of:
        months[day.replace(day=1)].append(org_line(by_day, users, day, prs))
        day += dt.timedelta(days=1)
    for m0, lines in months.items():
        u.write_gzip(out_dir / f"copilot_usage_organization_1_day_{m0:%Y-%m}.ndjson.gz", u.jsonl_bytes(lines))
    return {"files": len(months), "records": sum(len(x) for x in months.values())}
