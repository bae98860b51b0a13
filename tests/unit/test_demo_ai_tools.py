"""The demo's AI tools (``ai/*``): deterministic, landing without quarantine, consistent with the world and
with each other (Copilot org totals = user sums, Anthropic cost = usage x list price, OpenAI costs = usage x
seed price but for one over-billed month), and never after the as-of day."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import json
import multiprocessing as mp
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.datasets import DATASETS, TEMPORAL_TYPES
from orchestration.ingest import engine
from orchestration.ingest.contract import TimeWindow
from orchestration.settings import DBT_PROJECT_DIR
from roi_ledger_demo import generate
from roi_ledger_demo.anthropic import MODELS
from roi_ledger_demo.copilot import COUNTERS
from roi_ledger_demo.openai_endpoints import SEED_UNIT, UNIT_FIELD
from roi_ledger_demo.world import build_world

AS_OF = dt.date(2025, 6, 15)  # mid-month: the last month is partial
MONTHS = 12
START = dt.datetime(2024, 7, 1)
END = dt.datetime(2025, 6, 16)  # the end of the as-of day (UTC, naive as landed)
AI = [d for d in DATASETS if d.system == "ai"]


@pytest.fixture(scope="module")
def runs(module_tmp) -> list[Path]:
    """Two small generations of seed 42, in parallel processes."""
    roots = [module_tmp(f"demo_ai_{k}") for k in range(2)]
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(generate, root, seed=42, scale="small", months=MONTHS, as_of=AS_OF) for root in roots]
        for fut in futures:
            fut.result()
    return [root / "raw" for root in roots]


@pytest.fixture(scope="module")
def raw(runs) -> Path:
    return runs[0]


@pytest.fixture(scope="module")
def landed(runs, module_tmp):
    """Every AI dataset of the second generation ingested at the as-of day (1 h of tolerance)."""
    con = engine.connect(module_tmp("demo_ai_db") / "roi.duckdb")
    now = dt.datetime.combine(AS_OF, dt.time(23))
    results = {d.key: engine.ingest_dataset(con, runs[1], d, now=now, window=TimeWindow(AS_OF, 1)) for d in AI}
    yield con, results
    con.close()


def records(path: Path) -> list[dict]:
    """The JSON records of a file (lines of ``.ndjson``/``.jsonl``, optionally gzipped; else one document)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    if ".ndjson" in path.name or ".jsonl" in path.name:
        return [json.loads(x, parse_float=Decimal) for x in text.splitlines() if x.strip()]
    return [json.loads(text, parse_float=Decimal)]


def folder(raw: Path, name: str) -> list[dict]:
    return [r for p in sorted((raw / "ai" / name).iterdir()) for r in records(p)]


def buckets(raw: Path, name: str) -> list[dict]:
    return [b for page in folder(raw, name) for b in page["data"]]


def _ts(v: str) -> dt.datetime:
    return dt.datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(dt.UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------------- tests


def test_ai_files_are_the_same_bytes_for_the_same_seed(runs):
    digests = [
        {
            str(p.relative_to(r / "ai")): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((r / "ai").rglob("*"))
            if p.is_file()
        }
        for r in runs
    ]
    assert digests[0] == digests[1]
    assert {k.split("/")[0] for k in digests[0]} == {d.name for d in AI}


def test_every_ai_file_lands_without_quarantine(landed, raw):
    _, results = landed
    for d in AI:
        files = results[d.key].files
        assert len(files) == len(list((raw / d.folder).iterdir())), d.key
        for f in files:
            assert (f.status, f.rows_quarantined) == ("landed", 0), (d.key, f.message)
        assert results[d.key].landed_rows_total > 0


def test_no_time_after_the_as_of_day(landed):
    """Every landed time of every AI dataset lies in the history (a scheduled ``future`` field aside)."""
    con, _ = landed
    for d in AI:
        for f in d.fields:
            if f.type in TEMPORAL_TYPES and not f.future:
                lo, hi = con.execute(f"SELECT min({f.name}), max({f.name}) FROM {d.table}").fetchone()
                if hi is None:
                    continue
                lo, hi = (dt.datetime.combine(x, dt.time()) if type(x) is dt.date else x for x in (lo, hi))
                assert lo >= START and hi <= END, (d.key, f.name, lo, hi)


def test_copilot_seats_follow_the_world(raw):
    world = build_world(42, "small", MONTHS, AS_OF)
    adoption = world.system("ais-copilot").team_adoption
    people = {h.github_login: h for h in world.humans() if h.github_login}
    seats = records(raw / "ai" / "github_copilot_seats" / f"copilot_seats_{AS_OF}.json")[0]["seats"]
    days = defaultdict(list)
    for line in folder(raw, "github_copilot_usage"):
        days[line["user_login"]].append(dt.date.fromisoformat(line["day"]))
    idle, new = [], []
    for s in seats:
        h = people[s["assignee"]["login"]]
        created = _ts(s["created_at"])
        assert s["assignee"]["id"] == h.github_id and h.owner_team in adoption and h.status == "active"
        assert created.date() >= adoption[h.owner_team] and created < END
        assert all(d > created.date() for d in days[h.github_login])
        if s["last_activity_at"] is not None:
            assert _ts(s["last_activity_at"]).date() == max(days[h.github_login])
        if max(days[h.github_login], default=dt.date.min) < AS_OF - dt.timedelta(days=60):
            idle.append(s)
        if created >= END - dt.timedelta(days=30):
            new.append(s)
    assert sum("assigning_team" in s for s in seats) > 10 and sum("assigning_team" not in s for s in seats) > 10
    assert len(idle) >= 3 and sum(s["last_activity_at"] is None for s in idle) >= 2
    assert len(new) >= 2
    pending = [s for s in seats if s["pending_cancellation_date"]]
    assert len(pending) == 1 and pending[0] in idle and pending[0]["pending_cancellation_date"] == "2025-07-01"
    retired = {h.github_login: h.retired for h in world.humans() if h.retired}
    assert not retired.keys() & {s["assignee"]["login"] for s in seats}
    for login, t in retired.items():
        assert all(dt.datetime.combine(d, dt.time(), dt.UTC).timestamp() < t for d in days.get(login, []))
    assert set(days) <= {login for login, h in people.items() if h.owner_team in adoption}


def test_copilot_org_day_totals_are_the_user_sums(raw):
    users = defaultdict(list)
    for line in folder(raw, "github_copilot_usage"):
        users[line["day"]].append(line)
    org = folder(raw, "github_copilot_org_usage")
    assert set(users) <= {o["day"] for o in org}
    merged = 0
    for o in org:
        lines = users.get(o["day"], [])
        assert o["daily_active_users"] == len(lines)
        for k in COUNTERS:
            assert o[k] == sum(x[k] for x in lines), (o["day"], k)
        for feature in {r["feature"] for x in lines for r in x["totals_by_feature"]}:
            row = next(r for r in o["totals_by_feature"] if r["feature"] == feature)
            want = sum(
                r["code_generation_activity_count"]
                for x in lines
                for r in x["totals_by_feature"]
                if r["feature"] == feature
            )
            assert row["code_generation_activity_count"] == want
        assert (
            o["weekly_active_users"] >= o["daily_active_users"]
            and o["monthly_active_users"] >= o["weekly_active_users"]
        )
        pr = o["pull_requests"]
        assert (
            pr["total_created_by_copilot"] <= pr["total_created"]
            and pr["total_merged"] >= pr["total_merged_created_by_copilot"]
        )
        assert (pr["median_minutes_to_merge"] is None) == (pr["total_merged"] == 0)
        merged += pr["total_merged"]
    assert merged > 100 and sum(o["pull_requests"]["total_created_by_copilot"] for o in org) > 0


def test_anthropic_cost_is_usage_times_list_price(raw):
    assert MODELS["claude-sonnet-4-20250514"].prices == tuple(map(Decimal, ("3", "15", "3.75", "0.30")))
    want: dict[str, Decimal] = defaultdict(Decimal)
    for b in buckets(raw, "anthropic_usage"):
        for x in b["results"]:
            tokens = (x["uncached_input_tokens"], x["output_tokens"], x["cache_creation"]["ephemeral_5m_input_tokens"])
            tokens += (x["cache_read_input_tokens"],)
            price = sum(n * p for n, p in zip(tokens, MODELS[x["model"]].prices, strict=True)) / 10_000
            want[b["starting_at"]] += price + x["server_tool_use"]["web_search_requests"]
    got: dict[str, Decimal] = defaultdict(Decimal)
    for b in buckets(raw, "anthropic_cost"):
        for x in b["results"]:
            assert isinstance(x["amount"], str) and x["currency"] == "USD"
            got[b["starting_at"]] += Decimal(x["amount"])
    assert got == {k: v for k, v in want.items() if v} and len(got) > 300
    # Claude Code: its records' tokens are the Claude Code workspace's usage, its actors the world's engineers
    cc = folder(raw, "claude_code_usage")
    emails = {h.email for h in build_world(42, "small", MONTHS, AS_OF).humans()}
    recs = [r for page in cc for r in page["data"]]
    assert {r["actor"]["email_address"] for r in recs if r["actor"]["type"] == "user_actor"} <= emails
    assert any(r["actor"]["type"] == "api_actor" for r in recs)
    cc_out = sum(m["tokens"]["output"] for r in recs for m in r["model_breakdown"])
    workspaces = {x["workspace_id"] for b in buckets(raw, "anthropic_usage") for x in b["results"]}
    assert None in workspaces and len(workspaces) == 5  # the default, Data, Support, Claude Code, Platform
    by_ws = defaultdict(int)
    for b in buckets(raw, "anthropic_usage"):
        for x in b["results"]:
            by_ws[x["workspace_id"]] += x["output_tokens"]
    assert cc_out in by_ws.values()


#: The count of each OpenAI usage endpoint outside completions, and its seed unit (seed unit_prices).
OTHER_UNITS = {kind: (UNIT_FIELD[kind], unit) for kind, unit in SEED_UNIT.items()}


def _openai_result_cost(x: dict, prices: dict, unit_prices: dict) -> Decimal:
    """One usage result at the seed prices: tokens by model_prices, other units by unit_prices (the model's and
    size's row, else any model's)."""
    kind = x["object"].split(".")[2]
    if kind in OTHER_UNITS:
        count, unit = OTHER_UNITS[kind]
        price = unit_prices.get((unit, x.get("model") or "*", x.get("size") or "*")) or unit_prices[(unit, "*", "*")]
        return x[count] * price
    pr = prices[x["model"]]
    cached = x.get("input_cached_tokens", 0) * Decimal(pr["cached_input_price_per_1m"])
    uncached = (x["input_tokens"] - x.get("input_cached_tokens", 0)) * Decimal(pr["input_price_per_1m"])
    out = x.get("output_tokens", 0) * Decimal(pr["output_price_per_1m"])
    return (cached + uncached + out) / 1_000_000


def test_openai_costs_are_usage_times_price_but_one_overbilled_month(raw):
    with open(DBT_PROJECT_DIR / "seeds" / "model_prices.csv", newline="") as fh:
        prices = {r["model"]: r for r in csv.DictReader(fh) if r["provider"] == "openai"}
    with open(DBT_PROJECT_DIR / "seeds" / "unit_prices.csv", newline="") as fh:
        unit_prices = {
            (r["usage_unit"], r["model"], r["variant"]): Decimal(r["unit_price"])
            for r in csv.DictReader(fh)
            if r["provider"] == "openai"
        }
    usage: dict[tuple, Decimal] = defaultdict(Decimal)
    kinds: set[str] = set()
    for p in sorted((raw / "usage" / "openai_usage").iterdir()):
        doc = json.loads(p.read_text())
        for page in doc if isinstance(doc, list) else [doc]:
            for b in page["data"]:
                month = dt.datetime.fromtimestamp(b["start_time"], dt.UTC).strftime("%Y-%m")
                for x in b["results"]:
                    usage[(month, x["project_id"])] += _openai_result_cost(x, prices, unit_prices)
                    kinds.add(x["object"].split(".")[2])
    assert kinds == {"completions", "embeddings", "moderations", *OTHER_UNITS}  # every endpoint, each billed
    costs: dict[tuple, Decimal] = defaultdict(Decimal)
    for b in buckets(raw, "openai_costs"):
        month = dt.datetime.fromtimestamp(b["start_time"], dt.UTC).strftime("%Y-%m")
        for x in b["results"]:
            assert isinstance(x["amount"]["value"], Decimal) and x["amount"]["currency"] == "usd"
            costs[(month, x["project_id"])] += x["amount"]["value"]
    assert set(costs) == set(usage)
    ratios = {k: costs[k] / usage[k] for k in usage if usage[k]}
    off = {k: r for k, r in ratios.items() if r != 1}
    assert list(off.values()) == [Decimal("1.08")], off
    assert next(iter(off))[0] < AS_OF.strftime("%Y-%m")  # a complete month


def test_bedrock_and_cursor_follow_the_world(raw):
    world = build_world(42, "small", MONTHS, AS_OF)
    users = {h.aws_iam_user for h in world.identities if h.aws_iam_user}
    calls = folder(raw, "bedrock_invocations")
    arns = {c["identity"]["arn"] for c in calls}
    assert len(arns) == 3 and sum(":assumed-role/" in a for a in arns) == 1
    assert {a.rsplit("/", 1)[1] for a in arns if ":user/" in a} <= users
    errors = defaultdict(int)
    for c in calls:
        errors[c["timestamp"][:7]] += "errorCode" in c
    assert set(errors.values()) == {1} and len(calls) < 300 * MONTHS
    assert any(c.get("input", {}).get("cacheReadInputTokenCount") for c in calls)
    emails = {h.email for h in world.humans()}
    daily = [r for page in folder(raw, "cursor_daily_usage") for r in page["data"]]
    events = [e for page in folder(raw, "cursor_usage_events") for e in page["usageEvents"]]
    assert {r["email"] for r in daily} <= emails and events
    per_day: dict[tuple[str, str, bool], int] = defaultdict(int)
    for e in events:
        day = dt.datetime.fromtimestamp(int(e["timestamp"]) / 1000, dt.UTC).date().isoformat()
        billed = e["kind"] == "Usage-based"
        per_day[(e["userEmail"], day, billed)] += 1
        if billed:
            assert e["chargedCents"] == e["tokenUsage"]["totalCents"] + e["cursorTokenFee"]
        else:  # an included request: no tokens billed, no charge
            assert "tokenUsage" not in e and e["chargedCents"] == 0
    want = {(r["email"], r["day"], True): r["usageBasedReqs"] for r in daily if r["usageBasedReqs"]}
    want |= {
        (r["email"], r["day"], False): r["subscriptionIncludedReqs"] for r in daily if r["subscriptionIncludedReqs"]
    }
    assert per_day == want


def test_bedrock_calls_are_billed_by_caller_at_the_seed_price(raw):
    """AWS bills the invocation logs' calls by IAM principal (CUR 2.0 ``line_item_iam_principal``): per month
    and caller, the FOCUS Bedrock lines equal the logged tokens of each class x the seed price, exactly."""
    with open(DBT_PROJECT_DIR / "seeds" / "model_prices.csv", newline="") as fh:
        prices = {r["model"]: r for r in csv.DictReader(fh) if r["provider"] == "bedrock"}
    classes = (
        ("inputTokenCount", "input_price_per_1m"),
        ("cacheReadInputTokenCount", "cached_input_price_per_1m"),
        ("cacheWriteInputTokenCount", "cache_write_price_per_1m"),
    )
    logged: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for c in folder(raw, "bedrock_invocations"):
        if "errorCode" in c:
            continue
        model = c["modelId"].rsplit("/", 1)[-1].removeprefix("us.")
        p = prices[model]
        cost = sum(Decimal(c["input"].get(k, 0)) * Decimal(p[col]) for k, col in classes)
        cost += Decimal(c["output"].get("outputTokenCount", 0)) * Decimal(p["output_price_per_1m"])
        logged[(c["timestamp"][:7], c["identity"]["arn"])] += cost / 1_000_000
    billed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for p in sorted((raw / "billing" / "focus").glob("focus_aws_*.csv")):
        with open(p, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["line_item_iam_principal"] not in ("", "NULL"):  # the file's null token
                    assert r["ServiceName"] == "Amazon Bedrock"
                    billed[(r["ChargePeriodStart"][:7], r["line_item_iam_principal"])] += Decimal(r["BilledCost"])
    assert billed == logged and len({arn for _, arn in billed}) == 3
