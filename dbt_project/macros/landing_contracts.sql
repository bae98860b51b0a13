{#- Generated from orchestration/datasets.py by `make generate` (orchestration/codegen.py): do not edit by hand. -#}
{#- landing_contracts(): every landed dataset's natural key, contract fields, extra column and money fields. -#}
{% macro landing_contracts() -%}
{{ return([
  {
    "system": "iam",
    "name": "aws_credential_report",
    "natural_key": [
      "arn",
      "_file_sha256"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "user",
      "arn",
      "user_creation_time",
      "password_enabled",
      "password_last_used",
      "password_last_changed",
      "password_next_rotation",
      "mfa_active",
      "access_key_1_active",
      "access_key_1_last_rotated",
      "access_key_1_last_used_date",
      "access_key_1_last_used_region",
      "access_key_1_last_used_service",
      "access_key_2_active",
      "access_key_2_last_rotated",
      "access_key_2_last_used_date",
      "access_key_2_last_used_region",
      "access_key_2_last_used_service",
      "cert_1_active",
      "cert_1_last_rotated",
      "cert_2_active",
      "cert_2_last_rotated",
      "generated_time"
    ],
    "extra": "_extra",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "iam",
    "name": "github_audit_log",
    "natural_key": [
      "document_id"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "document_id",
      "event_at",
      "created_at",
      "action",
      "actor",
      "actor_id",
      "actor_is_bot",
      "user",
      "org",
      "repo",
      "operation_type",
      "hashed_token",
      "programmatic_access_type",
      "token_id",
      "token_scopes",
      "integration",
      "country_code",
      "user_agent",
      "request_id"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "iam",
    "name": "okta_system_log",
    "natural_key": [
      "uuid"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "uuid",
      "published",
      "event_type",
      "severity",
      "display_message",
      "actor_id",
      "actor_type",
      "actor_alternate_id",
      "actor_display_name",
      "client_id",
      "client_ip_address",
      "outcome_result",
      "outcome_reason",
      "target",
      "credential_type",
      "credential_provider",
      "transaction_id"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "iam",
    "name": "identity_inventory",
    "natural_key": [
      "record_type",
      "record_id"
    ],
    "key_never_null": true,
    "repeats": "latest",
    "fields": [
      "record_type",
      "record_id",
      "name",
      "identity_kind",
      "email",
      "owner_team",
      "ai_system_id",
      "ai_system_category",
      "vendor",
      "adoption_date",
      "security_owner",
      "finance_owner",
      "engineering_owner",
      "aws_iam_user",
      "okta_login",
      "github_login",
      "api_key_refs",
      "status"
    ],
    "extra": "_extra",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "iam",
    "name": "secrets_inventory",
    "natural_key": [
      "arn",
      "_file_sha256"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "arn",
      "name",
      "description",
      "kms_key_id",
      "rotation_enabled",
      "rotation_lambda_arn",
      "rotation_after_days",
      "last_rotated_date",
      "last_changed_date",
      "last_accessed_date",
      "deleted_date",
      "next_rotation_date",
      "created_date",
      "owning_service",
      "primary_region",
      "tags"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "usage",
    "name": "litellm_spend_logs",
    "natural_key": [
      "request_id"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "request_id",
      "call_type",
      "api_key",
      "spend",
      "total_tokens",
      "prompt_tokens",
      "completion_tokens",
      "start_time",
      "end_time",
      "request_duration_ms",
      "model",
      "model_id",
      "model_group",
      "custom_llm_provider",
      "api_base",
      "user",
      "metadata",
      "cache_hit",
      "request_tags",
      "team_id",
      "organization_id",
      "end_user",
      "status",
      "session_id",
      "agent_id"
    ],
    "extra": "_record",
    "money_fields": [
      "spend"
    ],
    "currency_field": none,
    "currency": "USD"
  },
  {
    "system": "usage",
    "name": "openai_usage",
    "natural_key": [
      "bucket_start",
      "project_id",
      "user_id",
      "api_key_id",
      "model",
      "batch",
      "service_tier"
    ],
    "key_never_null": false,
    "repeats": "latest",
    "fields": [
      "bucket_start",
      "bucket_end",
      "object",
      "input_tokens",
      "output_tokens",
      "input_cached_tokens",
      "input_audio_tokens",
      "output_audio_tokens",
      "num_model_requests",
      "project_id",
      "user_id",
      "api_key_id",
      "model",
      "batch",
      "service_tier"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "policy",
    "name": "opa_decision_logs",
    "natural_key": [
      "decision_id"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "decision_id",
      "path",
      "input",
      "result",
      "decided_at",
      "labels",
      "bundles",
      "requested_by",
      "req_id",
      "metrics"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "billing",
    "name": "focus",
    "natural_key": [
      "_source_file",
      "_line"
    ],
    "key_never_null": true,
    "repeats": "positional",
    "fields": [
      "billed_cost",
      "effective_cost",
      "list_cost",
      "contracted_cost",
      "billing_account_id",
      "billing_account_name",
      "billing_account_type",
      "billing_currency",
      "billing_period_start",
      "billing_period_end",
      "charge_category",
      "charge_class",
      "charge_description",
      "charge_frequency",
      "charge_period_start",
      "charge_period_end",
      "commitment_discount_id",
      "commitment_discount_status",
      "consumed_quantity",
      "consumed_unit",
      "pricing_category",
      "pricing_quantity",
      "pricing_unit",
      "list_unit_price",
      "contracted_unit_price",
      "invoice_id",
      "invoice_issuer_name",
      "provider_name",
      "publisher_name",
      "region_id",
      "resource_id",
      "resource_name",
      "resource_type",
      "service_category",
      "service_subcategory",
      "service_name",
      "sku_id",
      "sku_price_id",
      "sub_account_id",
      "sub_account_name",
      "tags",
      "contract_applied",
      "allocated_method_id",
      "allocated_resource_id",
      "allocated_tags"
    ],
    "extra": "_extra",
    "money_fields": [
      "billed_cost",
      "effective_cost",
      "list_cost",
      "contracted_cost"
    ],
    "currency_field": "billing_currency",
    "currency": none
  },
  {
    "system": "billing",
    "name": "saas_licences",
    "natural_key": [
      "licence_id",
      "billing_period_start"
    ],
    "key_never_null": true,
    "repeats": "latest",
    "fields": [
      "licence_id",
      "vendor",
      "product",
      "ai_system_id",
      "sku",
      "billing_period_start",
      "billing_period_end",
      "billing_frequency",
      "seats_purchased",
      "seats_assigned",
      "seats_active_30d",
      "unit_price",
      "amount",
      "currency",
      "status",
      "retired_date",
      "owner_team"
    ],
    "extra": "_extra",
    "money_fields": [
      "amount"
    ],
    "currency_field": "currency",
    "currency": none
  },
  {
    "system": "delivery",
    "name": "changes",
    "natural_key": [
      "change_id"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "source",
      "event_type",
      "change_id",
      "time_created",
      "repo",
      "team",
      "author",
      "approved_at",
      "metadata"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "delivery",
    "name": "deployments",
    "natural_key": [
      "deploy_id"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "source",
      "deploy_id",
      "time_created",
      "main_commit",
      "changes",
      "repo",
      "team",
      "environment"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "delivery",
    "name": "incidents",
    "natural_key": [
      "incident_id"
    ],
    "key_never_null": true,
    "repeats": "latest",
    "fields": [
      "source",
      "incident_id",
      "time_created",
      "time_resolved",
      "changes",
      "repo",
      "team",
      "title"
    ],
    "extra": "_record",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "delivery",
    "name": "work_items",
    "natural_key": [
      "key"
    ],
    "key_never_null": true,
    "repeats": "latest",
    "fields": [
      "key",
      "type",
      "created",
      "resolved",
      "assignee",
      "team",
      "effort_hours",
      "story_points",
      "status",
      "labels"
    ],
    "extra": "_extra",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  },
  {
    "system": "security",
    "name": "incidents",
    "natural_key": [
      "finding_uid"
    ],
    "key_never_null": true,
    "repeats": "latest",
    "fields": [
      "finding_uid",
      "title",
      "severity",
      "status",
      "start_time",
      "detected_time",
      "end_time",
      "category",
      "ai_system_id",
      "detected_by",
      "affected_identities",
      "affected_secrets",
      "response_hours",
      "loss_amount",
      "currency"
    ],
    "extra": "_extra",
    "money_fields": [
      "loss_amount"
    ],
    "currency_field": "currency",
    "currency": "USD"
  },
  {
    "system": "assumptions",
    "name": "scenarios",
    "natural_key": [
      "scenario_id",
      "_file_sha256"
    ],
    "key_never_null": true,
    "repeats": "events",
    "fields": [
      "scenario_id",
      "ai_system_id",
      "ledger",
      "description",
      "frequency_model",
      "frequency_low",
      "frequency_mode",
      "frequency_high",
      "loss_low_90",
      "loss_high_90",
      "currency",
      "control_efficacy",
      "loss_reduction",
      "annual_control_cost",
      "horizon_years",
      "incident_category",
      "use_observed",
      "source"
    ],
    "extra": "_extra",
    "money_fields": [],
    "currency_field": none,
    "currency": none
  }
]) }}
{%- endmacro %}
