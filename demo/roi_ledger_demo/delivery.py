"""Delivery writers: Four Keys changes / deployments / incidents per engineering team, and work items.

Effects built in (so difference-in-differences has something to find): after a team adopts the coding
assistant it commits more and deploys more often; after it adopts the code review agent approvals come
faster and fewer deployments fail; after the first AI adoption of a team its toil tickets drop and many
tickets carry the ``ai-assisted`` label.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from roi_ledger_demo import _util as u
from roi_ledger_demo import anthropic, cursor
from roi_ledger_demo.carried import Carried, FourKeys
from roi_ledger_demo.org import CODING_AGENT_GA, COPILOT_AGENT_LOGIN, ENGINEERING, TEAMS, team_repos
from roi_ledger_demo.world import World


def _adopt(world: World, sid: str, team: str) -> int | None:
    d = world.system(sid).team_adoption.get(team)
    return u.epoch(d) if d else None


def _team_logins(world: World, team: str, github: bool) -> list[str]:
    out = []
    for i in world.identities:
        if i.kind == "human" and i.owner_team == team and i.status == "active":
            if github and i.github_login:
                out.append(i.github_login)
            elif not github:
                out.append(i.github_login or i.email)
    return out


def four_keys(world: World, carried: Carried) -> FourKeys:
    """The history, simulated once per generation (the first delivery writer keeps it in ``carried``)."""
    if carried.four_keys is None:
        carried.four_keys = _simulate(world)
        _copilot_agent_authors(world, carried.four_keys)
        _ai_co_author_trailers(world, carried.four_keys)
    return carried.four_keys


def _copilot_agent_authors(world: World, fk: FourKeys) -> None:
    """About one pull request in 15 of a team on Copilot, from the coding agent's general availability and the
    team's adoption, is the coding agent's: its author is the agent's bot (its own stream, so nothing else the
    history holds changes)."""
    r = u.pyrng(world.seed, "delivery/copilot_agent_authors")
    for rows in fk.changes_by_month.values():
        for row in rows:
            adopted = _adopt(world, "ais-copilot", row[5])
            if row[1] != "pull_request" or adopted is None:
                continue
            t = int(dt.datetime.fromisoformat(row[3]).timestamp())
            if t >= max(adopted, u.epoch(CODING_AGENT_GA)) and r.random() < 1 / 15:
                row[6] = COPILOT_AGENT_LOGIN


#: The commit trailers the AI tools write (seed ai_co_authors has their addresses).
CLAUDE_TRAILER = "Co-Authored-By: Claude <noreply@anthropic.com>"
CURSOR_TRAILER = "Co-authored-by: Cursor Agent <cursoragent@cursor.com>"
#: Synthetic commit subjects (no personal data).
SUBJECTS = (
    "Fix flaky retry in the checkout client",
    "Add pagination to the orders endpoint",
    "Refactor the settlement batch job",
    "Bump the HTTP client and pin its TLS settings",
    "Handle an empty cart in the pricing service",
    "Document the deployment runbook",
)


def _ai_co_author_trailers(world: World, fk: FourKeys) -> None:
    """Every change gets a commit message in its metadata (a subject); about one change in four of a Claude Code
    user, from their start, carries Claude Code's co-author trailer, and one in six of a Cursor member
    Cursor's agent trailer (their own stream: nothing else the history holds changes)."""
    r = u.pyrng(world.seed, "delivery/ai_co_author_trailers")
    login_of = {i.email: i.github_login for i in world.identities if i.email and i.github_login}
    tools: dict[str, list[tuple[int, str, float]]] = {}
    for actor in anthropic.actors(world):
        if actor.email in login_of:
            tools.setdefault(login_of[actor.email], []).append((actor.start, CLAUDE_TRAILER, 0.25))
    for m in cursor.members(world):
        if m.who.github_login:
            tools.setdefault(m.who.github_login, []).append((m.start, CURSOR_TRAILER, 1 / 6))
    for rows in fk.changes_by_month.values():
        for row in rows:
            meta = json.loads(row[8]) if row[8] else {}
            message = SUBJECTS[r.randrange(len(SUBJECTS))]
            t = int(dt.datetime.fromisoformat(row[3]).timestamp())
            for start, trailer, p in tools.get(row[6], ()):
                if r.random() < p and t >= start:
                    message += "\n\n" + trailer
                    break
            row[8] = u.dumps(meta | {"message": message})


def _simulate(world: World) -> FourKeys:
    ev = world.rate_mult
    changes_by_month: dict[dt.date, list[list]] = {m: [] for m in world.month_starts}
    deploys_by_month: dict[dt.date, list[dict]] = {m: [] for m in world.month_starts}
    incidents: list[list] = []
    remediation = _adopt(world, "ais-auto-remediation", "sre")
    month_of = {}
    for m in world.month_starts:
        month_of[(m.year, m.month)] = m
    for t_i, team in enumerate(ENGINEERING):
        rng = u.rng_for(world.seed, f"delivery/{team}")
        authors = _team_logins(world, team, github=True)
        if not authors:
            continue
        repos = team_repos(team)
        copilot = _adopt(world, "ais-copilot", team)
        review = _adopt(world, "ais-code-review-agent", team)
        base_rate = 0.3 * len(authors) * ev
        pending: list[tuple[int, int, str]] = []  # approved_at, commit time, change id
        dep_n = 0
        day = world.start
        while day < world.end:
            date = u.to_date(day)
            weekday = date.weekday() < 5
            boost = 1.25 if (copilot and day >= copilot + 21 * u.DAY) else 1.0
            n = int(rng.poisson(base_rate * boost * (1.0 if weekday else 0.08)))
            if n:
                times = np.sort(day + 8 * 3600 + rng.integers(0, 11 * 3600, size=n))
                ids = u.rand_hex(rng, n, 20)
                for t, cid in zip(times, ids, strict=True):
                    t = int(t)
                    fast = review is not None and t >= review
                    delay = float(rng.lognormal(np.log(6.0 if fast else 18.0), 0.7)) * 3600
                    approved = t + int(delay)
                    author = authors[int(rng.integers(0, len(authors)))]
                    is_pr = rng.random() < 0.85
                    row = [
                        "github",
                        "pull_request" if is_pr else "push",
                        cid,
                        u.iso_z(t),
                        repos[int(rng.integers(0, len(repos)))],
                        team,
                        author,
                        u.iso_z(approved) if (is_pr and approved < world.end) else "",
                        u.dumps({"pr_number": int(rng.integers(100, 9000))}) if is_pr else "",
                    ]
                    changes_by_month[month_of[(date.year, date.month)]].append(row)
                    pending.append((approved if is_pr else t, t, cid))
            # deployments: business hours, more often after the coding assistant is adopted
            p_dep = 0.8 if (copilot and day >= copilot + 21 * u.DAY) else 0.45
            if weekday and rng.random() < p_dep:
                n_dep = 1 + int(rng.poisson(0.015 * len(authors) * ev))
                for k in range(n_dep):
                    t_dep = day + 10 * 3600 + int((k + rng.random()) * 8 * 3600 / n_dep)
                    if t_dep >= world.end:
                        break
                    ready = [p for p in pending if p[0] <= t_dep]
                    if not ready:
                        continue
                    pending = [p for p in pending if p[0] > t_dep]
                    dep_n += 1
                    ready.sort(key=lambda p: p[1])
                    cids = [p[2] for p in ready]
                    dep_id = f"{team}-{dep_n:06d}"
                    deploys_by_month[month_of[(date.year, date.month)]].append(
                        {
                            "source": "argocd" if t_i % 3 == 0 else "github",
                            "deploy_id": dep_id,
                            "time_created": u.iso_z(t_dep),
                            "main_commit": cids[-1],
                            "changes": cids,
                            "repo": repos[0],
                            "team": team,
                            "environment": "production",
                        }
                    )
                    cfr = 0.07 if (review and t_dep >= review) else 0.16
                    if rng.random() < cfr:
                        created = t_dep + int(rng.lognormal(np.log(3.0), 0.8) * 3600)
                        fast = remediation is not None and created >= remediation
                        ttr = float(rng.lognormal(np.log(1.6 if fast else 4.5), 0.7)) * 3600
                        resolved = created + int(ttr)
                        if created >= world.end:
                            continue
                        culprit = [cids[int(rng.integers(0, len(cids)))]]
                        incidents.append(
                            [
                                "pagerduty",
                                f"PD-{team.upper()}-{len(incidents) + 1:05d}",
                                u.iso_z(created),
                                u.iso_z(resolved) if resolved < world.end else "",
                                ";".join(culprit),
                                repos[0],
                                team,
                                f"Elevated error rate after deploy {dep_id}",
                            ]
                        )
            # incidents without a change (infrastructure)
            if rng.random() < 0.02 * (ev * len(authors) / 35) ** 0.5:
                created = day + int(rng.integers(0, u.DAY))
                if created < world.end:
                    fast = remediation is not None and created >= remediation
                    resolved = created + int(float(rng.lognormal(np.log(1.6 if fast else 4.5), 0.7)) * 3600)
                    incidents.append(
                        [
                            "pagerduty",
                            f"PD-{team.upper()}-{len(incidents) + 1:05d}",
                            u.iso_z(created),
                            u.iso_z(resolved) if resolved < world.end else "",
                            "",
                            repos[2],
                            team,
                            "Node pool capacity exhausted",
                        ]
                    )
            day += u.DAY
    return FourKeys(changes_by_month, deploys_by_month, incidents)


def write_changes(world: World, out_dir: Path, carried: Carried) -> dict:
    changes_by_month = four_keys(world, carried).changes_by_month
    ch_header = (
        "source",
        "event_type",
        "change_id",
        "time_created",
        "repo",
        "team",
        "author",
        "approved_at",
        "metadata",
    )
    n_ch = 0
    for m, rows in changes_by_month.items():
        rows.sort(key=lambda r: (r[3], r[2]))
        u.write_bytes(out_dir / f"changes_{m:%Y-%m}.csv", u.csv_bytes(ch_header, rows))
        n_ch += len(rows)
    return {"files": len(changes_by_month), "records": n_ch}


def write_deployments(world: World, out_dir: Path, carried: Carried) -> dict:
    deploys_by_month = four_keys(world, carried).deploys_by_month
    n_dep = 0
    csv_month = world.month_starts[-1] if len(world.month_starts) > 1 else None
    for m, deps in deploys_by_month.items():
        deps.sort(key=lambda r: (r["time_created"], r["deploy_id"]))
        n_dep += len(deps)
        if m == csv_month:
            header = (
                "source",
                "deploy_id",
                "time_created",
                "main_commit",
                "changes",
                "repo",
                "team",
                "environment",
            )
            rows = [[d[h] if h != "changes" else ";".join(d[h]) for h in header] for d in deps]
            u.write_bytes(out_dir / f"deployments_{m:%Y-%m}.csv", u.csv_bytes(header, rows))
        else:
            u.write_bytes(out_dir / f"deployments_{m:%Y-%m}.jsonl", u.jsonl_bytes(deps))
    return {"files": len(deploys_by_month), "records": n_dep}


def write_incidents(world: World, out_dir: Path, carried: Carried) -> dict:
    incidents = sorted(four_keys(world, carried).incidents, key=lambda r: (r[2], r[1]))
    u.write_bytes(
        out_dir / "incidents.csv",
        u.csv_bytes(
            ("source", "incident_id", "time_created", "time_resolved", "changes", "repo", "team", "title"),
            incidents,
        ),
    )
    return {"files": 1, "records": len(incidents)}


_TYPES = (("story", 0.35), ("bug", 0.2), ("task", 0.12), ("toil", 0.28), ("chore", 0.05))


def write_work_items(world: World, out_dir: Path, carried: Carried) -> dict:
    ev = world.rate_mult
    rows: list[list] = []
    for slug, prefix, _, eng in TEAMS:
        rng = u.rng_for(world.seed, f"delivery/work_items/{slug}")
        people = _team_logins(world, slug, github=False)
        if not people:
            continue
        first = world.first_adoption(slug)
        adopted = u.epoch(first) if first else None
        weekly = 0.9 * len(people) * ev
        items = []
        week = world.start
        while week < world.end:
            after = adopted is not None and week >= adopted + 28 * u.DAY
            for typ, share in _TYPES:
                rate = weekly * share
                if typ == "toil":
                    rate *= (0.55 if after else 1.0) * (1.0 if eng else 1.4)
                n = int(rng.poisson(rate))
                for _ in range(n):
                    created = week + int(rng.integers(0, 7 * u.DAY))
                    if created >= world.end:
                        continue
                    ai = after and rng.random() < (0.55 if typ == "toil" else 0.35)
                    effort = float(rng.lognormal(np.log({"toil": 3.0, "story": 10.0, "bug": 5.0}.get(typ, 2.0)), 0.6))
                    if ai:
                        effort *= 0.6
                    cycle = float(rng.lognormal(np.log({"story": 6.0, "bug": 3.0}.get(typ, 1.5)), 0.8)) * u.DAY
                    resolved = created + int(cycle)
                    done = resolved < world.end
                    labels = [lab for lab in (typ if typ == "toil" else "", "ai-assisted" if ai else "") if lab]
                    if typ == "toil" and rng.random() < 0.3:
                        labels.append("ops")
                    items.append(
                        [
                            created,
                            typ,
                            resolved if done else None,
                            people[int(rng.integers(0, len(people)))] if rng.random() < 0.95 else "",
                            u.money(str(round(effort, 2))) if done else "",
                            str(int(rng.choice([1, 2, 3, 5, 8]))) if typ == "story" else "",
                            "Done" if done else ("In Progress" if rng.random() < 0.6 else "To Do"),
                            ";".join(labels),
                        ]
                    )
            week += 7 * u.DAY
        items.sort(key=lambda r: r[0])
        for k, it in enumerate(items):
            created, typ, resolved, assignee, effort, points, status, labels = it
            t_style = u.iso_z if k % 2 else u.sql_ts
            rows.append(
                [
                    f"{prefix}-{k + 1}",
                    typ.capitalize() if k % 11 == 0 else typ,
                    t_style(created),
                    t_style(resolved) if resolved else "",
                    assignee,
                    slug,
                    effort,
                    points,
                    status,
                    labels,
                ]
            )
    header = (
        "key",
        "type",
        "created",
        "resolved",
        "assignee",
        "team",
        "effort_hours",
        "story_points",
        "status",
        "labels",
    )
    u.write_bytes(out_dir / "work_items.csv", u.csv_bytes(header, rows))
    return {"files": 1, "records": len(rows)}
