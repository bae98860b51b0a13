"""AI tools paid for outside a gateway: GitHub Copilot, Anthropic and Claude Code, OpenAI costs, Bedrock, Cursor.

Each format is built from its vendor's API reference (the fields, units and quirks; provenance of each
fixture in ``tests/fixtures/ai/README.md``). Report endpoints restate a day when it is exported again, so their
rows are ``latest``: the copy of the latest file landed counts. Every one is ``optional``: an organisation
uses some of these tools, not all; a source with no file yet is not in use, and blocks nothing.
"""

from __future__ import annotations

from datetime import date

from orchestration.dataset_model import Dataset
from orchestration.registry.common import f

#: The Claude API's first public day (no Anthropic usage can be older).
ANTHROPIC_FLOOR = date(2023, 3, 1)

ANTHROPIC_SERVICE_TIERS = ("standard", "batch", "priority", "priority_on_demand", "flex", "flex_discount")

ANTHROPIC_USAGE = Dataset(
    system="ai",
    optional=True,
    name="anthropic_usage",
    title="Anthropic usage report (messages)",
    description="Anthropic Admin API `GET /v1/organizations/usage_report/messages` response pages (JSON): "
    "daily buckets of token counts grouped by model, workspace, API key, service tier and context window.",
    formats=("json", "jsonl"),
    owner="finance",
    repeats="latest",
    # the report's group-by keys: a bucket exported again restates its rows (the latest file counts)
    natural_key=(
        "starting_at",
        "api_key_id",
        "workspace_id",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
        "account_id",
        "service_account_id",
    ),
    json_layout="anthropic_pages",
    freshness_field="ending_at",
    time_floor=ANTHROPIC_FLOOR,
    fields=(
        f("starting_at", type="timestamp", req=True, desc="bucket start (RFC 3339, UTC, inclusive)"),
        f("ending_at", type="timestamp", req=True, desc="bucket end (exclusive)"),
        f("uncached_input_tokens", type="integer", req=True),
        f("cache_read_input_tokens", type="integer"),
        f(
            "cache_creation_5m_input_tokens",
            "cache_creation.ephemeral_5m_input_tokens",
            "integer",
            aliases=("cache_creation_5m_input_tokens",),
            desc="input tokens written to the 5-minute cache",
        ),
        f(
            "cache_creation_1h_input_tokens",
            "cache_creation.ephemeral_1h_input_tokens",
            "integer",
            aliases=("cache_creation_1h_input_tokens",),
            desc="input tokens written to the 1-hour cache",
        ),
        f("output_tokens", type="integer", req=True),
        f("web_search_requests", "server_tool_use.web_search_requests", "integer"),
        f("api_key_id", desc="NULL when not grouped by key, or usage from the Console (no key)"),
        f("workspace_id", desc="NULL when not grouped by workspace, or the default workspace"),
        f("model"),
        f("service_tier", allowed=ANTHROPIC_SERVICE_TIERS),
        f("context_window", allowed=("0-200k", "200k-1M")),
        f("inference_geo"),
        f("account_id"),
        f("service_account_id"),
    ),
)

ANTHROPIC_COST = Dataset(
    system="ai",
    optional=True,
    name="anthropic_cost",
    title="Anthropic cost report",
    description="Anthropic Admin API `GET /v1/organizations/cost_report` response pages (JSON): daily buckets of "
    "costs grouped by workspace and description; `amount` is a decimal string in cents.",
    formats=("json", "jsonl"),
    owner="finance",
    repeats="latest",
    natural_key=(
        "starting_at",
        "workspace_id",
        "description",
        "cost_type",
        "token_type",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
    ),
    json_layout="anthropic_pages",
    freshness_field="ending_at",
    currency_field="currency",
    currency="USD",
    time_floor=ANTHROPIC_FLOOR,
    fields=(
        f("starting_at", type="timestamp", req=True),
        f("ending_at", type="timestamp", req=True),
        f(
            "amount",
            type="decimal",
            req=True,
            money=True,
            desc="cost in the lowest unit of `currency` (cents: `123.45` USD is $1.23), exactly as exported",
        ),
        f("currency", desc="ISO 4217 (the API documents USD only)"),
        f("workspace_id", desc="NULL when not grouped by workspace, or the default workspace"),
        f("description", desc="the cost item (NULL when not grouped by description)"),
        f("cost_type", allowed=("tokens", "web_search", "code_execution", "session_usage")),
        f(
            "token_type",
            allowed=(
                "uncached_input_tokens",
                "output_tokens",
                "cache_read_input_tokens",
                "cache_creation.ephemeral_1h_input_tokens",
                "cache_creation.ephemeral_5m_input_tokens",
            ),
        ),
        f("model"),
        f("service_tier", allowed=ANTHROPIC_SERVICE_TIERS),
        f("context_window", allowed=("0-200k", "200k-1M")),
        f("inference_geo"),
    ),
)

CLAUDE_CODE_USAGE = Dataset(
    system="ai",
    optional=True,
    name="claude_code_usage",
    title="Claude Code usage report",
    description="Anthropic Admin API `GET /v1/organizations/usage_report/claude_code` responses (JSON, records "
    "under `data`): one record per day, actor, terminal and remote flag, with sessions, lines, commits, pull "
    "requests, tool decisions and per-model tokens and estimated cost (cents).",
    formats=("json", "jsonl"),
    owner="engineering",
    repeats="latest",
    # one actor's day comes as one row per terminal and remote flag
    natural_key=("activity_date", "actor_type", "actor_email", "actor_api_key_name", "terminal_type", "is_remote"),
    json_layout="envelope",
    json_records_key="data",
    freshness_field="activity_date",
    time_floor=ANTHROPIC_FLOOR,
    fields=(
        f("activity_date", "date", "timestamp", req=True, desc="the UTC day (midnight; a plain date is accepted)"),
        f("actor_type", "actor.type", req=True, allowed=("user_actor", "api_actor")),
        f("actor_email", "actor.email_address", desc="the user's email (user actors)"),
        f("actor_api_key_name", "actor.api_key_name", desc="the API key's name, not its id (API actors)"),
        f("organization_id"),
        f("customer_type", allowed=("api", "subscription")),
        f("subscription_type"),
        f("terminal_type"),
        f("is_remote", type="boolean", desc="absent before August 2026: read as false"),
        f("num_sessions", "core_metrics.num_sessions", "integer"),
        f("lines_added", "core_metrics.lines_of_code.added", "integer"),
        f("lines_removed", "core_metrics.lines_of_code.removed", "integer"),
        f("commits", "core_metrics.commits_by_claude_code", "integer"),
        f("pull_requests", "core_metrics.pull_requests_by_claude_code", "integer"),
        f("tool_actions", type="json", desc="per tool: accepted and rejected proposals"),
        f(
            "model_breakdown",
            type="json",
            desc="per model: tokens (input, output, cache_read, cache_creation) and estimated_cost "
            "(amount in cents, currency)",
        ),
    ),
)

OPENAI_COSTS = Dataset(
    system="ai",
    optional=True,
    name="openai_costs",
    title="OpenAI costs",
    description="OpenAI `GET /v1/organization/costs` response pages (JSON): daily buckets of billed amounts "
    "grouped by project, line item and API key; the invoice-grade figure (usage pages carry no cost).",
    formats=("json", "jsonl"),
    owner="finance",
    repeats="latest",
    natural_key=("bucket_start", "project_id", "line_item", "api_key_id"),
    json_layout="openai_pages",
    freshness_field="bucket_end",
    currency_field="currency",
    currency="USD",
    time_floor=date(2020, 1, 1),
    fields=(
        f("bucket_start", "start_time", "epoch_s", req=True),
        f("bucket_end", "end_time", "epoch_s", req=True),
        f(
            "object",
            allowed=("organization.costs.result",),
            value_aliases=(("orgainzation.costs.result", "organization.costs.result"),),
            desc="the API reference of December 2024 spelled it `orgainzation...`",
        ),
        f(
            "amount",
            "amount.value",
            "decimal",
            req=True,
            money=True,
            desc="billed amount in `currency` (dollars, not cents; a JSON number or a decimal string)",
        ),
        f("currency", "amount.currency", desc="lowercase ISO 4217 (`usd`)"),
        f("line_item", desc="e.g. `gpt-4o-2024-08-06, cached input` (NULL when not grouped by line item)"),
        f("project_id"),
        f("api_key_id"),
        f("quantity", type="decimal", desc="billed quantity in `quantity_unit`"),
        f("quantity_unit"),
    ),
)

#: Bedrock's general availability (no invocation log can be older).
BEDROCK_FLOOR = date(2023, 9, 28)

BEDROCK_INVOCATIONS = Dataset(
    system="ai",
    optional=True,
    name="bedrock_invocations",
    title="AWS Bedrock model invocation logs",
    description="Amazon Bedrock model invocation logging records (JSON lines as S3 delivers them, gzipped, or "
    "CloudWatch exports): one record per model call, with the caller's IAM identity and token counts. Prompt "
    "and completion bodies stay in the raw file: no field of the contract reads them.",
    formats=("jsonl", "json"),
    owner="finance",
    natural_key=("request_id",),
    freshness_field="invoked_at",
    time_floor=BEDROCK_FLOOR,
    fields=(
        f("request_id", "requestId", req=True),
        f("invoked_at", "timestamp", "timestamp", req=True),
        f("schema_type", "schemaType", allowed=("ModelInvocationLog",)),
        f("schema_version", "schemaVersion"),
        f("account_id", "accountId"),
        f("identity_arn", "identity.arn", desc="the caller: an IAM user, an assumed role's session, ..."),
        f("region"),
        f("operation", desc="InvokeModel, Converse, ConverseStream, InvokeModelWithResponseStream, ..."),
        f("model_id", "modelId", req=True, desc="as the caller passed it: a model id or an inference profile ARN"),
        f("inference_region", "inferenceRegion", desc="where a cross-region inference profile ran the call"),
        f("error_code", "errorCode", desc="set when the call failed"),
        f("input_tokens", "input.inputTokenCount", "integer"),
        f("cache_read_input_tokens", "input.cacheReadInputTokenCount", "integer"),
        f("cache_write_input_tokens", "input.cacheWriteInputTokenCount", "integer"),
        f("output_tokens", "output.outputTokenCount", "integer"),
        f("latency_ms", "output.outputBodyJson.metrics.latencyMs", "integer", desc="Converse calls only"),
    ),
)

#: Cursor's first public release (no Cursor usage can be older).
CURSOR_FLOOR = date(2023, 3, 1)

CURSOR_DAILY_USAGE = Dataset(
    system="ai",
    optional=True,
    name="cursor_daily_usage",
    title="Cursor daily usage",
    description="Cursor Admin API `POST /teams/daily-usage-data` responses (JSON, records under `data`): one "
    "record per member per day with lines, suggestions, tabs and requests by kind.",
    formats=("json", "jsonl"),
    owner="engineering",
    repeats="latest",
    natural_key=("usage_date", "email"),
    json_layout="envelope",
    json_records_key="data",
    freshness_field="usage_date",
    time_floor=CURSOR_FLOOR,
    fields=(
        f("usage_date", "date", "epoch_ms", req=True, desc="the day (epoch milliseconds, UTC midnight)"),
        f("email", req=True, desc="the member's email"),
        f("user_id", "userId", desc="numeric member id (2026 responses)"),
        f("is_active", "isActive", "boolean"),
        f("total_lines_added", "totalLinesAdded", "integer"),
        f("total_lines_deleted", "totalLinesDeleted", "integer"),
        f("accepted_lines_added", "acceptedLinesAdded", "integer"),
        f("accepted_lines_deleted", "acceptedLinesDeleted", "integer"),
        f("total_applies", "totalApplies", "integer"),
        f("total_accepts", "totalAccepts", "integer"),
        f("total_rejects", "totalRejects", "integer"),
        f("total_tabs_shown", "totalTabsShown", "integer"),
        f("total_tabs_accepted", "totalTabsAccepted", "integer"),
        f("composer_requests", "composerRequests", "integer"),
        f("chat_requests", "chatRequests", "integer"),
        f("agent_requests", "agentRequests", "integer"),
        f("cmdk_usages", "cmdkUsages", "integer"),
        f("subscription_included_requests", "subscriptionIncludedReqs", "integer"),
        f("api_key_requests", "apiKeyReqs", "integer"),
        f("usage_based_requests", "usageBasedReqs", "integer"),
        f("bugbot_usages", "bugbotUsages", "integer"),
        f("most_used_model", "mostUsedModel"),
        f("client_version", "clientVersion"),
    ),
)

CURSOR_USAGE_EVENTS = Dataset(
    system="ai",
    optional=True,
    name="cursor_usage_events",
    title="Cursor usage events",
    description="Cursor Admin API `POST /teams/filtered-usage-events` responses (JSON, records under "
    "`usageEvents`): one record per billable request with its model, kind, tokens and cost in US cents.",
    formats=("json", "jsonl"),
    owner="finance",
    # events carry no id: the same member, model and kind at the same millisecond is the same event
    natural_key=("event_at", "user_email", "model", "kind"),
    json_layout="envelope",
    json_records_key="usageEvents",
    freshness_field="event_at",
    currency="USD",
    time_floor=CURSOR_FLOOR,
    fields=(
        f("event_at", "timestamp", "epoch_ms", req=True, desc="epoch milliseconds (a string of digits)"),
        f("user_email", "userEmail", req=True),
        f("model", req=True, desc="Cursor's model label, not the provider's model id"),
        f("kind", req=True, desc="billing category, e.g. `Usage-based`, `Included in Business`"),
        f("conversation_id", "conversationId"),
        f("max_mode", "maxMode", "boolean"),
        f("requests_costs", "requestsCosts", "decimal", desc="cost in request units"),
        f("is_token_based_call", "isTokenBasedCall", "boolean"),
        f("is_chargeable", "isChargeable", "boolean"),
        f("input_tokens", "tokenUsage.inputTokens", "integer", desc="absent when the call is not token-based"),
        f("output_tokens", "tokenUsage.outputTokens", "integer"),
        f("cache_write_tokens", "tokenUsage.cacheWriteTokens", "integer"),
        f("cache_read_tokens", "tokenUsage.cacheReadTokens", "integer"),
        # the charge is the money the gate follows (one money field per event dataset: fct_landing_repeats
        # totals a dataset's first); its two parts are exact decimals beside it
        f("token_cents", "tokenUsage.totalCents", "decimal", desc="model cost in US cents"),
        f("cursor_token_fee_cents", "cursorTokenFee", "decimal", desc="Cursor's token rate, US cents"),
        f(
            "charged_cents",
            "chargedCents",
            "decimal",
            money=True,
            desc="what the event was charged, US cents (model cost plus the token rate)",
        ),
    ),
)

#: Copilot's technical preview (no Copilot record can be older; GitHub's own seat example is from 2021).
COPILOT_FLOOR = date(2021, 6, 1)

_COPILOT_ACTIVITY = (
    f("user_initiated_interaction_count", type="integer", desc="prompts a user sent (chat, agent, CLI)"),
    f("code_generation_activity_count", type="integer", desc="suggestions and edits Copilot generated"),
    f("code_acceptance_activity_count", type="integer", desc="of those, accepted"),
    f("loc_suggested_to_add_sum", type="integer"),
    f("loc_suggested_to_delete_sum", type="integer"),
    f("loc_added_sum", type="integer", desc="lines Copilot added to files"),
    f("loc_deleted_sum", type="integer"),
    f("totals_by_feature", type="json"),
    f("totals_by_ide", type="json"),
    f("totals_by_model_feature", type="json"),
)

GITHUB_COPILOT_USAGE = Dataset(
    system="ai",
    optional=True,
    name="github_copilot_usage",
    title="GitHub Copilot usage metrics (users)",
    description="GitHub Copilot usage metrics report downloads `users-1-day` and `users-28-day` (NDJSON, "
    "enterprise or organization scope): one line per user per day with activity counts, lines suggested, "
    "added and deleted, the features and models used and AI credits.",
    formats=("jsonl", "json"),
    owner="engineering",
    repeats="latest",
    # the organization scope reports a user once per organization; the enterprise scope has no organization_id
    natural_key=("usage_date", "enterprise_id", "organization_id", "user_id"),
    freshness_field="usage_date",
    time_floor=COPILOT_FLOOR,
    fields=(
        f("usage_date", "day", "date", req=True),
        f("user_id", type="integer", req=True),
        f("user_login", req=True),
        f("enterprise_id"),
        f("organization_id"),
        *_COPILOT_ACTIVITY,
        f("used_agent", type="boolean"),
        f("used_chat", type="boolean"),
        f("used_cli", type="boolean"),
        f("used_copilot_coding_agent", type="boolean"),
        f("used_copilot_code_review_active", type="boolean"),
        f("ai_credits_used", type="decimal", desc="AI credits the user consumed (2026 reports)"),
    ),
)

GITHUB_COPILOT_ORG_USAGE = Dataset(
    system="ai",
    optional=True,
    name="github_copilot_org_usage",
    title="GitHub Copilot usage metrics (organization and enterprise days)",
    description="GitHub Copilot usage metrics report downloads `organization-1-day` / `enterprise-1-day` "
    "(NDJSON, one line per day) and the 28-day reports (records under `day_totals`): active users, activity "
    "and pull requests created, reviewed and merged, with and by Copilot.",
    formats=("jsonl", "json"),
    owner="engineering",
    repeats="latest",
    natural_key=("usage_date", "enterprise_id", "organization_id"),
    json_layout="envelope",
    json_records_key="day_totals",
    freshness_field="usage_date",
    time_floor=COPILOT_FLOOR,
    fields=(
        f("usage_date", "day", "date", req=True),
        f("enterprise_id"),
        f("organization_id"),
        f("daily_active_users", type="integer"),
        f("weekly_active_users", type="integer"),
        f("monthly_active_users", type="integer"),
        f("monthly_active_chat_users", type="integer"),
        f("monthly_active_agent_users", type="integer"),
        *_COPILOT_ACTIVITY,
        f("pull_requests_created", "pull_requests.total_created", "integer"),
        f("pull_requests_reviewed", "pull_requests.total_reviewed", "integer"),
        f("pull_requests_merged", "pull_requests.total_merged", "integer"),
        f("pull_requests_created_by_copilot", "pull_requests.total_created_by_copilot", "integer"),
        f("pull_requests_reviewed_by_copilot", "pull_requests.total_reviewed_by_copilot", "integer"),
        f("pull_requests_merged_created_by_copilot", "pull_requests.total_merged_created_by_copilot", "integer"),
        f("pull_requests_merged_reviewed_by_copilot", "pull_requests.total_merged_reviewed_by_copilot", "integer"),
        f("median_minutes_to_merge", "pull_requests.median_minutes_to_merge", "decimal", desc="NULL: none merged"),
        f(
            "median_minutes_to_merge_copilot_authored",
            "pull_requests.median_minutes_to_merge_copilot_authored",
            "decimal",
        ),
        f(
            "median_minutes_to_merge_copilot_reviewed",
            "pull_requests.median_minutes_to_merge_copilot_reviewed",
            "decimal",
        ),
    ),
)

GITHUB_COPILOT_SEATS = Dataset(
    system="ai",
    optional=True,
    name="github_copilot_seats",
    title="GitHub Copilot seat assignments",
    description="GitHub `GET /orgs/{org}/copilot/billing/seats` response pages (JSON, seats under `seats`): one "
    "record per assigned seat with its plan, assignment, cancellation and last activity.",
    formats=("json", "jsonl"),
    owner="finance",
    # a seat is one assignment to one assignee in one organization (NULL when the export is of one organization's
    # endpoint); the login beside the id because GitHub's own examples give every assignee id 1, the type because a
    # legacy team or organization assignee has no login, and the assignment time because a seat removed and granted
    # again later is another holding (`created_at`: "when the assignee was last granted access"), whose days the
    # first one's copy must not swallow. Each export is a snapshot kept whole (the file in the key, as the
    # credential report's): an older export says which seats stood, and which were idle, in its own billing period
    natural_key=(
        "organization_login",
        "assignee_type",
        "assignee_login",
        "assignee_id",
        "seat_created_at",
        "_file_sha256",
    ),
    json_layout="envelope",
    json_records_key="seats",
    # the export carries no time of its own: the newest activity of any seat says how recent it is
    freshness_field="last_activity_at",
    time_floor=COPILOT_FLOOR,
    fields=(
        f("assignee_id", "assignee.id", "integer", req=True),
        f("assignee_login", "assignee.login", aliases=("assignee.slug",), desc="a user's login (a legacy team's slug)"),
        f("assignee_type", "assignee.type"),
        f("organization_login", "organization.login"),
        f("plan_type", allowed=("business", "enterprise", "unknown")),
        f("seat_created_at", "created_at", "timestamp", req=True),
        f("seat_updated_at", "updated_at", "timestamp", desc="deprecated by GitHub"),
        f("pending_cancellation_date", type="date", future=True, desc="the seat ends at this cycle's end"),
        f("last_activity_at", type="timestamp", desc="NULL: never used"),
        f("last_activity_editor"),
        f("last_authenticated_at", type="timestamp"),
        f("assigning_team_slug", "assigning_team.slug", desc="absent when assigned directly"),
        f("assigning_team_name", "assigning_team.name"),
    ),
)
