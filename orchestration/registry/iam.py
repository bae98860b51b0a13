"""The identity systems' exports: AWS credential report, GitHub audit log, Okta System Log, the identity
inventory, Secrets Manager."""

from __future__ import annotations

from datetime import date

from orchestration.dataset_model import NULL_TOKENS, Dataset
from orchestration.registry.common import f

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
        f("user", req=True, desc="IAM user name; `<root_account>` for the root row"),
        f(
            "arn",
            req=True,
            desc="ARN of the user; its account keys the user, since names (and `<root_account>`) "
            "repeat across accounts",
        ),
        f("user_creation_time", type="timestamp", desc="when the user was created"),
        f("password_enabled", type="boolean", desc="console password set"),
        f("password_last_used", type="timestamp"),
        f("password_last_changed", type="timestamp"),
        f("password_next_rotation", type="timestamp", future=True),
        f("mfa_active", type="boolean", req=True, desc="an MFA device is enabled"),
        f("access_key_1_active", type="boolean"),
        f("access_key_1_last_rotated", type="timestamp", desc="creation/rotation time of key 1"),
        f("access_key_1_last_used_date", type="timestamp"),
        f("access_key_1_last_used_region"),
        f("access_key_1_last_used_service"),
        f("access_key_2_active", type="boolean"),
        f("access_key_2_last_rotated", type="timestamp"),
        f("access_key_2_last_used_date", type="timestamp"),
        f("access_key_2_last_used_region"),
        f("access_key_2_last_used_service"),
        f("cert_1_active", type="boolean"),
        f("cert_1_last_rotated", type="timestamp"),
        f("cert_2_active", type="boolean"),
        f("cert_2_last_rotated", type="timestamp"),
        f(
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
        f("document_id", "_document_id", req=True, desc="unique event id"),
        f(
            "event_at",
            "@timestamp",
            "epoch_ms",
            req=True,
            aliases=("created_at",),
            desc="event time (epoch milliseconds in the export)",
        ),
        f("created_at", "created_at", "epoch_ms"),
        f("action", req=True, desc="event action, e.g. `personal_access_token.access_granted`"),
        f("actor", desc="login of the actor"),
        f("actor_id", type="integer"),
        f("actor_is_bot", type="boolean"),
        f("user", desc="login of the affected user"),
        f("org"),
        f("repo", desc="owner/name"),
        f("operation_type", allowed=("create", "access", "modify", "remove", "authentication", "transfer", "restore")),
        f("hashed_token", desc="base64 SHA-256 of the token used (token-based access)"),
        f("programmatic_access_type", desc="kind of token, e.g. Fine-grained personal access token"),
        f("token_id", type="integer"),
        f("token_scopes"),
        f("integration", desc="GitHub App name"),
        f("country_code", "actor_location.country_code"),
        f("user_agent"),
        f("request_id"),
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
        f("uuid", req=True, desc="event id"),
        f("published", type="timestamp", req=True, desc="event time"),
        f("event_type", "eventType", req=True, desc="e.g. `user.session.start`, `system.api_token.create`"),
        f("severity", allowed=("DEBUG", "INFO", "WARN", "ERROR")),
        f("display_message", "displayMessage"),
        f("actor_id", "actor.id", req=True),
        f("actor_type", "actor.type", desc="User, SystemPrincipal, PublicClientApp, ..."),
        f("actor_alternate_id", "actor.alternateId", desc="login (email) of the actor: personal data"),
        f("actor_display_name", "actor.displayName", desc="personal data"),
        f("client_id", "client.id", desc="OAuth client id"),
        f("client_ip_address", "client.ipAddress"),
        f(
            "outcome_result",
            "outcome.result",
            allowed=("SUCCESS", "FAILURE", "SKIPPED", "ALLOW", "DENY", "CHALLENGE", "UNKNOWN"),
        ),
        f("outcome_reason", "outcome.reason"),
        f("target", "target", "json", desc="target objects (JSON array)"),
        f("credential_type", "authenticationContext.credentialType"),
        f("credential_provider", "authenticationContext.credentialProvider"),
        f("transaction_id", "transaction.id"),
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
        f("record_type", req=True, allowed=("identity", "ai_system")),
        f("record_id", req=True, desc="identity key or AI system id"),
        f("name", req=True, desc="display name (personal data for humans)"),
        f("identity_kind", allowed=("human", "service", "agent", "api_key")),
        f("email", desc="work email (personal data)"),
        f("owner_team", req=True),
        f("ai_system_id", desc="identities: the AI system they belong to or act for"),
        f(
            "ai_system_category",
            allowed=("coding_assistant", "chat_assistant", "agent", "detection", "remediation", "analytics", "other"),
        ),
        f("vendor"),
        f("adoption_date", type="date", future=True, desc="planned adoptions may lie ahead"),
        f("security_owner"),
        f("finance_owner"),
        f("engineering_owner"),
        f(
            "aws_iam_user",
            desc="IAM user: its ARN, `<account>:<user>`, or a bare user name (matched only "
            "when exactly one account's credential report has that user)",
        ),
        f("okta_login"),
        f("github_login"),
        f("api_key_refs", desc="`;`-separated key references (see docs/FORMATS.md)"),
        f("status", req=True, allowed=("active", "retired")),
        f(
            "on_leave_until",
            type="date",
            future=True,
            desc="identities: on leave until this day (inclusive), empty when not; a seat of someone on leave "
            "is not reclaimable",
        ),
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
        f("arn", "ARN", req=True),
        f("name", "Name", req=True),
        f("description", "Description"),
        f("kms_key_id", "KmsKeyId"),
        f("rotation_enabled", "RotationEnabled", "boolean"),
        f("rotation_lambda_arn", "RotationLambdaARN"),
        f("rotation_after_days", "RotationRules.AutomaticallyAfterDays", "integer"),
        f("last_rotated_date", "LastRotatedDate", "timestamp", epoch_seconds=True),
        f("last_changed_date", "LastChangedDate", "timestamp", epoch_seconds=True),
        f("last_accessed_date", "LastAccessedDate", "timestamp", epoch_seconds=True),
        f("deleted_date", "DeletedDate", "timestamp", epoch_seconds=True),
        f("next_rotation_date", "NextRotationDate", "timestamp", epoch_seconds=True, future=True),
        f(
            "created_date",
            "CreatedDate",
            "timestamp",
            epoch_seconds=True,
            desc="optional: absent from some ListSecrets outputs (Duo Labs CloudMapper sample)",
        ),
        f("owning_service", "OwningService"),
        f("primary_region", "PrimaryRegion"),
        f("tags", "Tags", "json", desc="list of {Key, Value}"),
    ),
)
