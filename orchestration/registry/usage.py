"""AI usage exports: LiteLLM spend logs, OpenAI usage pages (every usage endpoint)."""

from __future__ import annotations

from datetime import date

from orchestration.dataset_model import Dataset
from orchestration.registry.common import f

LITELLM_SPEND_LOGS = Dataset(
    system="usage",
    name="litellm_spend_logs",
    title="LiteLLM spend logs",
    description="LiteLLM proxy `LiteLLM_SpendLogs` table export (CSV or JSON lines): one row per request.",
    formats=("csv", "jsonl"),
    owner="finance",
    natural_key=("request_id",),
    freshness_field="start_time",
    currency="USD",
    time_floor=date(2023, 1, 1),
    fields=(
        f("request_id", req=True),
        f("call_type"),
        f("api_key", desc="hashed LiteLLM virtual key"),
        f("spend", type="decimal", req=True, money=True, desc="cost in USD"),
        f("total_tokens", type="integer"),
        f("prompt_tokens", type="integer"),
        f("completion_tokens", type="integer"),
        f("start_time", "startTime", "timestamp", req=True),
        f("end_time", "endTime", "timestamp"),
        f("request_duration_ms", type="integer"),
        f("model", req=True),
        f("model_id"),
        f("model_group"),
        f("custom_llm_provider"),
        f("api_base"),
        f("user", desc="internal user id"),
        f("metadata", type="json"),
        f("cache_hit"),
        f("request_tags", type="json"),
        f("team_id"),
        f("organization_id"),
        f("end_user"),
        f("status"),
        f("session_id"),
        f("agent_id"),
    ),
)

#: OpenAI's usage endpoints (``GET /v1/organization/usage/<endpoint>``) by the ``object`` of their results.
OPENAI_RESULT_OBJECTS: dict[str, str] = {
    "completions": "organization.usage.completions.result",
    "embeddings": "organization.usage.embeddings.result",
    "moderations": "organization.usage.moderations.result",
    "images": "organization.usage.images.result",
    "audio_speeches": "organization.usage.audio_speeches.result",
    "audio_transcriptions": "organization.usage.audio_transcriptions.result",
    "vector_stores": "organization.usage.vector_stores.result",
    "code_interpreter_sessions": "organization.usage.code_interpreter_sessions.result",
    "file_search_calls": "organization.usage.file_searches.result",
    "web_search_calls": "organization.usage.web_searches.result",
}


def _for(*endpoints: str) -> tuple[str, tuple[str, ...]]:
    """Required in the results of these endpoints (the API reference's ``required`` of each result schema)."""
    return ("object", tuple(OPENAI_RESULT_OBJECTS[e] for e in endpoints))


_MODEL_CALLS = ("completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions")

OPENAI_USAGE = Dataset(
    system="usage",
    name="openai_usage",
    title="OpenAI usage",
    description="OpenAI `GET /v1/organization/usage/<endpoint>` response pages (JSON): buckets of results "
    "grouped by project, user, API key and model. One dataset for every endpoint (completions, embeddings, "
    "moderations, images, audio speeches and transcriptions, vector stores, code interpreter sessions, file and "
    "web search calls): a result's `object` says which, and so which of its counts the API reference requires.",
    formats=("json", "jsonl"),
    owner="finance",
    repeats="latest",
    # the API's group-by keys: an export overlapping an earlier one restates its buckets (the latest counts)
    natural_key=(
        "bucket_start",
        "object",
        "project_id",
        "user_id",
        "api_key_id",
        "model",
        "batch",
        "service_tier",
        "source",
        "size",
        "vector_store_id",
        "context_level",
    ),
    json_layout="openai_pages",
    freshness_field="bucket_end",
    time_floor=date(2020, 1, 1),
    fields=(
        f("bucket_start", "start_time", "epoch_s", req=True),
        f("bucket_end", "end_time", "epoch_s", req=True),
        f(
            "object",
            req=True,
            allowed=tuple(OPENAI_RESULT_OBJECTS.values()),
            value_aliases=(("orgainzation.usage.completions.result", "organization.usage.completions.result"),),
            desc="the endpoint the result is from; the API reference of December 2024 spelled the completions "
            "one `orgainzation...`",
        ),
        f("input_tokens", type="integer", when=_for("completions", "embeddings", "moderations")),
        f("output_tokens", type="integer", when=_for("completions")),
        f("input_cached_tokens", type="integer", desc="cache reads, counted in input_tokens"),
        f("input_cache_write_tokens", type="integer", desc="cache writes, counted in input_tokens"),
        f("input_audio_tokens", type="integer"),
        f("output_audio_tokens", type="integer"),
        f("num_model_requests", type="integer", when=_for(*_MODEL_CALLS, "web_search_calls")),
        f("images", type="integer", when=_for("images"), desc="images generated, edited or varied"),
        f("characters", type="integer", when=_for("audio_speeches"), desc="characters spoken"),
        f("seconds", type="integer", when=_for("audio_transcriptions"), desc="seconds of audio transcribed"),
        f("usage_bytes", type="integer", when=_for("vector_stores"), desc="bytes held in vector stores"),
        f("num_sessions", type="integer", when=_for("code_interpreter_sessions")),
        f("num_requests", type="integer", when=_for("file_search_calls", "web_search_calls"), desc="tool calls"),
        f("project_id"),
        f("user_id"),
        f("api_key_id"),
        f("model"),
        f("batch", type="boolean"),
        f("service_tier"),
        f("source", desc="images: image.generation, image.edit or image.variation"),
        f("size", desc="images: the size, e.g. 1024x1024"),
        f("vector_store_id"),
        f("context_level", desc="web search calls: the search context size"),
    ),
)
