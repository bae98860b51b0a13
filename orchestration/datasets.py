"""The dataset registry: the one declarative list of every raw export the pipeline ingests.

Each entry names where files land (``raw/<system>/<dataset>/``), which file formats are accepted, and the
contract every record must meet: the fields to keep (with the header names or JSON paths they come from,
their vendor variants, types, required-ness and allowed values). Ingest, the dataset docs
(``docs/datasets.md``), the dbt sources and the tests are all driven from this list, so adding a source is
one entry here plus one staging model.

Landing tables are ``landing_<system>.<dataset>`` in the build database. Each holds one column per field
(typed, enums in their canonical casing, null sentinels as NULL) plus the provenance columns
``_source_file``, ``_file_sha256``, ``_line`` and ``_ingested_at``, and either ``_extra`` (CSV/Parquet: the
columns the contract does not name, as a JSON object) or ``_record`` (JSON sources: a JSON record whole; their
CSV rows, like ``_extra``, the columns the contract does not name).
"""

from __future__ import annotations

from datetime import date

from orchestration.dataset_model import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    DECIMAL_TYPE,
    FIELD_TYPES,
    FORMATS,
    NULL_TOKENS,
    REPEATS,
    TEMPORAL_TYPES,
    Dataset,
    Field,
)

__all__ = [
    "AWS_CREDENTIAL_REPORT",
    "BY_KEY",
    "DATASETS",
    "DECIMAL_PRECISION",
    "DECIMAL_SCALE",
    "DECIMAL_TYPE",
    "DELIVERY_CHANGES",
    "DELIVERY_DEPLOYMENTS",
    "DELIVERY_INCIDENTS",
    "FIELD_TYPES",
    "FOCUS",
    "FORMATS",
    "GITHUB_AUDIT_LOG",
    "IDENTITY_INVENTORY",
    "LITELLM_SPEND_LOGS",
    "NULL_TOKENS",
    "OKTA_SYSTEM_LOG",
    "OPA_DECISION_LOGS",
    "OPENAI_USAGE",
    "REPEATS",
    "SAAS_LICENCES",
    "SCENARIOS",
    "SECRETS_INVENTORY",
    "SECURITY_INCIDENTS",
    "TEMPORAL_TYPES",
    "WORK_ITEMS",
    "Dataset",
    "Field",
    "get",
]


def _f(
    name: str,
    source: str | None = None,
    type: str = "string",
    *,
    req: bool = False,
    allowed: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    desc: str = "",
    money: bool = False,
    future: bool = False,
    epoch_seconds: bool = False,
    value_aliases: tuple[tuple[str, str], ...] = (),
) -> Field:
    return Field(name, source or name, type, req, allowed, aliases, desc, money, future, epoch_seconds, value_aliases)


_FOCUS_SERVICE_CATEGORIES = (
    "AI and Machine Learning",
    "Analytics",
    "Business Applications",
    "Compute",
    "Databases",
    "Developer Tools",
    "Multicloud",
    "Identity",
    "Integration",
    "Internet of Things",
    "Management and Governance",
    "Media",
    "Migration",
    "Mobile",
    "Networking",
    "Security",
    "Storage",
    "Web",
    "Other",
)

_AWS_SENTINELS = (*NULL_TOKENS, "N/A", "no_information", "not_supported")

AWS_CREDENTIAL_REPORT = Dataset(
    system="iam",
    name="aws_credential_report",
    title="AWS IAM credential report",
    description="AWS IAM credential report (GetCredentialReport, text/csv): one row per IAM user and the root "
    "account, with password, MFA, access key and certificate status. As the CSV itself, or as the "
    "API's JSON response (`aws iam get-credential-report`: `Content` base64 or decoded, and "
    "`GeneratedTime`, the report's own time).",
    formats=("csv", "json"),
    owner="security",
    natural_key=("arn", "_file_sha256"),
    json_layout="credential_report",
    null_tokens=_AWS_SENTINELS,
    freshness_field="_ingested_at",
    time_floor=date(2010, 1, 1),
    fields=(
        _f("user", req=True, desc="IAM user name; `<root_account>` for the root row"),
        _f(
            "arn",
            req=True,
            desc="ARN of the user; its account keys the user, since names (and `<root_account>`) "
            "repeat across accounts",
        ),
        _f("user_creation_time", type="timestamp", desc="when the user was created"),
        _f("password_enabled", type="boolean", desc="console password set"),
        _f("password_last_used", type="timestamp"),
        _f("password_last_changed", type="timestamp"),
        _f("password_next_rotation", type="timestamp", future=True),
        _f("mfa_active", type="boolean", req=True, desc="an MFA device is enabled"),
        _f("access_key_1_active", type="boolean"),
        _f("access_key_1_last_rotated", type="timestamp", desc="creation/rotation time of key 1"),
        _f("access_key_1_last_used_date", type="timestamp"),
        _f("access_key_1_last_used_region"),
        _f("access_key_1_last_used_service"),
        _f("access_key_2_active", type="boolean"),
        _f("access_key_2_last_rotated", type="timestamp"),
        _f("access_key_2_last_used_date", type="timestamp"),
        _f("access_key_2_last_used_region"),
        _f("access_key_2_last_used_service"),
        _f("cert_1_active", type="boolean"),
        _f("cert_1_last_rotated", type="timestamp"),
        _f("cert_2_active", type="boolean"),
        _f("cert_2_last_rotated", type="timestamp"),
        _f(
            "generated_time",
            "GeneratedTime",
            "timestamp",
            desc="when AWS generated the report: the JSON response's GeneratedTime (a bare CSV does not carry it)",
        ),
    ),
)

GITHUB_AUDIT_LOG = Dataset(
    system="iam",
    name="github_audit_log",
    title="GitHub audit log",
    description="GitHub organization/enterprise audit log export (JSON lines or one JSON array).",
    formats=("jsonl", "json"),
    owner="security",
    natural_key=("document_id",),
    freshness_field="event_at",
    time_floor=date(2008, 1, 1),
    fields=(
        _f("document_id", "_document_id", req=True, desc="unique event id"),
        _f(
            "event_at",
            "@timestamp",
            "epoch_ms",
            req=True,
            aliases=("created_at",),
            desc="event time (epoch milliseconds in the export)",
        ),
        _f("created_at", "created_at", "epoch_ms"),
        _f("action", req=True, desc="event action, e.g. `personal_access_token.access_granted`"),
        _f("actor", desc="login of the actor"),
        _f("actor_id", type="integer"),
        _f("actor_is_bot", type="boolean"),
        _f("user", desc="login of the affected user"),
        _f("org"),
        _f("repo", desc="owner/name"),
        _f("operation_type", allowed=("create", "access", "modify", "remove", "authentication", "transfer", "restore")),
        _f("hashed_token", desc="base64 SHA-256 of the token used (token-based access)"),
        _f("programmatic_access_type", desc="kind of token, e.g. Fine-grained personal access token"),
        _f("token_id", type="integer"),
        _f("token_scopes"),
        _f("integration", desc="GitHub App name"),
        _f("country_code", "actor_location.country_code"),
        _f("user_agent"),
        _f("request_id"),
    ),
)

OKTA_SYSTEM_LOG = Dataset(
    system="iam",
    name="okta_system_log",
    title="Okta System Log",
    description="Okta System Log API `LogEvent` objects (JSON lines or one JSON array), or event hook deliveries "
    "(`data.events`).",
    formats=("jsonl", "json"),
    owner="security",
    natural_key=("uuid",),
    json_layout="okta_events",
    freshness_field="published",
    time_floor=date(2009, 1, 1),
    fields=(
        _f("uuid", req=True, desc="event id"),
        _f("published", type="timestamp", req=True, desc="event time"),
        _f("event_type", "eventType", req=True, desc="e.g. `user.session.start`, `system.api_token.create`"),
        _f("severity", allowed=("DEBUG", "INFO", "WARN", "ERROR")),
        _f("display_message", "displayMessage"),
        _f("actor_id", "actor.id", req=True),
        _f("actor_type", "actor.type", desc="User, SystemPrincipal, PublicClientApp, ..."),
        _f("actor_alternate_id", "actor.alternateId", desc="login (email) of the actor: personal data"),
        _f("actor_display_name", "actor.displayName", desc="personal data"),
        _f("client_id", "client.id", desc="OAuth client id"),
        _f("client_ip_address", "client.ipAddress"),
        _f(
            "outcome_result",
            "outcome.result",
            allowed=("SUCCESS", "FAILURE", "SKIPPED", "ALLOW", "DENY", "CHALLENGE", "UNKNOWN"),
        ),
        _f("outcome_reason", "outcome.reason"),
        _f("target", "target", "json", desc="target objects (JSON array)"),
        _f("credential_type", "authenticationContext.credentialType"),
        _f("credential_provider", "authenticationContext.credentialProvider"),
        _f("transaction_id", "transaction.id"),
    ),
)

IDENTITY_INVENTORY = Dataset(
    system="iam",
    name="identity_inventory",
    title="Identity and AI system inventory",
    description="The organisation's register of identities (human, service, agent, api_key) and AI systems "
    "(adoption date, the three ledger owners), with crosswalk keys.",
    formats=("csv",),
    owner="security",
    natural_key=("record_type", "record_id"),
    repeats="latest",
    freshness_field="_ingested_at",
    freshness_warn_hours=24 * 35,
    freshness_error_hours=24 * 100,
    fields=(
        _f("record_type", req=True, allowed=("identity", "ai_system")),
        _f("record_id", req=True, desc="identity key or AI system id"),
        _f("name", req=True, desc="display name (personal data for humans)"),
        _f("identity_kind", allowed=("human", "service", "agent", "api_key")),
        _f("email", desc="work email (personal data)"),
        _f("owner_team", req=True),
        _f("ai_system_id", desc="identities: the AI system they belong to or act for"),
        _f(
            "ai_system_category",
            allowed=("coding_assistant", "chat_assistant", "agent", "detection", "remediation", "analytics", "other"),
        ),
        _f("vendor"),
        _f("adoption_date", type="date", future=True, desc="planned adoptions may lie ahead"),
        _f("security_owner"),
        _f("finance_owner"),
        _f("engineering_owner"),
        _f(
            "aws_iam_user",
            desc="IAM user: its ARN, `<account>:<user>`, or a bare user name (matched only "
            "when exactly one account's credential report has that user)",
        ),
        _f("okta_login"),
        _f("github_login"),
        _f("api_key_refs", desc="`;`-separated key references (see docs/FORMATS.md)"),
        _f("status", req=True, allowed=("active", "retired")),
    ),
)

SECRETS_INVENTORY = Dataset(
    system="iam",
    name="secrets_inventory",
    title="AWS Secrets Manager inventory",
    description="AWS Secrets Manager `ListSecrets` output (JSON object with `SecretList`; JSON lines of "
    "secrets also accepted). Secret values are never part of it and never stored.",
    formats=("json", "jsonl"),
    owner="security",
    natural_key=("arn", "_file_sha256"),
    json_layout="secret_list",
    freshness_field="_ingested_at",
    time_floor=date(2018, 1, 1),
    fields=(
        _f("arn", "ARN", req=True),
        _f("name", "Name", req=True),
        _f("description", "Description"),
        _f("kms_key_id", "KmsKeyId"),
        _f("rotation_enabled", "RotationEnabled", "boolean"),
        _f("rotation_lambda_arn", "RotationLambdaARN"),
        _f("rotation_after_days", "RotationRules.AutomaticallyAfterDays", "integer"),
        _f("last_rotated_date", "LastRotatedDate", "timestamp", epoch_seconds=True),
        _f("last_changed_date", "LastChangedDate", "timestamp", epoch_seconds=True),
        _f("last_accessed_date", "LastAccessedDate", "timestamp", epoch_seconds=True),
        _f("deleted_date", "DeletedDate", "timestamp", epoch_seconds=True),
        _f("next_rotation_date", "NextRotationDate", "timestamp", epoch_seconds=True, future=True),
        _f(
            "created_date",
            "CreatedDate",
            "timestamp",
            epoch_seconds=True,
            desc="optional: absent from some ListSecrets outputs (Duo Labs CloudMapper sample)",
        ),
        _f("owning_service", "OwningService"),
        _f("primary_region", "PrimaryRegion"),
        _f("tags", "Tags", "json", desc="list of {Key, Value}"),
    ),
)

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
        _f("request_id", req=True),
        _f("call_type"),
        _f("api_key", desc="hashed LiteLLM virtual key"),
        _f("spend", type="decimal", req=True, money=True, desc="cost in USD"),
        _f("total_tokens", type="integer"),
        _f("prompt_tokens", type="integer"),
        _f("completion_tokens", type="integer"),
        _f("start_time", "startTime", "timestamp", req=True),
        _f("end_time", "endTime", "timestamp"),
        _f("request_duration_ms", type="integer"),
        _f("model", req=True),
        _f("model_id"),
        _f("model_group"),
        _f("custom_llm_provider"),
        _f("api_base"),
        _f("user", desc="internal user id"),
        _f("metadata", type="json"),
        _f("cache_hit"),
        _f("request_tags", type="json"),
        _f("team_id"),
        _f("organization_id"),
        _f("end_user"),
        _f("status"),
        _f("session_id"),
        _f("agent_id"),
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
        _f("bucket_start", "start_time", "epoch_s", req=True),
        _f("bucket_end", "end_time", "epoch_s", req=True),
        _f(
            "object",
            allowed=("organization.usage.completions.result",),
            value_aliases=(("orgainzation.usage.completions.result", "organization.usage.completions.result"),),
            desc="the API reference of December 2024 spelled it `orgainzation...`",
        ),
        _f("input_tokens", type="integer", req=True),
        _f("output_tokens", type="integer", req=True),
        _f("input_cached_tokens", type="integer"),
        _f("input_audio_tokens", type="integer"),
        _f("output_audio_tokens", type="integer"),
        _f("num_model_requests", type="integer", req=True),
        _f("project_id"),
        _f("user_id"),
        _f("api_key_id"),
        _f("model"),
        _f("batch", type="boolean"),
        _f("service_tier"),
    ),
)

OPA_DECISION_LOGS = Dataset(
    system="policy",
    name="opa_decision_logs",
    title="OPA decision logs",
    description="Open Policy Agent decision log events (JSON lines or arrays).",
    formats=("jsonl", "json"),
    owner="security",
    natural_key=("decision_id",),
    freshness_field="decided_at",
    time_floor=date(2016, 1, 1),
    fields=(
        _f("decision_id", req=True),
        _f("path", req=True, desc="policy path, e.g. `ai/tools/allow`"),
        _f("input", type="json", req=True),
        _f("result", type="json", desc="boolean or object with `allow`"),
        _f("decided_at", "timestamp", "timestamp", req=True),
        _f("labels", type="json"),
        _f("bundles", type="json"),
        _f("requested_by"),
        _f("req_id", type="integer"),
        _f("metrics", type="json"),
    ),
)

_FOCUS_FIELDS = (
    _f("billed_cost", "BilledCost", "decimal", req=True, money=True),
    _f("effective_cost", "EffectiveCost", "decimal", req=True, money=True),
    _f("list_cost", "ListCost", "decimal", money=True),
    _f("contracted_cost", "ContractedCost", "decimal", money=True),
    _f("billing_account_id", "BillingAccountId", req=True),
    _f("billing_account_name", "BillingAccountName"),
    _f("billing_account_type", "BillingAccountType"),
    _f("billing_currency", "BillingCurrency", req=True),
    _f("billing_period_start", "BillingPeriodStart", "timestamp", req=True),
    _f(
        "billing_period_end",
        "BillingPeriodEnd",
        "timestamp",
        req=True,
        future=True,
        desc="the current month's period ends after the as-of day",
    ),
    _f("charge_category", "ChargeCategory", req=True, allowed=("Usage", "Purchase", "Tax", "Credit", "Adjustment")),
    _f("charge_class", "ChargeClass", allowed=("Correction",)),
    _f("charge_description", "ChargeDescription"),
    _f("charge_frequency", "ChargeFrequency", allowed=("One-Time", "Recurring", "Usage-Based")),
    _f("charge_period_start", "ChargePeriodStart", "timestamp", req=True),
    _f(
        "charge_period_end",
        "ChargePeriodEnd",
        "timestamp",
        req=True,
        future=True,
        desc="a purchase or recurring charge may cover a period that ends later",
    ),
    _f("commitment_discount_id", "CommitmentDiscountId"),
    _f("commitment_discount_status", "CommitmentDiscountStatus", allowed=("Used", "Unused")),
    _f("consumed_quantity", "ConsumedQuantity", "decimal"),
    _f("consumed_unit", "ConsumedUnit"),
    _f("pricing_category", "PricingCategory", allowed=("Standard", "Committed", "Dynamic", "Other")),
    _f("pricing_quantity", "PricingQuantity", "decimal"),
    _f("pricing_unit", "PricingUnit"),
    _f("list_unit_price", "ListUnitPrice", "decimal"),
    _f("contracted_unit_price", "ContractedUnitPrice", "decimal"),
    _f("invoice_id", "InvoiceId"),
    _f("invoice_issuer_name", "InvoiceIssuerName"),
    _f(
        "provider_name",
        "ProviderName",
        aliases=("ServiceProviderName",),
        desc="FOCUS 1.3 renames it ServiceProviderName",
    ),
    _f("publisher_name", "PublisherName", aliases=("HostProviderName",), desc="FOCUS 1.3 renames it HostProviderName"),
    _f("region_id", "RegionId"),
    _f("resource_id", "ResourceId"),
    _f("resource_name", "ResourceName"),
    _f("resource_type", "ResourceType"),
    _f("service_category", "ServiceCategory", allowed=_FOCUS_SERVICE_CATEGORIES),
    _f("service_subcategory", "ServiceSubcategory"),
    _f("service_name", "ServiceName", req=True),
    _f("sku_id", "SkuId"),
    _f("sku_price_id", "SkuPriceId"),
    _f("sub_account_id", "SubAccountId"),
    _f("sub_account_name", "SubAccountName"),
    _f("tags", "Tags", "json", desc="JSON object of key/value tags"),
    _f("contract_applied", "ContractApplied", "json", desc="FOCUS 1.3"),
    _f("allocated_method_id", "AllocatedMethodId", desc="FOCUS 1.3"),
    _f("allocated_resource_id", "AllocatedResourceId", desc="FOCUS 1.3"),
    _f("allocated_tags", "AllocatedTags", "json", desc="FOCUS 1.3"),
)

FOCUS = Dataset(
    system="billing",
    name="focus",
    title="FOCUS cost and usage",
    description="FinOps FOCUS 1.0-1.3 cost and usage data (CSV or Parquet), one row per charge.",
    formats=("csv", "parquet"),
    owner="finance",
    natural_key=("_source_file", "_line"),
    repeats="positional",
    currency_field="billing_currency",
    freshness_field="charge_period_end",
    freshness_warn_hours=24 * 35,
    freshness_error_hours=24 * 65,
    fields=_FOCUS_FIELDS,
)

SAAS_LICENCES = Dataset(
    system="billing",
    name="saas_licences",
    title="SaaS seats and licences",
    description="Seat and licence export: one row per licence and billing period (documented in docs/FORMATS.md).",
    formats=("csv",),
    owner="finance",
    natural_key=("licence_id", "billing_period_start"),
    currency_field="currency",
    repeats="latest",
    freshness_field="_ingested_at",
    freshness_warn_hours=24 * 35,
    freshness_error_hours=24 * 65,
    fields=(
        _f("licence_id", req=True),
        _f("vendor", req=True),
        _f("product", req=True),
        _f("ai_system_id"),
        _f("sku"),
        _f("billing_period_start", type="date", req=True, future=True, desc="billed in advance"),
        _f("billing_period_end", type="date", req=True, future=True),
        _f("billing_frequency", req=True, allowed=("monthly", "annual", "one_time")),
        _f("seats_purchased", type="integer", req=True),
        _f("seats_assigned", type="integer", req=True),
        _f("seats_active_30d", type="integer", req=True),
        _f("unit_price", type="decimal", req=True),
        _f("amount", type="decimal", req=True, money=True),
        _f("currency", req=True),
        _f("status", req=True, allowed=("active", "retired", "cancelled")),
        _f("retired_date", type="date", future=True, desc="a planned retirement may lie ahead"),
        _f("owner_team"),
    ),
)

_DELIVERY_OPTIONAL = (
    _f("repo"),
    _f("team"),
)

DELIVERY_CHANGES = Dataset(
    system="delivery",
    name="changes",
    title="Four Keys changes",
    description="DORA Four Keys `changes` table (CSV or JSON lines): one row per change (commit).",
    formats=("csv", "jsonl"),
    owner="engineering",
    natural_key=("change_id",),
    freshness_field="time_created",
    fields=(
        _f("source", req=True),
        _f("event_type"),
        _f("change_id", req=True, desc="commit sha"),
        _f("time_created", type="timestamp", req=True),
        *_DELIVERY_OPTIONAL,
        _f("author", desc="login (personal data)"),
        _f("approved_at", type="timestamp", desc="review approval time (approval cycle time)"),
        _f("metadata", type="json"),
    ),
)

DELIVERY_DEPLOYMENTS = Dataset(
    system="delivery",
    name="deployments",
    title="Four Keys deployments",
    description="DORA Four Keys `deployments` table (CSV or JSON lines): one row per deployment with the "
    "changes it shipped.",
    formats=("csv", "jsonl"),
    owner="engineering",
    natural_key=("deploy_id",),
    freshness_field="time_created",
    fields=(
        _f("source", req=True),
        _f("deploy_id", req=True),
        _f("time_created", type="timestamp", req=True),
        _f("main_commit"),
        _f("changes", desc="change ids: JSON array, or `;`-separated in CSV"),
        *_DELIVERY_OPTIONAL,
        _f("environment"),
    ),
)

DELIVERY_INCIDENTS = Dataset(
    system="delivery",
    name="incidents",
    title="Four Keys incidents",
    description="DORA Four Keys `incidents` table (CSV or JSON lines): one row per production incident "
    "with its root-cause changes.",
    formats=("csv", "jsonl"),
    owner="engineering",
    natural_key=("incident_id",),
    repeats="latest",
    # incidents are sparse events: a quiet week is normal, five without any incident is not
    freshness_field="time_created",
    freshness_warn_hours=24 * 14,
    freshness_error_hours=24 * 35,
    fields=(
        _f("source", req=True),
        _f("incident_id", req=True),
        _f("time_created", type="timestamp", req=True),
        _f("time_resolved", type="timestamp"),
        _f("changes", desc="root-cause change ids: JSON array, or `;`-separated in CSV"),
        *_DELIVERY_OPTIONAL,
        _f("title"),
    ),
)

WORK_ITEMS = Dataset(
    system="delivery",
    name="work_items",
    title="Work items",
    description="Ticket export (Jira/Linear style, CSV): key, type, created, resolved, assignee, effort, labels.",
    formats=("csv",),
    owner="engineering",
    natural_key=("key",),
    repeats="latest",
    freshness_field="created",
    fields=(
        _f("key", req=True),
        _f("type", req=True, allowed=("story", "bug", "task", "toil", "incident", "chore")),
        _f("created", type="timestamp", req=True),
        _f("resolved", type="timestamp"),
        _f("assignee", desc="personal data"),
        _f("team"),
        _f("effort_hours", type="decimal"),
        _f("story_points", type="decimal"),
        _f("status"),
        _f("labels", desc="`;`-separated"),
    ),
)

_INCIDENT_CATEGORIES = (
    "credential_abuse",
    "data_exposure",
    "prompt_injection",
    "malware",
    "phishing",
    "misconfiguration",
    "insider",
    "other",
)

SECURITY_INCIDENTS = Dataset(
    system="security",
    name="incidents",
    title="Security incidents",
    description="Security incident export (CSV, OCSF Incident Finding names where they exist).",
    formats=("csv",),
    owner="security",
    natural_key=("finding_uid",),
    currency_field="currency",
    currency="USD",
    repeats="latest",
    freshness_field="_ingested_at",
    freshness_warn_hours=24 * 35,
    freshness_error_hours=24 * 100,
    fields=(
        _f("finding_uid", req=True),
        _f("title", req=True),
        _f("severity", req=True, allowed=("Informational", "Low", "Medium", "High", "Critical", "Fatal")),
        _f("status", req=True, allowed=("New", "In Progress", "On Hold", "Resolved", "Closed")),
        _f("start_time", type="timestamp", req=True),
        _f("detected_time", type="timestamp"),
        _f("end_time", type="timestamp"),
        _f("category", req=True, allowed=_INCIDENT_CATEGORIES),
        _f("ai_system_id"),
        _f("detected_by", allowed=("human", "ai", "tool")),
        _f("affected_identities", type="integer"),
        _f("affected_secrets", type="integer"),
        _f("response_hours", type="decimal"),
        _f("loss_amount", type="decimal", money=True),
        _f("currency"),
    ),
)

SCENARIOS = Dataset(
    system="assumptions",
    name="scenarios",
    title="Scenario assumptions",
    description="Assumptions for the Monte Carlo scenario model (docs/METHOD.md section 4), one row per "
    "scenario (documented in docs/FORMATS.md).",
    # unique within a file: a newer file may restate a scenario (int_scenarios__inputs keeps the newest row and
    # reports the older one), so the landed table legitimately holds an id once per file
    formats=("csv",),
    owner="security",
    natural_key=("scenario_id", "_file_sha256"),
    freshness_field="_ingested_at",
    freshness_warn_hours=24 * 365,
    freshness_error_hours=24 * 730,
    fields=(
        _f("scenario_id", req=True),
        _f("ai_system_id", req=True),
        _f("ledger", req=True, allowed=("defensive", "efficiency", "productivity")),
        _f("description"),
        _f("frequency_model", req=True, allowed=("poisson", "bernoulli", "pert")),
        _f("frequency_low", type="decimal"),
        _f("frequency_mode", type="decimal", req=True),
        _f("frequency_high", type="decimal"),
        _f("loss_low_90", type="decimal", req=True),
        _f("loss_high_90", type="decimal", req=True),
        _f("currency", req=True),
        _f("control_efficacy", type="decimal", req=True),
        _f("loss_reduction", type="decimal", req=True),
        _f("annual_control_cost", type="decimal", req=True),
        _f("horizon_years", type="integer"),
        _f(
            "incident_category",
            allowed=_INCIDENT_CATEGORIES,
            desc="security incident category whose observed history the scenario may use",
        ),
        _f(
            "use_observed",
            desc="semicolon list of inputs taken from the spine instead of this row: "
            "frequency, loss (need incident_category), control_cost",
        ),
        _f("source", req=True, desc="citation for the figures"),
    ),
)

DATASETS: tuple[Dataset, ...] = (
    AWS_CREDENTIAL_REPORT,
    GITHUB_AUDIT_LOG,
    OKTA_SYSTEM_LOG,
    IDENTITY_INVENTORY,
    SECRETS_INVENTORY,
    LITELLM_SPEND_LOGS,
    OPENAI_USAGE,
    OPA_DECISION_LOGS,
    FOCUS,
    SAAS_LICENCES,
    DELIVERY_CHANGES,
    DELIVERY_DEPLOYMENTS,
    DELIVERY_INCIDENTS,
    WORK_ITEMS,
    SECURITY_INCIDENTS,
    SCENARIOS,
)

BY_KEY: dict[str, Dataset] = {d.key: d for d in DATASETS}


def get(key: str) -> Dataset:
    """The dataset registered as ``<system>/<dataset>``."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown dataset {key!r}; known: {', '.join(BY_KEY)}") from None
