"""Every public vendor sample under tests/fixtures/real/ (see its README) lands as the vendor shipped it: the exact
outcome of each file, money equal to the file's own text to the last digit, and no secret detector mistaking real
data for a credential."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.datasets import BY_KEY
from orchestration.ingest import engine
from orchestration.ingest.contract import TimeWindow

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
WINDOW = TimeWindow(date(2026, 10, 31), 24)

#: file -> (rows read, rows landed, {line: (column, reason prefix)} of what a vendor shipped broken)
EXPECTED: dict[str, tuple[int, int, dict[int, tuple[str, str]]]] = {
    "billing/focus/focus_sample.csv": (1000, 1000, {}),
    "iam/okta_system_log/demisto_content__Okta_v2__get_logs_response.json": (2, 2, {}),
    "iam/okta_system_log/okta_developer_docs__system-log__example_LogEvent.json": (
        1,
        0,
        {1: ("published", "not a timestamp (ISO 8601, 'YYYY-MM-DD HH:MM:SS' or YYYYMMDD): '2017-09-31T22:23:07.777Z'")},
    ),
    "iam/okta_system_log/okta_developer_docs__event-hooks__sample_delivery_payload.json": (1, 1, {}),
    "iam/github_audit_log/azure_sentinel__ASIM__Github_sample_logs.json": (63, 63, {}),
    "iam/github_audit_log/github_rest_api__audit-log__example_response.json": (3, 3, {}),
    "iam/aws_credential_report/cloudmapper__iam-get-credential-report.json": (3, 3, {}),
    "iam/secrets_inventory/cloudmapper__secretsmanager-list-secrets.json": (1, 1, {}),
    "usage/openai_usage/openai-openapi__organization_usage_completions__example_response__2024-12-04_7d205ff.json": (
        1,
        1,
        {},
    ),
    "usage/openai_usage/openai-openapi__organization_usage_completions__example_response__2026-08-21_f85dbe2.json": (
        1,
        1,
        {},
    ),
    "policy/opa_decision_logs/opa_docs__management-decision-logs__service_api_example.json": (1, 1, {}),
    "ai/github_copilot_usage/faros-ai__airbyte-connectors__enterprise_users_1_day_daily_copilot-usage-report.jsonl": (
        1,
        1,
        {},
    ),
    "ai/github_copilot_usage/faros-ai__airbyte-connectors__enterprise_users_28_day_copilot-usage-report.jsonl": (
        1,
        1,
        {},
    ),
    "ai/github_copilot_usage/github__docs__example-schema_user-level.json": (1, 1, {}),
    "ai/github_copilot_org_usage/github__docs__example-schema_enterprise-level.json": (2, 2, {}),
    "ai/github_copilot_org_usage/google__go-github__copilot_test_DownloadDailyMetrics_response.json": (1, 1, {}),
    "ai/github_copilot_seats/faros-ai__airbyte-connectors__copilot_seats.json": (2, 2, {}),
    "ai/github_copilot_seats/github__docs__rest-data_copilot-seats-list_example.json": (2, 2, {}),
    "ai/github_copilot_seats/google__go-github__copilot_test_ListCopilotSeats_response.json": (4, 4, {}),
    "ai/openai_costs/openai__openai-openapi__costs_example_response_7d205ff_2024-12-04.json": (1, 1, {}),
    "ai/openai_costs/openai__openai-openapi__costs_example_response_f85dbe2.json": (1, 1, {}),
}

#: OpenAI's documented example of each other usage endpoint: one result each, landed.
OPENAI_ENDPOINTS = (
    "embeddings",
    "moderations",
    "images",
    "audio_speeches",
    "audio_transcriptions",
    "vector_stores",
    "code_interpreter_sessions",
    "file_search_calls",
    "web_search_calls",
)
EXPECTED |= {
    f"usage/openai_usage/openai-openapi__organization_usage_{e}__example_response__2026-08-21_f85dbe2.json": (1, 1, {})
    for e in OPENAI_ENDPOINTS
}


def samples() -> list[Path]:
    return sorted(p for p in REAL.glob("*/*/*") if p.is_file() and not p.name.endswith(".md"))


def test_every_sample_has_provenance_licence_and_an_expectation():
    assert {p.relative_to(REAL).as_posix() for p in samples()} == set(EXPECTED)
    for p in samples():
        provenance = p.with_name(p.name + ".PROVENANCE.md").read_text()
        assert "Source" in provenance and "Licence" in provenance, p
        assert f"{p.parent.parent.name}/{p.parent.name}" in BY_KEY


@pytest.fixture(scope="module")
def landed(module_tmp):
    """Every sample ingested into one build database, as a night would (module-wide, read-only use)."""
    root = module_tmp("real")
    raw = root / "raw"
    for p in samples():
        target = raw / p.relative_to(REAL)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(p.read_bytes())
    con = engine.connect(root / "build.duckdb")
    results = {}
    for key in sorted({f"{p.parent.parent.name}/{p.parent.name}" for p in samples()}):
        for f in engine.ingest_dataset(con, raw, BY_KEY[key], run_id="real", window=WINDOW).files:
            results[f.source_file] = f
    return con, results


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_each_sample_lands_as_shipped(landed, rel):
    con, results = landed
    read, accepted, broken = EXPECTED[rel]
    f = results[rel]
    assert (f.status, f.rows_read, f.rows_accepted) == ("landed", read, accepted), f
    got = {
        line: (column, reason)
        for line, column, reason in con.execute(
            "SELECT line, column_name, reason FROM audit.quarantine WHERE source_file = ?", [rel]
        ).fetchall()
    }
    assert set(got) == set(broken)
    for line, (column, prefix) in broken.items():
        assert got[line][0] == column and got[line][1].startswith(prefix), got[line]


def test_no_secret_detector_takes_real_data_for_a_credential(landed):
    con, _ = landed
    assert con.execute("SELECT * FROM audit.redactions").fetchall() == []


def _text_totals(path: Path) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            for column, name in (
                ("BilledCost", "billed_cost"),
                ("EffectiveCost", "effective_cost"),
                ("ListCost", "list_cost"),
                ("ContractedCost", "contracted_cost"),
            ):
                if row[column] != "NULL":
                    key = (name, row["BillingCurrency"].strip().upper())
                    totals[key] = totals.get(key, Decimal(0)) + Decimal(row[column])
    return totals


def test_focus_sample_money_equals_the_files_own_text(landed):
    """The FOCUS 1.0 sample: 15-decimal ConsumedQuantity no longer costs 8 charges (1.8% of BilledCost); every
    amount lands, and ingest's totals from the text equal an independent reading of the file."""
    con, _ = landed
    rel = "billing/focus/focus_sample.csv"
    expected = _text_totals(REAL / rel)
    money = {
        (c, cur): (read, landed_, q, unreadable)
        for c, cur, read, landed_, q, unreadable in con.execute(
            "SELECT column_name, currency, amount_read, amount_landed, amount_quarantined, rows_unreadable "
            "FROM audit.ingested_money WHERE source_file = ?",
            [rel],
        ).fetchall()
    }
    assert set(money) == set(expected)
    for key, total in expected.items():
        assert money[key] == (total, total, 0, 0), key
    table = BY_KEY["billing/focus"].table
    billed = con.execute(f"SELECT sum(billed_cost) FROM {table} WHERE _source_file = ?", [rel]).fetchone()[0]
    assert billed == expected[("billed_cost", "USD")] == Decimal("20.52022672899")
    consumed = con.execute(
        f"SELECT consumed_quantity FROM {table} WHERE _source_file = ? AND _line = 2", [rel]
    ).fetchone()[0]
    with open(REAL / rel, newline="") as fh:
        first = next(csv.DictReader(fh))["ConsumedQuantity"]
    assert len(first.split(".")[1]) == 15 and consumed == Decimal(first)


def test_credential_report_response_lands_with_its_generated_time(landed):
    con, _ = landed
    rows = con.execute(
        'SELECT "user", arn, generated_time, _line, _extra FROM landing_iam.aws_credential_report ORDER BY _line'
    ).fetchall()
    assert [r[0] for r in rows] == ["<root_account>", "auditor_tmp", "user"]
    assert {r[2] for r in rows} == {datetime(2019, 5, 7, 15, 40, 22)}
    assert [r[3] for r in rows] == [2, 3, 4]  # lines of the CSV document inside the response
    assert all(r[4] is None for r in rows)  # GeneratedTime is a field, not an extra column


def test_okta_event_hook_delivery_and_repeated_uuids_land(landed):
    con, _ = landed
    uuids = con.execute("SELECT uuid, event_type FROM landing_iam.okta_system_log ORDER BY _source_file, _line")
    got = uuids.fetchall()
    assert ("f1d0b993-cc19-11ed-a688-db22c99ef6c4", "user.session.start") in got  # from data.events
    assert [u for u, _ in got].count("123") == 2  # the vendor's repeated id lands twice; staging decides


def test_openai_2024_spelling_lands_canonical(landed):
    con, _ = landed
    objects = con.execute(
        "SELECT DISTINCT object FROM landing_usage.openai_usage WHERE _source_file LIKE '%usage_completions%'"
    ).fetchall()
    assert objects == [("organization.usage.completions.result",)]


def test_openai_usage_endpoints_land_with_their_units(landed):
    """Every usage endpoint's documented example lands, its own count in its own column."""
    con, _ = landed
    rows = con.execute(
        "SELECT object, input_tokens, num_model_requests, images, characters, seconds, usage_bytes, num_sessions, "
        "num_requests FROM landing_usage.openai_usage WHERE _source_file NOT LIKE '%usage_completions%' "
        "ORDER BY object"
    ).fetchall()
    assert rows == [
        ("organization.usage.audio_speeches.result", None, 1, None, 45, None, None, None, None),
        ("organization.usage.audio_transcriptions.result", None, 1, None, None, 20, None, None, None),
        ("organization.usage.code_interpreter_sessions.result", None, None, None, None, None, None, 1, None),
        ("organization.usage.embeddings.result", 16, 2, None, None, None, None, None, None),
        ("organization.usage.file_searches.result", None, None, None, None, None, None, None, 2),
        ("organization.usage.images.result", None, 2, 2, None, None, None, None, None),
        ("organization.usage.moderations.result", 16, 2, None, None, None, None, None, None),
        ("organization.usage.vector_stores.result", None, None, None, None, None, 1024, None, None),
        ("organization.usage.web_searches.result", None, 2, None, None, None, None, None, 2),
    ]


def test_opa_string_result_and_github_shapes_land(landed):
    con, _ = landed
    ((result, bundles),) = con.execute("SELECT result, bundles FROM landing_policy.opa_decision_logs").fetchall()
    assert json.loads(result) is True  # a string holding JSON text lands as that JSON (as Four Keys metadata)
    assert json.loads(bundles)["authz"]["revision"] == "W3sibCI6InN5cy9jYXRhbG9nIiwicyI6NDA3MX1d"
    ids = con.execute("SELECT count(DISTINCT document_id), count(*) FROM landing_iam.github_audit_log").fetchone()
    assert ids == (66, 66)


def test_openai_costs_2024_spelling_and_amounts_land_exactly(landed):
    con, _ = landed
    rows = con.execute("SELECT DISTINCT object, amount, currency FROM landing_ai.openai_costs").fetchall()
    assert rows == [("organization.costs.result", Decimal("0.06"), "usd")]  # both examples bill 0.06 usd


def test_copilot_seats_of_every_assignee_shape_land(landed):
    con, _ = landed
    seats = con.execute(
        "SELECT assignee_type, assignee_login, assigning_team_slug, seat_created_at "
        "FROM landing_ai.github_copilot_seats"
    ).fetchall()
    assert ("User", "octocat", "justice-league", datetime(2021, 8, 4)) in seats  # -06:00 offset read as UTC
    # go-github's legacy assignees: a team and an organization, with no login
    assert {t for t, login, _, _ in seats if login is None} == {"Team", "Organization"}


def test_copilot_reports_land_per_user_and_per_entity_day(landed):
    con, _ = landed
    users = con.execute("SELECT user_login, usage_date FROM landing_ai.github_copilot_usage ORDER BY 2").fetchall()
    assert users == [("octocat", date(2025, 7, 5)), ("octocat", date(2025, 7, 12)), ("login1", date(2025, 10, 1))]
    merged = con.execute(
        "SELECT organization_id, enterprise_id, pull_requests_created, median_minutes_to_merge "
        "FROM landing_ai.github_copilot_org_usage ORDER BY usage_date, enterprise_id"
    ).fetchall()
    assert merged[-1] == ("123", None, 2, Decimal("12.5"))  # go-github's organization report
