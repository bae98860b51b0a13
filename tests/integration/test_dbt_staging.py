"""dbt staging layer against a real (temporary) build database.

One session-scoped build: a temp DuckDB file with every landing table (``create_all``) and a small,
consistent set of rows for every registry dataset, then ``dbt build --select staging`` in-process
(``dbtRunner``) with target and log paths in tmp, so nothing is written into the repository.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.datasets import DATASETS
from orchestration.dbt_sources import DBT_PROJECT_DIR, STAGING_DIR, staging_model_name
from orchestration.ingest.landing import create_all, landing_root
from tests.conftest import landing_tables

dbt_main = pytest.importorskip("dbt.cli.main")

DB_NAME = "ledger.duckdb"
INGESTED_AT = datetime(2025, 3, 2, 6, 0, 0)

# Rows per landing table: registry field names, values already typed and canonical, as ingest lands them.
LANDING_ROWS: dict[str, list[dict]] = {
    "iam/aws_credential_report": [
        {
            "user": "<root_account>",
            "arn": "arn:aws:iam::123456789012:root",
            "mfa_active": True,
            "password_enabled": False,
            "access_key_1_active": False,
            "access_key_2_active": False,
        },
        {
            "user": "Alice",
            "arn": "arn:aws:iam::123456789012:user/Alice",
            "mfa_active": True,
            "user_creation_time": datetime(2023, 1, 10, 9, 0),
            "password_enabled": True,
            "access_key_1_active": True,
            "access_key_1_last_rotated": datetime(2024, 6, 1),
            "access_key_1_last_used_date": datetime(2025, 2, 28, 12, 0),
            "access_key_1_last_used_region": "eu-west-1",
            "access_key_1_last_used_service": "bedrock",
        },
        {
            "user": "svc-chatbot",
            "arn": "arn:aws:iam::123456789012:user/svc-chatbot",
            "mfa_active": False,
            "access_key_1_active": True,
            "access_key_1_last_rotated": datetime(2022, 3, 1),
        },
    ],
    "iam/github_audit_log": [
        {
            "document_id": "gh-doc-1",
            "event_at": datetime(2025, 2, 27, 10, 0),
            "action": "repo.create",
            "actor": "ASmith",
            "actor_id": 101,
            "org": "example-org",
            "repo": "example-org/api",
            "operation_type": "create",
            "country_code": "GB",
        },
        {
            "document_id": "gh-doc-2",
            "event_at": datetime(2025, 2, 27, 11, 0),
            "action": "personal_access_token.access_granted",
            "actor": "copilot-agent[bot]",
            "actor_is_bot": True,
            "hashed_token": "q1w2e3r4t5y6u7i8o9p0aAsSdDfFgGhHjJkKlLzZxXc=",
            "programmatic_access_type": "Fine-grained personal access token",
            "token_id": 555,
            "operation_type": "access",
        },
    ],
    "iam/okta_system_log": [
        {
            "uuid": "okta-1",
            "published": datetime(2025, 2, 27, 8, 0),
            "event_type": "user.session.start",
            "severity": "INFO",
            "actor_id": "00u1",
            "actor_type": "User",
            "actor_alternate_id": "Alice.Smith@Example.com",
            "outcome_result": "SUCCESS",
            "target": '[{"id": "0oa1", "type": "AppInstance"}]',
        },
        {
            "uuid": "okta-2",
            "published": datetime(2025, 2, 27, 9, 0),
            "event_type": "system.api_token.create",
            "severity": "WARN",
            "actor_id": "00u1",
            "actor_type": "User",
            "outcome_result": "DENY",
        },
    ],
    "iam/identity_inventory": [
        {
            "record_type": "ai_system",
            "record_id": "ais-copilot",
            "name": "GitHub Copilot",
            "owner_team": "platform",
            "ai_system_category": "coding_assistant",
            "vendor": "GitHub",
            "adoption_date": "2024-03-01",
            "security_owner": "secops@example.com",
            "finance_owner": "finops@example.com",
            "engineering_owner": "platform-leads@example.com",
            "api_key_refs": "app:copilot-chat",
            "status": "active",
        },
        {
            "record_type": "ai_system",
            "record_id": "ais-chat",
            "name": "Support chat assistant",
            "owner_team": "support",
            "ai_system_category": "chat_assistant",
            "vendor": "OpenAI",
            "adoption_date": "2024-09-15",
            "api_key_refs": "proj_support; team-support",
            "status": "active",
        },
        {
            "record_type": "identity",
            "record_id": "hum-0001",
            "name": "Alice Smith",
            "identity_kind": "human",
            "email": "Alice.Smith@Example.com",
            "owner_team": "platform",
            "aws_iam_user": "Alice",
            "okta_login": "Alice.Smith@Example.com",
            "github_login": "ASmith",
            "api_key_refs": "hash-abc;key_A1",
            "status": "active",
        },
        {
            "record_type": "identity",
            "record_id": "svc-0001",
            "name": "Chatbot service",
            "identity_kind": "service",
            "owner_team": "support",
            "ai_system_id": "ais-chat",
            "aws_iam_user": "svc-chatbot",
            "status": "active",
        },
        {
            "record_type": "identity",
            "record_id": "agt-0001",
            "name": "Copilot agent",
            "identity_kind": "agent",
            "owner_team": "platform",
            "ai_system_id": "ais-copilot",
            "status": "retired",
        },
    ],
    "iam/secrets_inventory": [
        {
            "arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-key-AbCdEf",
            "name": "openai-key",
            "rotation_enabled": False,
            "created_date": datetime(2023, 5, 1),
            "last_accessed_date": datetime(2025, 2, 27),
            "tags": '[{"Key": "owner", "Value": "support"}]',
        },
        {
            "arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-pass-GhIjKl",
            "name": "db-pass",
            "rotation_enabled": True,
            "rotation_after_days": 30,
            "last_rotated_date": datetime(2025, 2, 1),
            "created_date": datetime(2022, 1, 1),
        },
    ],
    "usage/litellm_spend_logs": [
        {
            "request_id": "req-1",
            "call_type": "acompletion",
            "api_key": "hash-abc",
            "spend": Decimal("0.00123456789"),
            "total_tokens": 150,
            "prompt_tokens": 100,
            "completion_tokens": 50,
            "start_time": datetime(2025, 2, 27, 10, 0, 0),
            "end_time": datetime(2025, 2, 27, 10, 0, 2),
            "model": "gpt-4o",
            "custom_llm_provider": "openai",
            "user": "hum-0001",
            "team_id": "team-support",
            "metadata": '{"user_api_key_alias": "alice-dev", "user_api_key_team_id": "team-support"}',
            "request_tags": '["app:copilot-chat"]',
            "cache_hit": "False",
            "status": "success",
        },
        {
            "request_id": "req-2",
            "call_type": "acompletion",
            "api_key": "hash-def",
            "spend": Decimal("0.5"),
            "total_tokens": 2000,
            "start_time": datetime(2025, 2, 27, 11, 0),
            "model": "claude-sonnet-4",
            "metadata": '{"user_api_key_alias": "chatbot", "user_api_key_team_id": "team-support",'
            ' "user_api_key_team_alias": "Support"}',
            "status": "success",
        },
    ],
    "usage/openai_usage": [
        {
            "bucket_start": datetime(2025, 2, 27),
            "bucket_end": datetime(2025, 2, 28),
            "object": "organization.usage.completions.result",
            "input_tokens": 1000,
            "output_tokens": 200,
            "num_model_requests": 12,
            "project_id": "proj_support",
            "model": "gpt-4o-mini",
            "batch": False,
        },
        {
            "bucket_start": datetime(2025, 2, 27),
            "bucket_end": datetime(2025, 2, 28),
            "object": "organization.usage.completions.result",
            "input_tokens": 50,
            "output_tokens": 5,
            "num_model_requests": 1,
            "project_id": None,
            "model": "gpt-4o-mini",
            "batch": True,
        },
    ],
    "ai/github_copilot_usage": [
        {
            "usage_date": date(2025, 2, 27),
            "user_id": 5812034,
            "user_login": "AMartinez",
            "enterprise_id": "38291",
            "code_generation_activity_count": 171,
            "code_acceptance_activity_count": 54,
            "loc_added_sum": 363,
            "used_agent": True,
            "totals_by_feature": '[{"feature": "code_completion", "code_generation_activity_count": 120}]',
        },
        {"usage_date": date(2025, 2, 27), "user_id": 1, "user_login": "octocat", "enterprise_id": "38291"},
    ],
    "ai/github_copilot_org_usage": [
        {
            "usage_date": date(2025, 2, 27),
            "organization_id": "104418827",
            "daily_active_users": 7,
            "pull_requests_created": 9,
            "pull_requests_created_by_copilot": 1,
            "median_minutes_to_merge": Decimal("131.5"),
        },
    ],
    "ai/github_copilot_seats": [
        {
            "assignee_id": 5812034,
            "assignee_login": "AMartinez",
            "assignee_type": "User",
            "plan_type": "business",
            "seat_created_at": datetime(2024, 2, 14, 16, 31, 7),
            "last_activity_at": datetime(2025, 2, 27, 0, 44, 19),
            "assigning_team_slug": "platform-eng",
        },
        {
            "assignee_id": 1,
            "assignee_login": "octocat",
            "plan_type": "business",
            "seat_created_at": datetime(2024, 9, 1),
            "pending_cancellation_date": date(2025, 3, 31),
        },
    ],
    "ai/anthropic_usage": [
        {
            "starting_at": datetime(2025, 2, 27),
            "ending_at": datetime(2025, 2, 28),
            "uncached_input_tokens": 1284512,
            "cache_read_input_tokens": 3910488,
            "cache_creation_5m_input_tokens": 212340,
            "cache_creation_1h_input_tokens": 1000,
            "output_tokens": 268931,
            "api_key_id": "apikey_01Hq7mZtR3xWpV9cKd2LbNs4",
            "model": "claude-3-5-sonnet-20240620",
            "service_tier": "standard",
        },
    ],
    "ai/anthropic_cost": [
        {
            "starting_at": datetime(2025, 2, 27),
            "ending_at": datetime(2025, 2, 28),
            "amount": Decimal("390.8256"),
            "currency": "USD",
            "description": "Claude Sonnet 3.5 Usage - Input Tokens",
            "cost_type": "tokens",
            "token_type": "uncached_input_tokens",
            "model": "claude-3-5-sonnet-20240620",
        },
    ],
    "ai/claude_code_usage": [
        {
            "activity_date": datetime(2025, 2, 27),
            "actor_type": "user_actor",
            "actor_email": "Maria.Chen@example.com",
            "terminal_type": "vscode",
            "num_sessions": 6,
            "lines_added": 812,
            "commits": 4,
            "pull_requests": 1,
            "model_breakdown": '[{"model": "claude-3-5-sonnet-20240620", "estimated_cost": {"amount": 339, '
            '"currency": "USD"}}]',
        },
        {"activity_date": datetime(2025, 2, 27), "actor_type": "api_actor", "actor_api_key_name": "ci-review-bot"},
    ],
    "ai/openai_costs": [
        {
            "bucket_start": datetime(2025, 2, 27),
            "bucket_end": datetime(2025, 2, 28),
            "object": "organization.costs.result",
            "amount": Decimal("3.1862125"),
            "currency": "usd",
            "line_item": "gpt-4o-2024-08-06, input",
            "project_id": "proj_support",
        },
    ],
    "ai/bedrock_invocations": [
        {
            "request_id": "7f3c2a91-5d84-4b6e-9a0f-3c1e8d2b7a45",
            "invoked_at": datetime(2025, 2, 27, 8, 14, 9),
            "schema_type": "ModelInvocationLog",
            "identity_arn": "arn:aws:sts::111122223333:assumed-role/app/i-0a1b2c3d4e5f67890",
            "operation": "Converse",
            "model_id": "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "input_tokens": 211,
            "cache_write_input_tokens": 1536,
            "output_tokens": 64,
        },
    ],
    "ai/cursor_daily_usage": [
        {"usage_date": datetime(2025, 2, 27), "email": "Alice@example.com", "is_active": True, "chat_requests": 37},
    ],
    "ai/cursor_usage_events": [
        {
            "event_at": datetime(2025, 2, 27, 14, 2, 7),
            "user_email": "bob@example.com",
            "model": "claude-3.5-sonnet",
            "kind": "Usage-based",
            "input_tokens": 5805,
            "token_cents": Decimal("6.694500000000001"),
            "cursor_token_fee_cents": Decimal("0.452"),
            "charged_cents": Decimal("7.1465000000000005"),
        },
    ],
    "policy/opa_decision_logs": [
        {
            "decision_id": "dec-1",
            "path": "ai/tools/allow",
            "decided_at": datetime(2025, 2, 27, 10, 0),
            "input": '{"subject": "Alice.Smith@Example.com", "subject_kind": "human", "ai_system": "ais-copilot",'
            ' "action": "invoke"}',
            "result": "true",
            "labels": '{"id": "opa-1"}',
        },
        {
            "decision_id": "dec-2",
            "path": "ai/tools/allow",
            "decided_at": datetime(2025, 2, 27, 10, 5),
            "input": '{"subject": "svc-0001", "ai_system": "shadow-gpt", "action": "tool_call"}',
            "result": '{"allow": false, "reasons": ["static credential"]}',
            "req_id": 42,
        },
    ],
    "billing/focus": [
        {
            "billed_cost": Decimal("12.34567890123"),
            "effective_cost": Decimal("12.34567890123"),
            "billing_account_id": "acct-1",
            "billing_currency": "usd",
            "billing_period_start": datetime(2025, 2, 1),
            "billing_period_end": datetime(2025, 3, 1),
            "charge_category": "Usage",
            "charge_frequency": "Usage-Based",
            "charge_period_start": datetime(2025, 2, 27),
            "charge_period_end": datetime(2025, 2, 28),
            "provider_name": "OpenAI",
            "service_category": "AI and Machine Learning",
            "service_name": "GPT-4o",
            "tags": '{"ai_system": "ais-chat"}',
            "_extra": '{"x_ServiceCode": "gpt"}',
        },
        {
            "billed_cost": Decimal("19.00000000000"),
            "effective_cost": Decimal("19"),
            "billing_account_id": "acct-1",
            "billing_currency": "USD",
            "billing_period_start": datetime(2025, 2, 1),
            "billing_period_end": datetime(2025, 3, 1),
            "charge_category": "Purchase",
            "charge_frequency": "Recurring",
            "charge_period_start": datetime(2025, 2, 1),
            "charge_period_end": datetime(2025, 3, 1),
            "provider_name": "GitHub",
            "service_name": "Copilot Business",
            "tags": None,
        },
        {
            "billed_cost": Decimal("-0.00000000001"),
            "effective_cost": Decimal("-0.00000000001"),
            "billing_account_id": "acct-1",
            "billing_currency": "USD",
            "billing_period_start": datetime(2025, 2, 1),
            "billing_period_end": datetime(2025, 3, 1),
            "charge_category": "Credit",
            "charge_period_start": datetime(2025, 2, 1),
            "charge_period_end": datetime(2025, 3, 1),
            "service_name": "Compute Engine",
            "tags": "{}",
        },
    ],
    "billing/saas_licences": [
        {
            "licence_id": "lic-copilot",
            "vendor": "GitHub",
            "product": "Copilot Business",
            "ai_system_id": "ais-copilot",
            "billing_period_start": "2025-02-01",
            "billing_period_end": "2025-02-28",
            "billing_frequency": "monthly",
            "seats_purchased": 50,
            "seats_assigned": 45,
            "seats_active_30d": 38,
            "unit_price": Decimal("19"),
            "amount": Decimal("950"),
            "currency": "usd",
            "status": "active",
            "owner_team": "platform",
        },
        {
            "licence_id": "lic-oldtool",
            "vendor": "OldVendor",
            "product": "Legacy search",
            "billing_period_start": "2025-01-01",
            "billing_period_end": "2025-12-31",
            "billing_frequency": "annual",
            "seats_purchased": 10,
            "seats_assigned": 0,
            "seats_active_30d": 0,
            "unit_price": Decimal("120.5"),
            "amount": Decimal("1205"),
            "currency": "EUR",
            "status": "retired",
            "retired_date": "2025-02-15",
        },
    ],
    "delivery/changes": [
        {
            "source": "github",
            "event_type": "push",
            "change_id": "c1",
            "time_created": datetime(2025, 2, 20, 9),
            "repo": "api",
            "team": "platform",
            "author": "ASmith",
            "approved_at": datetime(2025, 2, 20, 15),
        },
        {
            "source": "github",
            "event_type": "push",
            "change_id": "c2",
            "time_created": datetime(2025, 2, 21, 9),
            "repo": "api",
            "team": "platform",
        },
        {
            "source": "github",
            "event_type": "pull_request",
            "change_id": "c3",
            "time_created": datetime(2025, 2, 22, 9),
            "repo": "web",
            "team": "support",
        },
    ],
    "delivery/deployments": [
        {
            "source": "github",
            "deploy_id": "dep-1",
            "time_created": datetime(2025, 2, 22, 12),
            "main_commit": "c2",
            "changes": '["c1", "c2"]',
            "repo": "api",
            "team": "platform",
            "environment": "Production",
        },
        {
            "source": "github",
            "deploy_id": "dep-2",
            "time_created": datetime(2025, 2, 23, 12),
            "main_commit": "c3",
            "changes": "c3",
            "repo": "web",
            "team": "support",
            "environment": "production",
        },
    ],
    "delivery/incidents": [
        {
            "source": "pagerduty",
            "incident_id": "inc-1",
            "time_created": datetime(2025, 2, 23, 13),
            "time_resolved": datetime(2025, 2, 23, 15),
            "changes": "c3",
            "repo": "web",
            "team": "support",
            "title": "Checkout errors",
        },
    ],
    "delivery/work_items": [
        {
            "key": "PLAT-1",
            "type": "toil",
            "created": datetime(2025, 2, 1, 9),
            "resolved": datetime(2025, 2, 3, 9),
            "assignee": "ASmith",
            "team": "platform",
            "effort_hours": Decimal("3.5"),
            "status": "Done",
            "labels": "AI-Assisted; toil",
        },
        {"key": "SUP-7", "type": "bug", "created": datetime(2025, 2, 5, 9), "team": "support", "status": "In Progress"},
    ],
    "security/incidents": [
        {
            "finding_uid": "sec-1",
            "title": "Leaked API key used",
            "severity": "High",
            "status": "Resolved",
            "start_time": datetime(2025, 1, 10, 2),
            "detected_time": datetime(2025, 1, 10, 3),
            "end_time": datetime(2025, 1, 10, 9),
            "category": "credential_abuse",
            "ai_system_id": "ais-chat",
            "detected_by": "ai",
            "affected_identities": 1,
            "affected_secrets": 1,
            "response_hours": Decimal("6"),
            "loss_amount": Decimal("2500.5"),
            "currency": "usd",
        },
        {
            "finding_uid": "sec-2",
            "title": "Phishing wave",
            "severity": "Medium",
            "status": "Closed",
            "start_time": datetime(2025, 2, 1, 8),
            "category": "phishing",
            "detected_by": "human",
        },
    ],
    "assumptions/scenarios": [
        {
            "scenario_id": "scn-cred-abuse",
            "ai_system_id": "ais-chat",
            "ledger": "defensive",
            "frequency_model": "poisson",
            "frequency_mode": Decimal("0.1"),
            "loss_low_90": Decimal("100000"),
            "loss_high_90": Decimal("1000000"),
            "currency": "USD",
            "control_efficacy": Decimal("0.3"),
            "loss_reduction": Decimal("0.2"),
            "annual_control_cost": Decimal("20000"),
            "horizon_years": 3,
            "source": "IBM Cost of a Data Breach 2025; Verizon DBIR 2025",
        },
        {
            "scenario_id": "scn-remediation",
            "ai_system_id": "ais-copilot",
            "ledger": "defensive",
            "frequency_model": "pert",
            "frequency_low": Decimal("1"),
            "frequency_mode": Decimal("2"),
            "frequency_high": Decimal("6"),
            "loss_low_90": Decimal("5000"),
            "loss_high_90": Decimal("50000"),
            "currency": "usd",
            "control_efficacy": Decimal("0.5"),
            "loss_reduction": Decimal("0.4"),
            "annual_control_cost": Decimal("12000"),
            "source": "team estimate",
        },
    ],
}


def insert_rows(con: duckdb.DuckDBPyConnection, dataset_key: str, rows: list[dict], *, first_line: int = 1) -> None:
    """Insert typed rows into a landing table with provenance, as ingest would."""
    system, name = dataset_key.split("/")
    for line, row in enumerate(rows, start=first_line):
        full = {
            **row,
            "_source_file": f"raw/{system}/{name}/export.csv",
            "_file_sha256": f"sha-{system}-{name}",
            "_line": line,
            "_ingested_at": INGESTED_AT,
        }
        columns = ", ".join(f'"{c}"' for c in full)
        marks = ", ".join("?" for _ in full)
        con.execute(f"insert into landing_{system}.{name} ({columns}) values ({marks})", list(full.values()))


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    """A connection to a database dbt may still hold open in this process.

    dbt-duckdb keeps its DuckDB instance open after an in-process invocation; a connection with the same
    configuration (read-write, no options) shares that instance, where a different one (read_only) is refused.
    """
    return duckdb.connect(str(db))


def run_dbt(args: list[str], tmp: Path) -> dbt_main.dbtRunnerResult:
    common = [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(tmp / "target"),
        "--log-path",
        str(tmp / "logs"),
    ]
    return dbt_main.dbtRunner().invoke([*args, *common, "--quiet"])


@pytest.fixture(scope="module")
def staging_build(module_tmp):
    """(db path, dbt result) of ``dbt build --select staging`` on a landing database holding every dataset."""
    tmp = module_tmp("dbt_staging")
    db = tmp / "good" / DB_NAME
    db.parent.mkdir()
    with duckdb.connect(str(db)) as con:
        create_all(con, landing_root(db))
        landing_tables(con)
        for key, rows in LANDING_ROWS.items():
            insert_rows(con, key, rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROI_LEDGER_DUCKDB_PATH", str(db))
        result = run_dbt(["build", "--select", "staging"], tmp)
    return db, result, tmp


def test_every_dataset_has_rows_in_the_fixture():
    assert set(LANDING_ROWS) == {ds.key for ds in DATASETS}


def test_staging_build_succeeds(staging_build):
    _, result, _ = staging_build
    failures = [
        (r.node.unique_id, str(r.status), r.message)
        for r in (result.result or [])
        if str(r.status) not in ("success", "pass")
    ]
    assert result.success, failures or result.exception
    assert not failures
    kinds = {r.node.resource_type for r in result.result}
    assert {"model", "test", "unit_test"} <= {str(k) for k in kinds}


def test_every_staging_view_is_selectable_and_documented(staging_build):
    db, _, _ = staging_build
    documented: dict[str, list[str]] = {}
    for path in STAGING_DIR.glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            documented[model["name"]] = [c["name"] for c in model["columns"]]
    with connect(db) as con:
        for ds in DATASETS:
            view = staging_model_name(ds)
            rows = con.execute(f"select count(*) from staging.{view}").fetchone()[0]
            assert rows == len(LANDING_ROWS[ds.key]), view
            columns = [r[0] for r in con.execute(f"describe staging.{view}").fetchall()]
            assert columns == documented[view], f"{view}: columns differ from _<system>__models.yml"
            assert columns[-4:] == ["_source_file", "_file_sha256", "_line", "_ingested_at"], view


def test_staging_normalises_values(staging_build):
    db, _, _ = staging_build
    with connect(db) as con:

        def one(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        assert one(
            "select deployment_id, change_ids, environment from staging.stg_delivery__deployments order by 1"
        ) == [("dep-1", "c1;c2", "production"), ("dep-2", "c3", "production")]
        assert one(
            "select decision_id, subject_ref, subject_kind, ai_system_ref, action, is_allowed "
            "from staging.stg_policy__opa_decision_logs order by 1"
        ) == [
            ("dec-1", "alice.smith@example.com", "human", "ais-copilot", "invoke", True),
            ("dec-2", "svc-0001", None, "shadow-gpt", "tool_call", False),
        ]
        assert one(
            "select sum(billed_cost), count(distinct cost_line_id), count(ai_system_tag), "
            "min(billing_currency) from staging.stg_billing__focus"
        ) == [(Decimal("31.34567890122"), 3, 1, "USD")]
        assert one("select typeof(billed_cost) from staging.stg_billing__focus limit 1") == [("DECIMAL(38,18)",)]
        assert one(
            "select record_id, email, github_login, aws_iam_user_name, api_key_refs "
            "from staging.stg_iam__identity_inventory where record_type = 'identity' order by 1"
        )[1] == ("hum-0001", "alice.smith@example.com", "asmith", "alice", "hash-abc;key_A1")
        assert one(
            "select team_id, team_alias, api_key_alias, request_tags from staging.stg_usage__litellm_spend_logs "
            "order by request_id"
        ) == [("team-support", None, "alice-dev", "app:copilot-chat"), ("team-support", "Support", "chatbot", None)]
        assert one("select iam_user_name, is_root_account from staging.stg_iam__aws_credential_report order by 1") == [
            ("<root_account>", True),
            ("alice", False),
            ("svc-chatbot", False),
        ]
        assert one("select labels from staging.stg_delivery__work_items where work_item_key = 'PLAT-1'") == [
            ("ai-assisted;toil",)
        ]
        assert one(
            "select extra_columns_json from staging.stg_billing__focus where extra_columns_json is not null"
        ) == [('{"x_ServiceCode": "gpt"}',)]
        assert one("select finding_uid, currency from staging.stg_security__incidents order by 1") == [
            ("sec-1", "USD"),
            ("sec-2", "USD"),
        ]


def test_staging_never_exposes_raw_records(staging_build):
    db, _, _ = staging_build
    with connect(db) as con:
        leaked = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'staging' "
            "and column_name in ('_record', 'metadata', 'input')"
        ).fetchall()
    assert leaked == []


def _copy_of_build(db: Path, tmp: Path, name: str) -> Path:
    copy = tmp / name / DB_NAME  # same file name: the views' catalog name stays valid
    copy.parent.mkdir()
    with connect(db) as con:
        con.execute("checkpoint")  # flush the WAL so the copy holds the staged tables
    shutil.copy(db, copy)
    return copy


def test_repeated_natural_keys_stage_once_and_differing_copies_not_at_all(staging_build):
    """Landing keeps a vendor's repeats; staging applies the rule: an identical copy of a change collapses, two
    copies of another change that disagree are both left out; the staged key stays unique."""
    db, result, tmp = staging_build
    assert result.success
    repeated = _copy_of_build(db, tmp, "repeated")
    first = LANDING_ROWS["delivery/changes"][0]
    with duckdb.connect(str(repeated)) as con:
        insert_rows(con, "delivery/changes", [first], first_line=99)  # identical to the landed row
        differing = {**first, "change_id": "conflict-1"}
        insert_rows(con, "delivery/changes", [differing, {**differing, "author": "someone-else"}], first_line=200)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROI_LEDGER_DUCKDB_PATH", str(repeated))
        assert run_dbt(["build", "--select", "stg_delivery__changes"], tmp / "repeated").success
    with connect(repeated) as con:
        staged = con.execute(
            "select change_id, count(*) from staging.stg_delivery__changes "
            "where change_id in (?, 'conflict-1') group by 1",
            [first["change_id"]],
        ).fetchall()
    assert staged == [(first["change_id"], 1)]


def test_a_staged_duplicate_fails_the_unique_gate(staging_build):
    """The gate the repeat rules answer to: a staging model that lets a key through twice fails `unique`, naming
    the test (here every staged row is staged twice)."""
    db, result, tmp = staging_build
    assert result.success
    bad = _copy_of_build(db, tmp, "bad")
    with duckdb.connect(str(bad)) as con:
        con.execute("insert into staging.stg_delivery__changes select * from staging.stg_delivery__changes")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROI_LEDGER_DUCKDB_PATH", str(bad))
        bad_result = run_dbt(["test", "--select", "stg_delivery__changes"], tmp / "bad")
    assert not bad_result.success
    failed = {r.node.name for r in bad_result.result if str(r.status) in ("fail", "error")}
    assert "unique_incremental_stg_delivery__changes_change_id" in failed
    assert os.path.exists(tmp / "bad" / "target" / "run_results.json")
