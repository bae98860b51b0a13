"""Secret redaction (orchestration/ingest/secrets.py): every kind found in free text, CSV cells and JSON strings,
Python and DuckDB SQL identical, nothing the pipeline keeps touched, secret values gone at any JSON depth."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import random
import re
import string
import uuid
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

from orchestration.ingest import _regex as rx
from orchestration.ingest import secrets
from orchestration.ingest.secrets import (
    redact_json_keys,
    redact_sql,
    redact_text,
    redaction_kinds_sql,
)

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
LOWER_ALNUM = string.ascii_lowercase + string.digits


def rnd(alphabet: str, n: int, seed: str) -> str:
    """Deterministic random text: fake credentials with the real shape."""
    r = random.Random(seed)
    return "".join(r.choice(alphabet) for _ in range(n))


def pem(label: str, lines: int = 4, seed: str = "pem") -> str:
    body = "\n".join(rnd(ALNUM + "+/", 64, f"{seed}{i}") for i in range(lines))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


PUTTY = (
    "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n"
    f"{rnd(ALNUM, 64, 'pp1')}\n{rnd(ALNUM, 20, 'pp2')}\nPrivate-Lines: 2\n{rnd(ALNUM, 64, 'pv1')}\n"
    f"{rnd(ALNUM, 20, 'pv2')}\nPrivate-MAC: {rnd(HEX, 40, 'mac')}"
)
SSH2 = (
    f'---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "deploy"\n{rnd(ALNUM, 64, "s1")}\n'
    f"{rnd(ALNUM, 30, 's2')}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----"
)
CUT_PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{rnd(ALNUM, 64, 'cut1')}\n{rnd(ALNUM, 31, 'cut2')}"

# (expected kind, text carrying the secret, the part that must disappear)
SECRETS: list[tuple[str, str, str]] = [
    ("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    (
        "aws_secret_access_key",
        "aws_secret_access_key = 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY'",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ),
    ("github_token", "ghp_" + rnd(ALNUM, 36, "ghp"), "ghp_" + rnd(ALNUM, 36, "ghp")),
    ("github_token", "gho_" + rnd(ALNUM, 36, "gho"), rnd(ALNUM, 36, "gho")),
    ("github_token", "github_pat_11" + rnd(ALNUM, 20, "gp1") + "_" + rnd(ALNUM, 59, "gp2"), rnd(ALNUM, 59, "gp2")),
    ("openai_api_key", "sk-proj-" + rnd(URLSAFE, 156, "proj"), rnd(URLSAFE, 156, "proj")),
    ("openai_api_key", "sk-" + rnd(ALNUM, 20, "oa1") + "T3BlbkFJ" + rnd(ALNUM, 20, "oa2"), rnd(ALNUM, 20, "oa1")),
    ("anthropic_api_key", "sk-ant-api03-" + rnd(URLSAFE, 93, "ant") + "AA", rnd(URLSAFE, 93, "ant")),
    ("sk_api_key", "sk-" + rnd(URLSAFE, 22, "litellm"), rnd(URLSAFE, 22, "litellm")),
    ("google_api_key", "AIza" + rnd(URLSAFE, 35, "goog"), rnd(URLSAFE, 35, "goog")),
    ("private_key", pem("RSA PRIVATE KEY"), rnd(ALNUM + "+/", 64, "pem1")),
    ("private_key", pem("OPENSSH PRIVATE KEY", seed="ossh"), rnd(ALNUM + "+/", 64, "ossh2")),
    ("private_key", pem("EC PRIVATE KEY", seed="ec"), rnd(ALNUM + "+/", 64, "ec0")),
    ("private_key", pem("DSA PRIVATE KEY", seed="dsa"), rnd(ALNUM + "+/", 64, "dsa0")),
    ("private_key", pem("PRIVATE KEY", seed="p8"), rnd(ALNUM + "+/", 64, "p81")),
    ("private_key", pem("ENCRYPTED PRIVATE KEY", seed="enc"), rnd(ALNUM + "+/", 64, "enc3")),
    ("private_key", pem("PGP PRIVATE KEY BLOCK", seed="pgp"), rnd(ALNUM + "+/", 64, "pgp1")),
    ("private_key", SSH2, rnd(ALNUM, 64, "s1")),
    ("private_key", PUTTY, rnd(ALNUM, 64, "pv1")),
    ("private_key", CUT_PEM, rnd(ALNUM, 31, "cut2")),
    (
        "azure_storage_account_key",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey="
        + rnd(ALNUM + "+/", 86, "az")
        + "==;EndpointSuffix=core.windows.net",
        rnd(ALNUM + "+/", 86, "az"),
    ),
    ("basic_auth_password", "https://deploy:Tr0ub4dor3xK@git.example.com/repo.git", "Tr0ub4dor3xK"),
    ("cloudant_credential", "cloudant_password='" + rnd(HEX, 64, "cl1") + "'", rnd(HEX, 64, "cl1")),
    ("cloudant_credential", "cl_key=" + rnd(string.ascii_lowercase, 24, "cl2"), rnd(string.ascii_lowercase, 24, "cl2")),
    # the library's own basic-auth pattern comes first and names these
    (
        "basic_auth_password",
        "https://acct-bluemix:" + rnd(HEX, 64, "cl3") + "@acct-bluemix.cloudant.com/db",
        rnd(HEX, 64, "cl3"),
    ),
    (
        "basic_auth_password",
        "https://acct-bluemix:" + rnd(string.ascii_lowercase, 24, "cl4") + "@acct-bluemix.cloudant.com/db",
        rnd(string.ascii_lowercase, 24, "cl4"),
    ),
    (
        "discord_bot_token",
        "M" + rnd(URLSAFE, 23, "dc1") + "." + rnd(URLSAFE, 6, "dc2") + "." + rnd(URLSAFE, 27, "dc3"),
        rnd(URLSAFE, 27, "dc3"),
    ),
    ("gitlab_token", "glpat-" + rnd(URLSAFE, 20, "gl1"), rnd(URLSAFE, 20, "gl1")),
    ("gitlab_token", "GR1348941" + rnd(URLSAFE, 20, "gl2"), rnd(URLSAFE, 20, "gl2")),
    ("gitlab_token", "glcbt-2a_" + rnd(URLSAFE, 20, "gl3"), rnd(URLSAFE, 20, "gl3")),
    ("gitlab_token", "glimt-" + rnd(URLSAFE, 25, "gl4"), rnd(URLSAFE, 25, "gl4")),
    ("gitlab_token", "glptt-" + rnd(URLSAFE, 40, "gl5"), rnd(URLSAFE, 40, "gl5")),
    ("gitlab_token", "glagent-" + rnd(URLSAFE, 1010, "gl6"), rnd(URLSAFE, 1010, "gl6")),
    ("gitlab_token", "gloas-" + rnd(URLSAFE, 64, "gl7"), rnd(URLSAFE, 64, "gl7")),
    ("ibm_cloud_iam_key", 'ibm_cloud_iam_api_key = "' + rnd(URLSAFE, 44, "ibm") + '"', rnd(URLSAFE, 44, "ibm")),
    ("ibm_cos_hmac_secret", 'cos_hmac_secret_access_key = "' + rnd(HEX, 48, "cos") + '"', rnd(HEX, 48, "cos")),
    (
        "json_web_token",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
        "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ),
    ("mailchimp_api_key", rnd(HEX, 32, "mc") + "-us12", rnd(HEX, 32, "mc")),
    ("npm_token", "//registry.npmjs.org/:_authToken=npm_" + rnd(ALNUM, 36, "npm"), rnd(ALNUM, 36, "npm")),
    ("pypi_token", "pypi-AgEIcHlwaS5vcmc" + rnd(URLSAFE, 80, "pypi"), rnd(URLSAFE, 80, "pypi")),
    ("pypi_token", "pypi-AgENdGVzdC5weXBpLm9yZw" + rnd(URLSAFE, 80, "tpypi"), rnd(URLSAFE, 80, "tpypi")),
    ("sendgrid_api_key", "SG." + rnd(URLSAFE, 22, "sg1") + "." + rnd(URLSAFE, 43, "sg2"), rnd(URLSAFE, 43, "sg2")),
    ("slack_token", "xoxb-123456789012-1234567890123-" + rnd(ALNUM, 24, "slack"), rnd(ALNUM, 24, "slack")),
    (
        "slack_webhook_url",
        "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/" + rnd(ALNUM, 24, "hook"),
        rnd(ALNUM, 24, "hook"),
    ),
    ("softlayer_api_key", 'softlayer_api_key = "' + rnd(LOWER_ALNUM, 64, "sl1") + '"', rnd(LOWER_ALNUM, 64, "sl1")),
    (
        "softlayer_api_key",
        "https://api.softlayer.com/soap/v3/" + rnd(LOWER_ALNUM, 64, "sl2"),
        rnd(LOWER_ALNUM, 64, "sl2"),
    ),
    ("square_oauth_secret", "sq0csp-" + rnd(URLSAFE, 43, "sq"), rnd(URLSAFE, 43, "sq")),
    ("stripe_api_key", "sk_live_" + rnd(ALNUM, 24, "stripe"), rnd(ALNUM, 24, "stripe")),
    ("telegram_bot_token", "123456789:AAH" + rnd(URLSAFE, 32, "tg"), rnd(URLSAFE, 32, "tg")),
    ("twilio_api_key", "SK" + rnd(HEX, 32, "tw1"), rnd(HEX, 32, "tw1")),
    ("twilio_api_key", "AC" + rnd(HEX, 32, "tw2"), rnd(HEX, 32, "tw2")),
    ("bearer_token", "Authorization: Bearer ya29." + rnd(URLSAFE, 60, "oauth"), rnd(URLSAFE, 60, "oauth")),
    ("secret_assignment", "password=hunter2!x", "hunter2!x"),
    ("secret_assignment", "DB_PASSWORD=c0rrect-h0rse", "c0rrect-h0rse"),
    ("secret_assignment", 'client_secret: "x7Yb2Qw9Lp0Zr5Tk"', "x7Yb2Qw9Lp0Zr5Tk"),
    ("secret_assignment", "api_key=a1b2c3d4e5f6&user=bob", "a1b2c3d4e5f6"),
    ("secret_assignment", "{'private_key': 'k3y-m4t3r14l'}", "k3y-m4t3r14l"),
    (
        "secret_value",
        '{"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", '
        '"SecretString": "{\\"username\\":\\"admin\\",\\"password\\":\\"Pa55w0rd!\\"}"}',
        "Pa55w0rd!",
    ),
    (
        "secret_value",
        '{"Name": "tls", "SecretBinary": "' + rnd(ALNUM + "+/", 60, "bin") + '=="}',
        rnd(ALNUM + "+/", 60, "bin"),
    ),
]


def free_text(text: str) -> str:
    return f"pasted by mistake: {text} -- please rotate"


def json_record(text: str) -> str:
    return json.dumps({"description": text, "id": 7, "tags": [{"Key": "note", "Value": text}]})


def sha256_b64(i: int) -> str:
    return base64.b64encode(hashlib.sha256(f"t{i}".encode()).digest()).decode()


# Values the pipeline keeps and joins on: none may change.
KEEP: list[str] = [
    *(sha256_b64(i) for i in range(300)),  # GitHub audit log hashed_token
    *(hashlib.sha256(f"sk-{i}".encode()).hexdigest() for i in range(300)),  # LiteLLM hashed virtual keys
    *(hashlib.sha1(f"c{i}".encode()).hexdigest() for i in range(300)),  # git SHAs
    *(str(uuid.UUID(int=random.Random(i).getrandbits(128))) for i in range(100)),
    *(base64.urlsafe_b64encode(hashlib.md5(f"d{i}".encode()).digest()).decode().rstrip("=") for i in range(200)),
    *("00u" + rnd(ALNUM, 17, f"okta{i}") for i in range(200)),  # Okta user ids
    *("chatcmpl-" + rnd(ALNUM, 29, f"req{i}") for i in range(100)),
    *("key_" + rnd(ALNUM, 16, f"key{i}") for i in range(100)),  # OpenAI admin API key ids
    *("proj_" + rnd(ALNUM, 24, f"proj{i}") for i in range(100)),
    '{"hashed_token": "tBsGQX0zM/8m2gk2UnZkDUfM8ZOeJAnXc/H4u+3T/qQ=", "token_id": 123, "token_scopes": "repo"}',
    '{"api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b", "spend": "0.000123"}',
    '{"user_api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b", "user_api_key_alias": "ci"}',
    '{"token": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}',
    '{"password_enabled": true, "password_last_used": "2026-10-01T00:00:00Z", "password_next_rotation": null}',
    '{"api_key": null, "token": 42, "secret": false, "password": {"set": true}}',
    "sk-...abcd",
    "team-platform-key",
    "task-scheduler-configuration-2024-01",
    "disk-encryption-at-rest-policy",
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:iam::123456789012:root",
    "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com",
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/password-AbCdEf",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:sns:us-east-1:123456789012:prod-billing-alerts-topic-for-finance-team-01",
    "arn:aws:sqs:eu-west-1:123456789012:orders_processing_dead_letter_queue_2026_v2",
    "arn:aws:iam::123456789012:role/service-role/AWSLambdaBasicExecutionRole-3f2a9c1b",
    "2026-10-31T23:59:59Z",
    "2026-10-31T23:59:59.123456+00:00",
    "2026-10-31 23:59:59",
    "20261105",
    "1761955199",
    "alice.smith@example.com",
    "first.last+ai@corp.example.co.uk",
    "https://api.openai.com/v1/chat/completions",
    "https://github.com/octo-org/octo-repo/pull/123",
    "https://example.okta.com/api/v1/users/00u1abcdEFGH2345ijk6/lifecycle/activate",
    "postgres://db.example.com:5432/app",
    "https://git@github.com/octo-org/octo-repo.git",
    "0.000123456789012345",
    "1234.5678",
    "-0.01",
    "12.345678901234567890",
    "USD",
    "EUR",
    "gpt-4o-2024-08-06",
    "claude-3-5-sonnet-20241022",
    "anthropic/claude-sonnet-4",
    "text-embedding-3-large",
    "User login to Okta",
    "system.api_token.create",
    "personal_access_token.access_granted",
    "Fine-grained personal access token",
    "repo,read:org,workflow",
    "AWSLambdaBasicExecutionRole",
    "Rotate the production database secret every 30 days",
    "secret_name",
    "is_secret",
    "Deploy service checkout to production (#4512)",
    "INC-2041: API latency above SLO in eu-west-1",
    "/api/v1/users/00u1abcdEFGH2345ijk6",
    "data.opa.authz.allow",
    "input.resource.kind=Secret",
    "",
    " ",
    "N/A",
]

# Edge cases: markers already present, escapes around a secret in raw JSON, adjacent tokens.
EDGES: list[str] = [
    "[REDACTED:github_token] and [REDACTED:secret_value]",
    '{"p": "C:\\\\AKIAIOSFODNN7EXAMPLE"}',
    '{"p": "\\uAC12345678901234567890123456789012"}',
    '{"p": "line one\\nAKIAIOSFODNN7EXAMPLE\\tdone"}',
    '{"p": "\\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}',
    '{"cfg": "{\\"password\\": \\"s3cr3t\\", \\"user\\": \\"x\\"}"}',
    "password=" + rnd(ALNUM, 12, "a1") + " password=" + rnd(ALNUM, 12, "a2") + " password=" + rnd(ALNUM, 12, "a3"),
    "AKIAIOSFODNN7EXAMPLE,AKIAI44QH8DHBEXAMPLE;ghp_" + rnd(ALNUM, 36, "x"),
    "Kelvin \u212a and long s \u017fecret=\u017fhh and token=\u00e9t\u00e9",
    "multi\nline\npassword: first\ntoken=second\n",
]


def corpus() -> list[str]:
    out = [t for _, s, _ in SECRETS for t in (s, free_text(s), json_record(s))]
    return [*out, *KEEP, *EDGES, *(json.dumps({"v": k}) for k in KEEP[-60:])]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def sql_redact(con, values: list[str | None]) -> list[tuple[str | None, list[str]]]:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE v AS SELECT * FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(v, n)", [values]
    )
    return con.execute(
        f"SELECT r, {redaction_kinds_sql('v', 'r')} FROM (SELECT n, v, {redact_sql('v')} AS r FROM v) ORDER BY n"
    ).fetchall()


@pytest.mark.parametrize(("kind", "text", "core"), SECRETS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(SECRETS)])
def test_every_kind_is_found_in_free_text_and_json(kind, text, core):
    for wrapped in (text, free_text(text)):
        out, counts = redact_text(wrapped)
        assert core not in out and kind in counts, (wrapped, out, counts)
    raw = json_record(text)
    out, counts = redact_text(raw)
    doc = json.loads(out)  # still valid JSON
    assert core not in out and counts[kind] >= 1, (out, counts)
    assert doc["id"] == 7 and doc["tags"][0]["Key"] == "note"


def test_every_kind_is_found_in_csv_cells(tmp_path: Path, con):
    path = tmp_path / "export.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "description", "day"])
        w.writerows([i, free_text(text), "2026-10-31"] for i, (_, text, _) in enumerate(SECRETS))
    rows = con.execute(
        f"SELECT id, r, {redaction_kinds_sql('description', 'r')} FROM (SELECT id, description, "
        f"{redact_sql('description')} AS r FROM read_csv(?, all_varchar = true, header = true)) ORDER BY id::INT",
        [str(path)],
    ).fetchall()
    assert len(rows) == len(SECRETS)
    for (kind, _, core), (_, out, kinds) in zip(SECRETS, rows, strict=True):
        assert core not in out and kind in kinds, (kind, out, kinds)


def test_python_and_sql_give_identical_results(con):
    values = [*corpus(), None]
    sql = sql_redact(con, values)
    for value, (sql_out, sql_kinds) in zip(values, sql, strict=True):
        py_out, py_counts = redact_text(value)
        assert (py_out, Counter(sql_kinds)) == (sql_out, py_counts), value
    assert sql[-1] == (None, [])


def test_nothing_the_pipeline_keeps_is_touched(con):
    values = [*KEEP, *(json.dumps({"v": k}) for k in KEEP)]
    for value, (out, kinds) in zip(values, sql_redact(con, values), strict=True):
        assert (out, kinds) == (value, []), value
        assert redact_text(value) == (value, Counter()), value


def test_redacted_json_stays_valid_json():
    for value in corpus():
        raw = json.dumps({"v": value, "n": 1})
        out, _ = redact_text(raw)
        assert json.loads(out)["n"] == 1, out
        if value.startswith("{"):
            try:
                json.loads(value)
            except ValueError:
                continue
            json.loads(redact_text(value)[0])


def test_escapes_around_a_secret_stay_valid():
    out, counts = redact_text('{"p": "\\uAC12345678901234567890123456789012"}')
    assert json.loads(out) == {"p": "[REDACTED:twilio_api_key]"} and counts == {"twilio_api_key": 1}
    gh = "ghp_" + rnd(ALNUM, 36, "esc")
    out, _ = redact_text('{"p": "C:\\\\' + gh + '"}')
    assert json.loads(out) == {"p": "C:\\[REDACTED:github_token]"}
    out, _ = redact_text('{"p": "\\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}')
    assert json.loads(out) == {"p": "\n[REDACTED:aws_secret_access_key]"}
    pem_json = json.dumps({"private_key": pem("PRIVATE KEY"), "client_email": "ci@example.iam.gserviceaccount.com"})
    out, counts = redact_text(pem_json)
    assert json.loads(out) == {
        "private_key": "[REDACTED:private_key]",
        "client_email": "ci@example.iam.gserviceaccount.com",
    } and counts == {"private_key": 1}
    cut = json.dumps({"a": CUT_PEM, "b": "kept"})
    assert json.loads(redact_text(cut)[0]) == {"a": "[REDACTED:private_key]", "b": "kept"}


def test_counts_and_idempotence(con):
    text = "ghp_" + rnd(ALNUM, 36, "c1") + " then ghp_" + rnd(ALNUM, 36, "c2") + " and password=hunter2x"
    out, counts = redact_text(text)
    key = "[REDACTED:github_token]"
    assert out == f"{key} then {key} and password=[REDACTED:secret_assignment]"
    assert counts == {"github_token": 2, "secret_assignment": 1}
    for value in corpus():
        once, _ = redact_text(value)
        assert redact_text(once) == (once, Counter()), value
    assert sql_redact(con, ["[REDACTED:github_token] x"]) == [("[REDACTED:github_token] x", [])]


def test_adjacent_tokens_with_one_character_between_are_all_redacted():
    out, counts = redact_text(EDGES[6])
    assert out == " ".join(["password=[REDACTED:secret_assignment]"] * 3) and counts == {"secret_assignment": 3}


@pytest.mark.parametrize("identifier", ["AP9qk65w87EKRylmFdNyDQ", "APFbQHsZq6gLhewYhfoxNI", "AKCp8abcdef12345"])
def test_identifiers_that_look_like_artifactory_tokens_are_kept(identifier):
    """Random ids (GitHub _document_id, Okta transaction ids) match the Artifactory patterns about once in 15,000:
    the plugin is left out, so keys the spine joins on survive."""
    assert redact_text(identifier) == (identifier, Counter())
    assert redact_text(f'{{"_document_id": "{identifier}"}}')[0] == f'{{"_document_id": "{identifier}"}}'


def test_counts_aggregate_per_column_in_sql(con):
    con.execute(
        "CREATE OR REPLACE TEMP TABLE land AS SELECT * FROM (VALUES "
        "('xoxb-1234-5678-abcdefghij', 'ok'), ('fine', 'password=abc123x'), (NULL, 'token=" + "x" * 8 + "'), "
        "('ghp_" + rnd(ALNUM, 36, "agg") + " ghp_" + rnd(ALNUM, 36, "agg2") + "', NULL)) t(title, tags)"
    )
    redacted = ", ".join(f"{c}, {redact_sql(c)} AS {c}_r" for c in ("title", "tags"))
    got = con.execute(
        f"WITH r AS (SELECT {redacted} FROM land), "
        f"k AS (SELECT 'title' AS col, unnest({redaction_kinds_sql('title', 'title_r')}) AS kind FROM r "
        f"UNION ALL SELECT 'tags', unnest({redaction_kinds_sql('tags', 'tags_r')}) FROM r) "
        "SELECT col, kind, count(*) FROM k GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert got == [("tags", "secret_assignment", 2), ("title", "github_token", 2), ("title", "slack_token", 1)]
    changed = con.execute(f"SELECT count(*) FILTER (WHERE title IS DISTINCT FROM {redact_sql('title')}) FROM land")
    assert changed.fetchone()[0] == 2


def test_library_examples_are_real_positives_for_detect_secrets():
    """Each library pattern has an example here that detect-secrets itself flags, and we redact it."""
    mapping = get_mapping_from_secret_type_to_class()
    for det in (d for d in secrets.rules().detectors if d.source.startswith("detect-secrets")):
        secret_type, index = det.source.removeprefix("detect-secrets: ").rsplit(" #", 1)
        pattern = mapping[secret_type].denylist[int(index) - 1]
        hits = [(t, core) for _, t, core in SECRETS if pattern.search(t)]
        assert hits, f"no example for {det.source}"
        for text, core in hits:
            assert core not in redact_text(text)[0], (det.source, text)


def test_every_library_plugin_is_in_or_out():
    mapping = get_mapping_from_secret_type_to_class()
    assert set(mapping) == set(secrets.LIBRARY_KINDS) | set(secrets.LEFT_OUT)
    kept = {f"{t} #{i + 1}": why for (t, i), why in secrets.KEPT_PATTERNS.items()}
    # every included pattern translated, none dropped silently
    assert secrets.rules().excluded == {**secrets.LEFT_OUT, **kept}
    for name in [*secrets.LEFT_OUT, *(t for t, _ in secrets.KEPT_PATTERNS)]:
        assert f"``{name}``" in secrets.__doc__
    included = [d for d in secrets.rules().detectors if d.source.startswith("detect-secrets")]
    assert len(included) == sum(len(mapping[t].denylist) for t in secrets.LIBRARY_KINDS) - len(kept)
    assert all(re.fullmatch("[a-z0-9_]+", k) for k in secrets.rules().kinds)
    for kind in {k for k, _, _ in SECRETS}:
        assert kind in secrets.rules().kinds


def test_translator_refuses_what_re2_cannot_read():
    for pattern, reason in [
        (r"a(?<=b)c", "lookaround"),
        (r"\bword\b", "escape"),
        (r"a++", "possessive"),
        (r"(?i)abc", "group syntax"),
        (r"x{1001,}", "repetition minimum"),
        (r"(?=a)b", "lookaround"),
    ]:
        with pytest.raises(rx.Untranslatable, match=reason):
            rx.translate(pattern, "re2")


def test_translator_keeps_semantics_the_engines_disagree_on(con):
    # RE2's \s lacks \v, Python's $ also matches before a final newline, \d is Unicode in Python.
    cases = [(r"a\sb", "a\vb", True), (r"ab$", "ab\n", False), (r"\d", "\u0663", False), (r"x{2,1024}y", "xxy", True)]
    for pattern, text, expected in cases:
        assert bool(re.search(rx.translate(pattern, "py"), text)) is expected, pattern
        got = con.execute("SELECT regexp_matches(?, ?)", [text, rx.translate(pattern, "re2")]).fetchone()[0]
        assert got is expected, pattern


def test_secret_values_are_removed_at_any_depth():
    response = {
        "SecretValues": [
            {
                "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf",
                "Name": "a",
                "SecretString": '{"password": "p"}',
                "VersionStages": ["AWSCURRENT"],
            },
            {
                "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:b-AbCdEf",
                "Name": "b",
                "SecretBinary": "c2VjcmV0",
                "nested": [[{"deeper": {"SecretString": {"k": "v"}}}]],
            },
        ],
        "Errors": [],
    }
    before = json.dumps(response, sort_keys=True)
    out = redact_json_keys(response)
    assert json.dumps(response, sort_keys=True) == before  # the input is not changed
    assert out["SecretValues"][0] == {**response["SecretValues"][0], "SecretString": "[REDACTED:secret_value]"}
    assert out["SecretValues"][1]["SecretBinary"] == "[REDACTED:secret_value]"
    assert out["SecretValues"][1]["nested"] == [[{"deeper": {"SecretString": "[REDACTED:secret_value]"}}]]
    assert out["Errors"] == [] and '"password"' not in json.dumps(out) and "c2VjcmV0" not in json.dumps(out)
    assert redact_json_keys([{"SecretString": "x"}, 1, "SecretString"]) == [
        {"SecretString": "[REDACTED:secret_value]"},
        1,
        "SecretString",
    ]
    assert redact_json_keys({"Token": "t", "a": {"Token": 1}}, keys=("Token",)) == {
        "Token": "[REDACTED:secret_value]",
        "a": {"Token": "[REDACTED:secret_value]"},
    }
    assert redact_json_keys("plain") == "plain"


def test_deep_nesting_does_not_overflow():
    doc: dict = {"SecretString": "s"}
    for _ in range(20_000):
        doc = {"a": [doc]}
    out = redact_json_keys(doc)
    for _ in range(20_000):
        out = out["a"][0]
    assert out == {"SecretString": "[REDACTED:secret_value]"}


def test_pre_check_says_which_records_to_walk():
    assert secrets.may_contain_json_keys('{"SecretValues": [{"SecretString": "x"}]}')
    assert secrets.may_contain_json_keys(b'{"SecretBinary": "eA=="}')
    assert secrets.may_contain_json_keys('{"Secret\\u0053tring": "x"}')  # an escape could spell a key
    assert not secrets.may_contain_json_keys('{"Name": "prod/db", "ARN": "arn:aws:secretsmanager:..."}')
    assert not secrets.may_contain_json_keys(b'{"SecretId": "x"}')


def random_documents(n: int) -> list[str]:
    """JSON documents built from secrets, kept values, quotes, backslashes, escapes and key fragments: the
    shapes that could make a replacement cross a string's end or split an escape."""
    frags = (
        [t for _, t, _ in SECRETS[::3]]
        + KEEP[-40:]
        + EDGES
        + [
            '"',
            "\\",
            '\\"',
            "\n",
            "\r\n",
            "\t",
            "\u00e9",
            "\u2028",
            " ",
            ": ",
            "=",
            "'",
            "{",
            "}",
            "[",
            "]",
            ",",
            "password=",
            "token: ",
            "api_key=",
            "Secret=",
            'secret: "',
            'key=\\"',
            '"token": "',
            '"SecretString": "',
            "Bearer ",
            "-----BEGIN RSA PRIVATE KEY-----",
            "-----END RSA PRIVATE KEY-----",
            'Comment: "x"\n',
            "\\u00",
            "sk-",
            "AKIA",
            "ghp_",
            "//",
            "://u:p@h",
            "\x0b",
        ]
    )

    def text(r: random.Random) -> str:
        return "".join(r.choice(frags) for _ in range(r.randint(0, 6)))

    def doc(r: random.Random, depth: int = 0):
        k = r.random()
        if depth > 3 or k < 0.4:
            return text(r)
        if k < 0.7:
            return {text(r) or "k": doc(r, depth + 1) for _ in range(r.randint(0, 4))}
        if k < 0.9:
            return [doc(r, depth + 1) for _ in range(r.randint(0, 4))]
        return r.choice([None, True, 1, 2.5])

    out = []
    for seed in range(n):
        d = doc(random.Random(seed))
        out += [json.dumps(d), json.dumps(d, ensure_ascii=False), json.dumps(json.dumps(d)), json.dumps(d, indent=1)]
    return out


def test_random_json_documents_stay_valid_and_python_matches_sql(con):
    docs = random_documents(400)
    for raw, (sql_out, sql_kinds) in zip(docs, sql_redact(con, docs), strict=True):
        out, counts = redact_text(raw)
        json.loads(out)
        assert (out, counts) == (sql_out, Counter(sql_kinds)), raw


def test_gates_never_hide_a_match():
    """Every value a detector's own pattern matches passes that detector's cheap gates (the SQL trigger, the
    Python literals, the length), so skipping on a failed gate never changes a result."""
    texts = [*corpus(), *random_documents(100)]
    checked = 0
    for det in (*secrets.rules().detectors, *secrets.rules().assignments):
        for text in texts:
            if det.python.search(text):
                checked += 1
                assert len(text) >= det.min_length >= secrets.rules().min_length, (det.source, text)
                assert det.may_match(text, text.lower()), (det.source, text)
                assert det.trigger is None or re.search(det.trigger, text), (det.source, text)
                if det.trigger is None:
                    assert len(text) >= secrets.rules().self_gated_min, (det.source, text)
    assert checked > 500
    upper = re.compile(rx.translate(secrets._AWS40_UPPER, "py"))
    for text in texts:
        if "".join(map(secrets._aws40_token, secrets._TOKEN_RE.findall(text))) != text:
            assert len(text) >= secrets.rules().self_gated_min and upper.search(text), text


def sample(alt: rx.Alt, r: random.Random) -> str:
    """A random text of the pattern tree ``alt``: repetitions at their bounds or between (up to 12 beyond the
    minimum when unbounded), classes' members (a non-ASCII letter where the class takes one). Anchors and
    assertions produce nothing: the caller keeps only texts the detector's regex matches."""

    def one(node) -> str:
        if isinstance(node, rx.Lit):
            return node.ch
        if isinstance(node, rx.Cls):
            if node.other and (not node.chars or r.random() < 0.1):
                return "\u00e9"
            return chr(r.choice(sorted(node.chars)))
        if isinstance(node, rx.Anchor):
            return ""
        if isinstance(node, rx.Rep):
            hi = node.hi if node.hi is not None else node.lo + 12
            n = r.choice([node.lo, hi, r.randint(node.lo, hi)])
            return "".join(one(node.node) for _ in range(n))
        if node.kind not in ("cap", "non", "exact"):
            return ""
        return "".join(one(i) for i in r.choice(node.alt))

    return "".join(one(i) for i in r.choice(alt))


def test_triggers_never_miss_a_text_their_pattern_matches():
    """The trigger keeps the characters and counts that can stand between a pattern's literals (what makes it
    selective on JSON text, where `"client":` once let every record through): on thousands of texts drawn from
    each detector's own pattern, alone, inside free text and inside a JSON string, every text the pattern
    matches passes its trigger. Fails when a gap is narrower than the pattern allows."""
    r = random.Random(11)
    checked = 0
    for det in (*secrets.rules().detectors, *secrets.rules().assignments):
        if det.trigger is None:
            continue
        trigger = re.compile(det.trigger.replace("\\z", "\\Z"))
        for _ in range(400):
            core = "".join(sample(a, r) for a in (det.parts.prefix, det.parts.secret, det.parts.suffix))
            for text in (core, f"note {core} end", json.dumps({"v": core}), json.dumps({"v": core})[1:-1]):
                if det.python.search(text):
                    checked += 1
                    assert trigger.search(text), (det.kind, det.trigger, text)
    assert checked > 20_000


@pytest.mark.parametrize("key_id", ["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"])
def test_aws_access_key_ids_are_kept_as_identifiers(con, key_id):
    """Access key ids are what the identity spine joins on (inventory api_key_refs); the secret beside one is not."""
    pair = f"aws_access_key_id={key_id} aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    out, counts = redact_text(pair)
    assert key_id in out and "wJalrXUtnFEMI" not in out and "aws_access_key_id" not in counts
    assert redact_text(key_id) == (key_id, Counter())
    assert sql_redact(con, [key_id]) == [(key_id, [])]
    assert "AWS Access Key #1" in secrets.rules().excluded


def test_base64_of_text_is_no_aws_secret_key(con):
    """OPA's documented decision log carries bundle revision W3sibCI6...: 40 base64 characters of a JSON list, the
    shape of an AWS secret access key; a key is 30 random bytes, this decodes to printable text: kept."""
    revision = "W3sibCI6InN5cy9jYXRhbG9nIiwicyI6NDA3MX1d"
    assert base64.b64decode(revision).decode() == '[{"l":"sys/catalog","s":4071}]'
    doc = json.dumps({"bundles": {"authz": {"revision": revision}}})
    assert redact_text(doc) == (doc, Counter())
    assert sql_redact(con, [doc]) == [(doc, [])]
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert redact_text(f"revision {key}")[0] == "revision [REDACTED:aws_secret_access_key]"
