"""Drift tests of the incremental models (dbt_project/macros/increments.sql): each keeps the increment's rules."""

from __future__ import annotations

import json

INCREMENT_HOOKS = {
    "stg_": ("landing_increment_prepare", "landing_increment_finish"),
    "int_usage__attributed": ("usage_attributed_increment_prepare", "usage_attributed_increment_finish"),
    "fct_ai_usage": ("usage_totals_increment_prepare", "usage_totals_increment_finish"),
    "fct_landing_repeats": ("landing_repeats_increment_prepare", "landing_repeats_increment_finish"),
    "int_identity__iam_keys": ("observed_keys_increment_prepare", "observed_keys_increment_finish"),
    "int_identity__activity_keys": ("observed_keys_increment_prepare", "observed_keys_increment_finish"),
    "int_identity__ai_tool_keys": ("observed_keys_increment_prepare", "observed_keys_increment_finish"),
}


def _incremental_models(manifest_path) -> dict[str, dict]:
    manifest = json.loads(manifest_path.read_text())
    return {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"
    }


def test_the_event_models_are_incremental(dbt_manifest):
    models = _incremental_models(dbt_manifest)
    assert {
        "stg_usage__litellm_spend_logs",
        "stg_usage__openai_usage",
        "stg_policy__opa_decision_logs",
        "stg_iam__okta_system_log",
        "stg_iam__github_audit_log",
        "stg_billing__focus",
        "stg_delivery__changes",
        "stg_delivery__deployments",
        "stg_ai__github_copilot_usage",
        "stg_ai__anthropic_usage",
        "stg_ai__bedrock_invocations",
        "stg_ai__cursor_usage_events",
        "stg_ai__claude_code_usage",
        "stg_ai__cursor_daily_usage",
        "int_usage__attributed",
        "fct_ai_usage",
        "fct_landing_repeats",
        "int_identity__iam_keys",
        "int_identity__activity_keys",
        "int_identity__ai_tool_keys",
    } == set(models)


def test_every_incremental_model_runs_the_increment_hooks_and_reads_no_nightly_var(dbt_manifest):
    """Without its hooks an incremental model would append every night's rows again; a var that changes by
    night (as_of) would make yesterday's rows differ from a full refresh's."""
    for name, node in _incremental_models(dbt_manifest).items():
        prepare, finish = next(v for k, v in INCREMENT_HOOKS.items() if name.startswith(k))
        assert [h["sql"].split("(")[0].strip("{ ") for h in node["config"]["pre-hook"]] == [prepare], name
        assert [h["sql"].split("(")[0].strip("{ ") for h in node["config"]["post-hook"]] == [finish], name
        assert "var(" not in node["raw_code"], f"{name} reads a dbt var"
        assert node["config"]["on_schema_change"] in ("sync_all_columns", "append_new_columns"), name
