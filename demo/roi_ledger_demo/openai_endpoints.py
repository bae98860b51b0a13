"""OpenAI's usage endpoints beyond completions, as the demo's OpenAI systems use them.

The documentation assistant embeds documents, searches them (file search calls) and keeps them in a vector
store; the support bot moderates, transcribes calls and speaks answers; the chat assistant draws images, runs
code interpreter sessions and searches the web. Each endpoint's pages go in their own file per month
(``openai_usage_<endpoint>_<YYYY-MM>.json``), its results grouped by project, API key and model (what the
API's ``group_by`` gives) except the vector store and code interpreter endpoints, which group by project only.

Every unit is priced as the seeds price it (``model_prices`` for the token endpoints, ``unit_prices`` for the
others), and the priced totals go to ``carried.openai_units`` for the FOCUS writer, so the billed figures
equal usage x price exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.world import World

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

#: The count each endpoint's results carry (the API reference's result schemas).
UNIT_FIELD = {
    "embeddings": "input_tokens",
    "moderations": "input_tokens",
    "images": "images",
    "audio_speeches": "characters",
    "audio_transcriptions": "seconds",
    "vector_stores": "usage_bytes",
    "code_interpreter_sessions": "num_sessions",
    "file_searches": "num_requests",
    "web_searches": "num_requests",
}

#: The seed unit of each endpoint outside the token ones (macros/openai_usage.sql ``openai_usage_units``).
SEED_UNIT = {
    "images": "images",
    "audio_speeches": "characters",
    "audio_transcriptions": "audio_seconds",
    "vector_stores": "vector_store_bytes",
    "code_interpreter_sessions": "code_interpreter_sessions",
    "file_searches": "file_search_calls",
    "web_searches": "web_search_calls",
}

#: The endpoint path of each result kind (files are named by it).
ENDPOINT = {
    "embeddings": "embeddings",
    "moderations": "moderations",
    "images": "images",
    "audio_speeches": "audio_speeches",
    "audio_transcriptions": "audio_transcriptions",
    "vector_stores": "vector_stores",
    "code_interpreter_sessions": "code_interpreter_sessions",
    "file_searches": "file_search_calls",
    "web_searches": "web_search_calls",
}


@dataclass(frozen=True)
class Plan:
    """One system's daily use of one endpoint: about ``per_day`` units a working day (lognormal spread)."""

    system: str
    kind: str
    model: str | None
    per_day: float
    size: str | None = None
    per_request: float = 1.0


PLANS: tuple[Plan, ...] = (
    Plan("ais-doc-assistant", "embeddings", "text-embedding-3-large", 1_800_000, per_request=2_500),
    Plan("ais-doc-assistant", "file_searches", None, 140),
    Plan("ais-doc-assistant", "vector_stores", None, 1_600_000_000),
    Plan("ais-support-bot", "moderations", "omni-moderation-latest", 300_000, per_request=400),
    Plan("ais-support-bot", "audio_transcriptions", "whisper-1", 5_400, per_request=180),
    Plan("ais-support-bot", "audio_speeches", "tts-1", 45_000, per_request=300),
    Plan("ais-chat-assistant", "images", "dall-e-3", 14, size="1024x1024"),
    Plan("ais-chat-assistant", "code_interpreter_sessions", None, 10),
    Plan("ais-chat-assistant", "web_searches", "gpt-4.1-2025-04-14", 55),
)


@cache
def unit_prices(seeds: Path = SEEDS) -> dict[tuple[str, str, str], Decimal]:
    """(seed unit, model or *, variant or *) -> USD per unit, OpenAI's rows of seed ``unit_prices``."""
    with open(seeds / "unit_prices.csv", newline="", encoding="utf-8") as fh:
        return {
            (r["usage_unit"], r["model"], r["variant"]): Decimal(r["unit_price"])
            for r in csv.DictReader(fh)
            if r["provider"] == "openai"
        }


@cache
def token_prices(seeds: Path = SEEDS) -> dict[str, Decimal]:
    """USD per input token by OpenAI model (the token endpoints here count input tokens only)."""
    with open(seeds / "model_prices.csv", newline="", encoding="utf-8") as fh:
        return {
            r["model"]: Decimal(r["input_price_per_1m"]) / 1_000_000
            for r in csv.DictReader(fh)
            if r["provider"] == "openai"
        }


def unit_cost(kind: str, model: str | None, size: str | None, qty: int) -> Decimal:
    """What ``qty`` of one endpoint's unit costs at the seed prices (the pipeline's pricing rule: the model's
    and size's row, else the unit's ``*`` row)."""
    if kind in ("embeddings", "moderations"):
        return token_prices()[model or ""] * qty
    prices = unit_prices()
    unit = SEED_UNIT[kind]
    price = prices.get((unit, model or "*", size or "*"), prices.get((unit, "*", "*")))
    if price is None:
        raise KeyError(f"no seed unit price for {kind} {model} {size}")
    return price * qty


def _service_key(world: World, sid: str) -> str | None:
    """The first live OpenAI key of the system's own service identities (its API calls run on it)."""
    keys = sorted(
        (i.id, i.openai_key_id)
        for i in world.identities
        if i.ai_system_id == sid and i.openai_key_id and i.kind in ("service", "api_key") and i.status != "retired"
    )
    return keys[0][1] if keys else None


def _result(plan: Plan, qty: int, project: str, key: str | None) -> dict:
    r: dict = {"object": f"organization.usage.{plan.kind}.result", UNIT_FIELD[plan.kind]: qty}
    if plan.kind not in ("vector_stores", "code_interpreter_sessions", "file_searches"):
        r["num_model_requests"] = max(1, round(qty / plan.per_request))
    if plan.kind in ("file_searches", "web_searches"):
        r["num_requests"] = qty
    r["project_id"] = project
    if plan.kind in ("vector_stores", "code_interpreter_sessions"):
        return r  # these endpoints group by project only
    r["user_id"] = None
    r["api_key_id"] = key
    if plan.kind == "file_searches":
        r["vector_store_id"] = None
        return r
    r["model"] = plan.model
    if plan.kind == "images":
        r["size"] = plan.size
        r["source"] = "image.generation"
    return r


def write_endpoints(world: World, folder: Path, carried: Carried) -> tuple[int, int]:
    """Write every plan's pages, month by month; returns (files, records)."""
    systems = {s.id: s for s in world.systems}
    files = records = 0
    for kind in dict.fromkeys(p.kind for p in PLANS):
        plans = [p for p in PLANS if p.kind == kind and p.system in systems]
        for m0 in world.month_starts:
            rng = u.rng_for(world.seed, f"usage/openai_usage/{kind}/{m0.isoformat()}")
            buckets = []
            d = m0
            stop = min(u.next_month(m0), world.as_of + dt.timedelta(days=1))
            while d < stop:
                t0 = u.epoch(d)
                results = []
                for p in plans:
                    s = systems[p.system]
                    draw = rng.lognormal(0.0, 0.35)
                    if s.adoption_date is None or d < s.adoption_date:
                        continue
                    if kind == "vector_stores":  # the store grows over its first year, barely moving day to day
                        held = min((d - s.adoption_date).days, 365) / 365
                        qty = int(p.per_day * (0.5 + held) * draw**0.1)
                    else:
                        qty = int(p.per_day * (0.35 if d.weekday() >= 5 else 1.0) * draw)
                    if qty <= 0:
                        continue
                    results.append(_result(p, qty, s.project_id, _service_key(world, p.system)))
                    total = carried.openai_units.setdefault((m0, s.project_id, p.model or "", kind, p.size or ""), [0])
                    total[0] += qty
                buckets.append({"object": "bucket", "start_time": t0, "end_time": t0 + u.DAY, "results": results})
                records += len(results)
                d += dt.timedelta(days=1)
            if not any(b["results"] for b in buckets):
                continue
            doc = {"object": "page", "data": buckets, "has_more": False, "next_page": None}
            u.write_bytes(folder / f"openai_usage_{ENDPOINT[kind]}_{m0:%Y-%m}.json", u.dumps(doc).encode("utf-8"))
            files += 1
    return files, records
