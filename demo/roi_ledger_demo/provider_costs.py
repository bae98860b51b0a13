"""Model providers billed directly: OpenAI's costs API (priced from the OpenAI usage export) and AWS Bedrock
model invocation logs.

OpenAI costs are the invoice-grade figure: the writer reads back the files ``usage/openai_usage`` wrote
(it runs after that writer) and prices them per day, project and line item (``"<model>, input"`` for the
uncached input, ``"<model>, cached input"``, ``"<model>, output"``) at the project's seed prices
(``dbt_project/seeds/model_prices.csv``, provider ``openai``), so costs equal usage x price exactly, with one
deliberate exception: ONE month of ONE project (``overbilled``) is billed 8 % above usage x price, the
over-billing the invoice reconciliation must flag. Amounts are JSON numbers whose decimal text is written
here from exact decimals (never through a float).

Bedrock: a few hundred calls a month at small scale, outside the LiteLLM gateway, by an engineer's IAM user,
a service account's IAM user and a batch job's assumed role (names from the world), gzipped JSON lines per
month (gzip without a timestamp: the same bytes every run), a few calls with prompt-cache tokens and one
failed call a month. Prompt bodies are short synthetic texts with no personal data.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR
from roi_ledger_demo import _util as u
from roi_ledger_demo import openai_endpoints
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.org import AWS_ACCOUNT
from roi_ledger_demo.world import World

PRICES_CSV = DBT_PROJECT_DIR / "seeds" / "model_prices.csv"
OVERBILL = Decimal("1.08")
_NUM = "\x00num:"


# ----------------------------------------------------------------------------------------- exact numbers


def num(value: Decimal | str) -> str:
    """A JSON number whose text is exactly ``value`` (see :func:`dumps_exact`)."""
    return _NUM + (value if isinstance(value, str) else format(value, "f"))


def decimal_text(v: Decimal) -> str:
    """Plain decimal text without trailing zeros (``"390.8256"``, ``"37"``), never an exponent."""
    t = format(v, "f")
    return t.rstrip("0").rstrip(".") if "." in t else t


def dumps_exact(obj: object) -> str:
    """Compact JSON where every :func:`num` marker becomes a bare number with its exact decimal text."""
    return re.sub(r'"\\u0000num:(-?[0-9.]+)"', r"\1", u.dumps(obj))


# ------------------------------------------------------------------------------------------ OpenAI costs


def openai_prices(path: Path = PRICES_CSV) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """USD per million tokens by OpenAI model: (input, cached input, output), as the seed has them."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {
            r["model"]: tuple(
                Decimal(r[k]) for k in ("input_price_per_1m", "cached_input_price_per_1m", "output_price_per_1m")
            )
            for r in csv.DictReader(fh)
            if r["provider"] == "openai"
        }


def read_openai_usage(folder: Path) -> dict[int, dict[tuple[str, str], list[int]]]:
    """Usage by bucket start and (project, model): [uncached input, cached input, output] tokens."""
    out: dict[int, dict[tuple[str, str], list[int]]] = defaultdict(dict)
    for p in sorted(folder.glob("openai_usage_completions_*.json")):
        doc = json.loads(p.read_bytes())
        for page in doc if isinstance(doc, list) else [doc]:
            for bucket in page["data"]:
                day = out[bucket["start_time"]]
                for x in bucket["results"]:
                    acc = day.setdefault((x["project_id"], x["model"]), [0, 0, 0])
                    acc[0] += x["input_tokens"] - x["input_cached_tokens"]
                    acc[1] += x["input_cached_tokens"]
                    acc[2] += x["output_tokens"]
    return out


def read_openai_units(folder: Path) -> dict[int, list[tuple[str, str, str, str, int]]]:
    """The other endpoints' results by bucket start: (project, model, kind, image size, quantity)."""
    out: dict[int, list[tuple[str, str, str, str, int]]] = defaultdict(list)
    for p in sorted(folder.glob("openai_usage_*.json")):
        if p.name.startswith("openai_usage_completions_"):
            continue
        for bucket in json.loads(p.read_bytes())["data"]:
            for x in bucket["results"]:
                kind = x["object"].removeprefix("organization.usage.").removesuffix(".result")
                qty = x[openai_endpoints.UNIT_FIELD[kind]]
                row = (x["project_id"], x.get("model") or "", kind, x.get("size") or "", qty)
                out[bucket["start_time"]].append(row)
    return out


def overbilled(world: World, usage: dict[int, dict[tuple[str, str], list[int]]]) -> tuple[dt.date, str] | None:
    """The (month, project) billed 8 % too much: a sanctioned project's complete month, drawn once."""
    sanctioned = {s.project_id for s in world.systems if s.project_id}
    pairs = sorted({(u.to_date(t).replace(day=1), p) for t, day in usage.items() for p, _ in day if p in sanctioned})
    pairs = [x for x in pairs if x[0] != world.month_starts[-1]] or pairs
    if not pairs:
        return None
    return pairs[u.pyrng(world.seed, "ai/openai_costs/overbilled").randrange(len(pairs))]


def _cost_result(project: str, line_item: str, qty: int, value: Decimal, unit: str = "tokens") -> dict:
    """A costs result grouped by project and line item (so ``api_key_id`` is null), 16 decimals like the API."""
    return {
        "object": "organization.costs.result",
        "amount": {"value": num(f"{value:.16f}"), "currency": "usd"},
        "line_item": line_item,
        "project_id": project,
        "api_key_id": None,
        "quantity": num(f"{qty}.0"),
        "quantity_unit": unit,
    }


def write_openai_costs(world: World, out_dir: Path, carried: Carried) -> dict:
    """``GET /v1/organization/costs`` pages grouped by project and line item, one file per month."""
    usage = read_openai_usage(out_dir.parent.parent / "usage" / "openai_usage")
    units = read_openai_units(out_dir.parent.parent / "usage" / "openai_usage")
    prices = openai_prices()
    over = overbilled(world, usage)
    months: dict[dt.date, list[dict]] = defaultdict(list)
    for t in sorted(set(usage) | set(units)):
        m0 = u.to_date(t).replace(day=1)
        results = []
        for (project, model), tok in sorted(usage.get(t, {}).items()):
            factor = OVERBILL if (m0, project) == over else Decimal(1)
            for label, n, price in zip(("input", "cached input", "output"), tok, prices[model], strict=True):
                results.append(_cost_result(project, f"{model}, {label}", n, Decimal(n) * price / 1_000_000 * factor))
        for project, model, kind, size, qty in sorted(units.get(t, [])):
            factor = OVERBILL if (m0, project) == over else Decimal(1)
            cost = openai_endpoints.unit_cost(kind, model or None, size or None, qty) * factor
            item = ", ".join(x for x in (model, size, kind.replace("_", " ")) if x)
            unit = openai_endpoints.SEED_UNIT.get(kind, "tokens")
            results.append(_cost_result(project, item, qty, cost, unit))
        months[m0].append({"object": "bucket", "start_time": t, "end_time": t + u.DAY, "results": results})
    records = 0
    for m0, buckets in months.items():
        if any(b["results"] for b in buckets):
            doc = {"object": "page", "data": buckets, "has_more": False, "next_page": None}
            u.write_bytes(out_dir / f"openai_costs_{m0:%Y-%m}.json", dumps_exact(doc).encode("utf-8"))
            records += sum(len(b["results"]) for b in buckets)
    return {"files": sum(any(b["results"] for b in bs) for bs in months.values()), "records": records}


# --------------------------------------------------------------------------------------- Bedrock logs

BEDROCK_FLOOR = dt.date(2023, 9, 28)
#: The Claude Sonnet a caller passes from the day it was released (cross-Region inference profile ids).
SONNETS = (
    (dt.date(2000, 1, 1), "us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
    (dt.date(2024, 10, 22), "us.anthropic.claude-3-5-sonnet-20241022-v2:0"),
    (dt.date(2025, 5, 22), "us.anthropic.claude-sonnet-4-20250514-v1:0"),
)
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
EMBED = "amazon.titan-embed-text-v2:0"
#: Synthetic prompts and answers (no personal data).
TEXTS = (
    (
        "Summarise the release notes of the checkout service in three bullet points.",
        "- Faster retries\n- New cache\n- Bug fixes",
    ),
    ("Classify this commit message: fix(api): handle empty cart", "bugfix"),
    (
        "Write a SQL query that counts deployments per team and week.",
        "SELECT team, date_trunc('week', ts), count(*) FROM deployments GROUP BY 1, 2;",
    ),
    (
        "Explain the error: connection pool exhausted after 30 s.",
        "The pool has too few connections for the load; raise its size or shorten queries.",
    ),
    ("Extract the ticket ids from: fixed PAY-1432 and PAY-1440.", '["PAY-1432", "PAY-1440"]'),
    ("Suggest a name for a metric of failed batch jobs per day.", "batch_jobs_failed_daily"),
)
ERRORS = ("ThrottlingException", "ValidationException", "ModelTimeoutException")


def bedrock_callers(world: World) -> list[tuple[str, str, float]]:
    """(identity ARN, kind, calls per day): an engineer's IAM user (weekdays), a service account's IAM user
    and a batch job's assumed role of the same team (every day)."""
    r = u.pyrng(world.seed, "ai/bedrock_invocations/callers")
    teams = ("data", "ml", "platform")
    people = [h for h in world.humans() if h.aws_iam_user and h.retired is None and h.owner_team in teams]
    svcs = [i for i in world.identities if i.kind == "service" and i.aws_iam_user and i.status == "active"]
    svcs = [s for s in svcs if not s.ai_system_id and s.owner_team in teams]
    ev = world.scale.events
    out = []
    if people:
        out.append(
            (f"arn:aws:iam::{AWS_ACCOUNT}:user/{people[r.randrange(len(people))].aws_iam_user}", "user", 3.0 * ev)
        )
    team = "data"
    if svcs:
        svc = svcs[r.randrange(len(svcs))]
        team = svc.owner_team
        out.append((f"arn:aws:iam::{AWS_ACCOUNT}:user/{svc.aws_iam_user}", "service", 3.0 * ev))
    session = "i-0" + u.py_hex(r, 8)  # an EC2 instance id
    out.append((f"arn:aws:sts::{AWS_ACCOUNT}:assumed-role/{team}-bedrock-batch/{session}", "role", 2.0 * ev))
    return out


def _converse(r, day: dt.date, prompt: str, answer: str, tin: int, tout: int, cache: tuple[int, int] | None) -> tuple:
    """(model id, input, output) of a Converse call, with its latency and, when given, its cache tokens."""
    usage = {"inputTokens": tin, "outputTokens": tout, "totalTokens": tin + tout + sum(cache or ())}
    body: dict = {"messages": [{"role": "user", "content": [{"text": prompt}]}], "inferenceConfig": {"maxTokens": 1024}}
    inp: dict = {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": tin}
    if cache is not None:
        body["messages"][0]["content"].append({"cachePoint": {"type": "default"}})
        body["system"] = [{"text": "You are the engineering assistant. Answer briefly."}]
        inp |= {"cacheReadInputTokenCount": cache[0], "cacheWriteInputTokenCount": cache[1]}
        usage |= {"cacheReadInputTokens": cache[0], "cacheWriteInputTokens": cache[1]}
    out_body = {"output": {"message": {"role": "assistant", "content": [{"text": answer}]}}, "stopReason": "end_turn"}
    out_body |= {"metrics": {"latencyMs": r.randint(600, 6000)}, "usage": usage}
    model = [m for since, m in SONNETS if since <= day][-1]
    return model, inp, {"outputContentType": "application/json", "outputBodyJson": out_body, "outputTokenCount": tout}


def _invoke(r, prompt: str, answer: str, tin: int, tout: int) -> tuple:
    """(model id, input, output) of an InvokeModel call: Claude Haiku's native body, or an embedding."""
    if r.random() < 0.25:
        body = {"inputText": prompt, "dimensions": 512, "normalize": True}
        inp = {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": len(prompt) // 5 + 2}
        return EMBED, inp, {"outputContentType": "application/json"}
    msg = [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 512, "messages": msg}
    out = {"id": "msg_bdrk_01" + u.py_alnum(r, 22), "type": "message", "role": "assistant"}
    out |= {
        "model": "claude-3-haiku-20240307",
        "content": [{"type": "text", "text": answer}],
        "stop_reason": "end_turn",
    }
    out |= {"stop_sequence": None, "usage": {"input_tokens": tin, "output_tokens": tout}}
    inp = {"inputContentType": "application/json", "inputBodyJson": body, "inputTokenCount": tin}
    return HAIKU, inp, {"outputContentType": "application/json", "outputBodyJson": out, "outputTokenCount": tout}


def _invocation(r, t: int, arn: str, kind: str, error: str | None = None) -> dict:
    """One log record as S3 delivers it (``schemaType`` and ``schemaVersion`` last)."""
    day = u.to_date(t)
    prompt, answer = TEXTS[r.randrange(len(TEXTS))]
    tin, tout = len(prompt) // 4 + r.randint(8, 60), len(answer) // 4 + r.randint(2, 40)
    if kind == "service":
        model, inp, out = _invoke(r, prompt, answer, tin, tout)
        op = "InvokeModel"
    else:
        cache = None
        if kind == "role":
            roll = r.random()
            cache = (
                (0, r.choice((1536, 2048, 4096)))
                if roll < 0.04
                else ((r.choice((1536, 2048)), 0) if roll < 0.1 else (0, 0))
            )
        model, inp, out = _converse(r, day, prompt, answer, tin, tout, cache)
        op = "ConverseStream" if kind == "user" else "Converse"
        if kind == "role":
            model = f"arn:aws:bedrock:us-east-1:{AWS_ACCOUNT}:inference-profile/{model}"
    rec = {"timestamp": u.iso_z(t), "accountId": AWS_ACCOUNT, "identity": {"arn": arn}, "region": "us-east-1"}
    rec |= {"requestId": u.py_uuid(r), "operation": op, "modelId": model}
    if error:
        rec |= {"input": {}, "output": {}, "errorCode": error}
    else:
        rec |= {"input": inp, "output": out}
        if model != HAIKU and model != EMBED:
            rec["inferenceRegion"] = r.choice(("us-east-1", "us-east-2", "us-west-2"))
    return rec | {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0"}


def base_model_id(model_id: str) -> str:
    """The foundation model of a model id or inference profile ARN (after the last '/', no Region prefix), as
    the pipeline prices it (macro bedrock_base_model_id)."""
    last = model_id.rsplit("/", 1)[-1]
    m = re.match(r"^[a-z-]+[.]([a-z]+[.].+)$", last)
    return m.group(1) if m else last


def bedrock_prices(path: Path = PRICES_CSV) -> dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]:
    """USD per token by Bedrock foundation model id: (input, cache read, cache write, output), seed prices."""
    cols = ("input_price_per_1m", "cached_input_price_per_1m", "cache_write_price_per_1m", "output_price_per_1m")
    with open(path, newline="", encoding="utf-8") as fh:
        return {
            r["model"]: tuple(Decimal(r[k]) / 1_000_000 for k in cols)
            for r in csv.DictReader(fh)
            if r["provider"] == "bedrock"
        }


def write_bedrock(world: World, out_dir: Path, carried: Carried) -> dict:
    """One gzipped JSON-lines file per month, records in time order, one failed call each month; the tokens
    of the calls, per month, caller and foundation model, to ``carried`` (AWS bills them by IAM principal)."""
    callers = bedrock_callers(world)
    first = max(world.start, u.epoch(BEDROCK_FLOOR))
    files = records = 0
    for m0 in world.month_starts:
        rng = u.rng_for(world.seed, f"ai/bedrock_invocations/{m0:%Y-%m}")
        r = u.pyrng(world.seed, f"ai/bedrock_invocations/{m0:%Y-%m}/records")
        a, b = max(u.epoch(m0), first), min(u.epoch(u.next_month(m0)), world.end)
        calls: list[tuple[int, str, str]] = []
        for day in range(a, b, u.DAY):
            weekday = u.to_date(day).weekday() < 5
            for arn, kind, rate in callers:
                n = int(rng.poisson(rate * (1.0 if weekday else (0.0 if kind == "user" else 0.5))))
                lo, span = (8 * 3600, 11 * 3600) if kind == "user" else (0, u.DAY)
                calls += [(day + lo + int(x), arn, kind) for x in rng.integers(0, span, size=n)]
        if not calls:
            continue
        recs = [_invocation(r, t, arn, kind) for t, arn, kind in sorted(calls)]
        t, arn, kind = calls[r.randrange(len(calls))]
        recs.append(_invocation(r, min(t + 7, b - 1), arn, kind, ERRORS[r.randrange(len(ERRORS))]))
        for rec in recs:
            if "errorCode" in rec:
                continue
            inp, out = rec["input"], rec["output"]
            base = base_model_id(rec["modelId"])
            acc = carried.bedrock_calls.setdefault((m0, rec["identity"]["arn"], base), [0, 0, 0, 0])
            acc[0] += inp["inputTokenCount"]
            acc[1] += inp.get("cacheReadInputTokenCount", 0)
            acc[2] += inp.get("cacheWriteInputTokenCount", 0)
            acc[3] += out.get("outputTokenCount", 0)
        recs.sort(key=lambda x: x["timestamp"])
        u.write_gzip(out_dir / f"bedrock_invocations_{m0:%Y-%m}.jsonl.gz", u.jsonl_bytes(recs))
        files, records = files + 1, records + len(recs)
    return {"files": files, "records": records}
