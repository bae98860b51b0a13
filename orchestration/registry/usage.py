"""AI usage exports: LiteLLM spend logs, OpenAI usage pages."""

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

OPENAI_USAGE = Dataset(
    system="usage",
    name="openai_usage",
    title="OpenAI usage (completions)",
    description="OpenAI `GET /v1/organization/usage/completions` response pages (JSON): buckets of results "
    "grouped by project, user, API key and model.",
    formats=("json", "jsonl"),
    owner="finance",
    repeats="latest",
    # the API's group-by keys: an export overlapping an earlier one restates its buckets (the latest counts)
    natural_key=("bucket_start", "project_id", "user_id", "api_key_id", "model", "batch", "service_tier"),
    json_layout="openai_pages",
    freshness_field="bucket_end",
    time_floor=date(2020, 1, 1),
    fields=(
        f("bucket_start", "start_time", "epoch_s", req=True),
        f("bucket_end", "end_time", "epoch_s", req=True),
        f(
            "object",
            allowed=("organization.usage.completions.result",),
            value_aliases=(("orgainzation.usage.completions.result", "organization.usage.completions.result"),),
            desc="the API reference of December 2024 spelled it `orgainzation...`",
        ),
        f("input_tokens", type="integer", req=True),
        f("output_tokens", type="integer", req=True),
        f("input_cached_tokens", type="integer"),
        f("input_audio_tokens", type="integer"),
        f("output_audio_tokens", type="integer"),
        f("num_model_requests", type="integer", req=True),
        f("project_id"),
        f("user_id"),
        f("api_key_id"),
        f("model"),
        f("batch", type="boolean"),
        f("service_tier"),
    ),
)
