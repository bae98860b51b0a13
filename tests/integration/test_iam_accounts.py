"""End to end: IAM identities that hold across AWS accounts (issue 10, part 5).

The demo organisation has one AWS account (123456789012). A second account's credential reports
(``tests/fixtures/aws_second_account``: hand-written in the documented 22-column format, a ``<root_account>`` row
with ``not_supported``, ``N/A`` and ``no_information``) land beside it in a copy of the published demo, and the
nightly job runs again. On what it publishes: each account's root is an identity of its own with its own MFA
state; of the second account's two reports the one generated later wins, although the other landed with it and
sorts after it by name; the demo inventory's bare user name ``greer.barker``, which now exists in both accounts,
matches neither (a warning names the inventory row, nothing blocks); every other identity is unchanged. Then a
report row whose ARN is no IAM user ARN is refused by a blocking test that names its file and line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_OK
from tests.conftest import AS_OF, FIXTURES, dbt_cli, landing_tables, run_nightly

pytestmark = pytest.mark.slow

DEMO_ACCOUNT = "123456789012"
SECOND_ACCOUNT = "210987654321"
SECOND_REPORTS = FIXTURES / "aws_second_account"
NEWER = "iam/aws_credential_report/credential_report_prod-b_2026-10-31.csv"
OLDER = "iam/aws_credential_report/credential_report_prod-b_backfill.csv"
SHARED_NAME = "greer.barker"  # a demo inventory identity names this IAM user by its bare name
WARN_CHECK = "assert_inventory_aws_iam_users_resolve"
ARN_CHECK = "not_null_stg_iam__aws_credential_report"  # its not_null_columns test: aws_account_id among them


def unknown_iam_identity(account: str, user: str) -> str:
    """The id int_identity__keys gives an IAM user no inventory row claims: unk- + md5 of its key."""
    return "unk-" + hashlib.md5(f"aws_iam_user|{account}:{user}".encode()).hexdigest()[:16]


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


@pytest.fixture(scope="module")
def two_accounts(published_demo, module_tmp):
    """(demo data dir, copy with the second account's reports landed and run again, exit code of that run)."""
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = module_tmp("iam_two_accounts") / "data"
    shutil.copytree(data_dir, copy)
    for report in sorted(SECOND_REPORTS.glob("*.csv")):
        shutil.copy(report, copy / "raw" / "iam" / "aws_credential_report" / report.name)
    return data_dir, copy, run_nightly(copy)


def _identities(db: Path) -> dict[str, dict]:
    con = _connect(db)
    try:
        cur = con.execute("SELECT * FROM marts.dim_identity")
        names = [d[0] for d in cur.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    finally:
        con.close()


def test_each_account_root_is_an_identity_with_its_own_mfa(two_accounts):
    demo_dir, data_dir, rc = two_accounts
    assert rc == EXIT_OK
    after = _identities(data_dir / "published" / "roi.duckdb")
    demo_root = after[unknown_iam_identity(DEMO_ACCOUNT, "<root_account>")]
    second_root = after[unknown_iam_identity(SECOND_ACCOUNT, "<root_account>")]
    assert (demo_root["aws_account_id"], demo_root["mfa_active"]) == (DEMO_ACCOUNT, True)
    # the newer report: the second root has no MFA (it had in the older one, which would have won by name)
    assert (second_root["aws_account_id"], second_root["mfa_active"]) == (SECOND_ACCOUNT, False)
    for root in (demo_root, second_root):
        assert (root["identity_kind"], root["is_in_inventory"]) == ("human", False)
    # the demo's root is the same identity as before the second account landed
    assert _identities(demo_dir / "published" / "roi.duckdb")[demo_root["identity_id"]] == demo_root
    second = {i: r for i, r in after.items() if r["aws_account_id"] == SECOND_ACCOUNT}
    assert set(second) == {
        unknown_iam_identity(SECOND_ACCOUNT, u) for u in ("<root_account>", "bedrock-batch", "ci-deploy", SHARED_NAME)
    }
    ci = second[unknown_iam_identity(SECOND_ACCOUNT, "ci-deploy")]
    batch = second[unknown_iam_identity(SECOND_ACCOUNT, "bedrock-batch")]
    # ci-deploy: one key since 2022-09-05; bedrock-batch: key 2 never rotated since 2025-12-01, key 1 in September
    assert (ci["identity_kind"], ci["credential_posture"], ci["key_age_days"], ci["active_credential_count"]) == (
        "service",
        "static_long_lived",
        (AS_OF - datetime(2022, 9, 5).date()).days,
        1,
    )
    assert (batch["credential_posture"], batch["key_age_days"], batch["active_credential_count"]) == (
        "static_long_lived",
        (AS_OF - datetime(2025, 12, 1).date()).days,
        2,
    )


def test_the_report_generated_later_wins_whatever_the_landing_order(two_accounts):
    _, data_dir, rc = two_accounts
    assert rc == EXIT_OK
    con = _connect(data_dir / "warehouse" / "roi.duckdb")
    try:
        # the fixture is in the "wrong" order: by ingest time, then file name, the older report comes first
        by_landing = con.execute(
            "SELECT _source_file FROM staging.stg_iam__aws_credential_report WHERE aws_account_id = ? "
            "ORDER BY _ingested_at DESC, _source_file DESC LIMIT 1",
            [SECOND_ACCOUNT],
        ).fetchone()[0]
        latest = con.execute(
            "SELECT iam_user_name, _source_file, report_generated_at, mfa_active "
            "FROM intermediate.int_credential_report__latest WHERE aws_account_id = ? ORDER BY 1",
            [SECOND_ACCOUNT],
        ).fetchall()
        demo = con.execute(
            "SELECT count(*), min(report_generated_at), max(_source_file) "
            "FROM intermediate.int_credential_report__latest WHERE aws_account_id = ?",
            [DEMO_ACCOUNT],
        ).fetchone()
    finally:
        con.close()
    assert by_landing == OLDER
    # generated at the latest at 02:41:17 (ci-deploy's last use); both files carry a password_next_rotation
    # in 2027, which is no evidence of generation and is left out
    generated = datetime(2026, 10, 31, 2, 41, 17)
    assert latest == [
        ("<root_account>", NEWER, generated, False),
        ("bedrock-batch", NEWER, generated, False),
        ("ci-deploy", NEWER, generated, False),
        (SHARED_NAME, NEWER, generated, True),
    ]
    assert demo == (
        626,
        datetime(2026, 10, 31, 3, 49, 41),
        "iam/aws_credential_report/credential_report_2026-10-31.csv",
    )


def test_a_bare_inventory_name_in_two_accounts_matches_neither(two_accounts):
    demo_dir, data_dir, rc = two_accounts
    assert rc == EXIT_OK
    con = _connect(data_dir / "warehouse" / "roi.duckdb")
    try:
        owner, resolution, accounts, source_file, line = con.execute(
            "SELECT identity_id, account_resolution, report_account_count, _source_file, _line "
            "FROM intermediate.int_inventory__aws_iam_users WHERE aws_iam_user_name = ?",
            [SHARED_NAME],
        ).fetchone()
        warned = con.execute(
            f"SELECT identity_id, account_resolution, report_account_count, _source_file, _line "
            f"FROM dbt_test__audit.{WARN_CHECK}"
        ).fetchall()
        resolutions = dict(
            con.execute(
                "SELECT account_resolution, count(*) FROM intermediate.int_inventory__aws_iam_users GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    assert (resolution, accounts) == ("ambiguous_name", 2)
    assert warned == [(owner, "ambiguous_name", 2, source_file, line)]
    assert source_file == "iam/identity_inventory/identity_inventory.csv" and line > 1
    assert resolutions == {"unique_name": 624, "ambiguous_name": 1}
    before = _identities(demo_dir / "published" / "roi.duckdb")[owner]
    after = _identities(data_dir / "published" / "roi.duckdb")
    assert (before["aws_account_id"], before["is_in_inventory"]) == (DEMO_ACCOUNT, True)
    assert before["mfa_active"] is not None
    # neither account's user is taken: no IAM posture on the inventory identity, each user an identity of its own
    assert (after[owner]["aws_account_id"], after[owner]["mfa_active"]) == (None, None)
    assert after[owner]["aws_iam_user_name"] == before["aws_iam_user_name"]  # same (pseudonymised) name
    for account in (DEMO_ACCOUNT, SECOND_ACCOUNT):
        user = after[unknown_iam_identity(account, SHARED_NAME)]
        assert (user["aws_account_id"], user["is_in_inventory"], user["identity_kind"]) == (account, False, "human")
    # the warning shows in the release record; it never blocks
    pub = _connect(data_dir / "published" / "roi.duckdb")
    try:
        status, checks = pub.execute(
            "SELECT status, checks FROM audit.releases ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    finally:
        pub.close()
    by_name = {c["check"]: c for c in json.loads(checks)}
    assert status == "published"
    assert (by_name[WARN_CHECK]["passed"], by_name[WARN_CHECK]["severity"]) == (False, "WARN")
    assert by_name[ARN_CHECK]["passed"] and by_name[ARN_CHECK]["blocking"]


def test_every_other_identity_is_unchanged(two_accounts):
    demo_dir, data_dir, rc = two_accounts
    assert rc == EXIT_OK
    con = _connect(data_dir / "warehouse" / "roi.duckdb")
    try:
        owner = con.execute(
            "SELECT identity_id FROM intermediate.int_inventory__aws_iam_users WHERE aws_iam_user_name = ?",
            [SHARED_NAME],
        ).fetchone()[0]
    finally:
        con.close()
    before = _identities(demo_dir / "published" / "roi.duckdb")
    after = _identities(data_dir / "published" / "roi.duckdb")
    assert {i for i in before if before[i] != after.get(i)} == {owner}
    assert set(after) - set(before) == {unknown_iam_identity(DEMO_ACCOUNT, SHARED_NAME)} | {
        unknown_iam_identity(SECOND_ACCOUNT, u) for u in ("<root_account>", "bedrock-batch", "ci-deploy", SHARED_NAME)
    }


def test_an_arn_that_is_no_iam_arn_blocks_naming_file_and_line(two_accounts, tmp_path):
    _, data_dir, rc = two_accounts
    assert rc == EXIT_OK
    db = tmp_path / "roi.duckdb"
    shutil.copyfile(data_dir / "warehouse" / "roi.duckdb", db)
    bad_file = "iam/aws_credential_report/credential_report_prod-c.csv"
    con = duckdb.connect(str(db))
    try:  # an 11-digit account: a typo no AWS export has, so the user cannot be kept apart from other accounts'
        landing_tables(con, "landing_iam.aws_credential_report")
        con.execute(
            "INSERT INTO landing_iam.aws_credential_report SELECT * REPLACE ("
            "'arn:aws:iam::21098765432:user/ci/ci-deploy' AS arn, ? AS _source_file, 'sha-prod-c' AS "
            "_file_sha256, 3 AS _line) FROM landing_iam.aws_credential_report "
            "WHERE arn LIKE ? AND _source_file = ?",
            [bad_file, f"%{SECOND_ACCOUNT}:user/ci/ci-deploy", NEWER],
        )
        assert (
            con.execute(
                "SELECT count(*) FROM landing_iam.aws_credential_report WHERE _source_file = ?", [bad_file]
            ).fetchone()[0]
            == 1
        )
    finally:
        con.close()
    target = tmp_path / "dbt"
    staged = dbt_cli(db, target, "run", "--select", "stg_iam__aws_credential_report")  # a table: restage it
    assert staged.returncode == 0, staged.stdout + staged.stderr
    proc = dbt_cli(db, target, "test", "--select", ARN_CHECK, "--store-failures")
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert [(r["unique_id"].split(".")[2], r["status"]) for r in results if r["unique_id"].startswith("test.")] == [
        (ARN_CHECK, "fail")
    ], proc.stdout + proc.stderr
    con = _connect(db)
    try:
        failing = con.execute(
            f"SELECT null_column, _source_file, _line, iam_user_arn FROM dbt_test__audit.{ARN_CHECK}"
        ).fetchall()
    finally:
        con.close()
    assert failing == [("aws_account_id", bad_file, 3, "arn:aws:iam::21098765432:user/ci/ci-deploy")]
