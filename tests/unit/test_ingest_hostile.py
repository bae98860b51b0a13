"""Hostile inputs at ingest: each case checks the exact outcome (landed, quarantined with its reason, rejected) and
that nothing else changed. Files here are written by the tests (none comes from a vendor)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.datasets import BY_KEY, Dataset
from orchestration.ingest import checkfile, engine, money
from orchestration.ingest.contract import TimeWindow, sql_str, value_expression
from orchestration.ingest.jsontext import MAX_JSON_DEPTH

OKTA = BY_KEY["iam/okta_system_log"]
FOCUS = BY_KEY["billing/focus"]
LITELLM = BY_KEY["usage/litellm_spend_logs"]
CHANGES = BY_KEY["delivery/changes"]
SECRETS_INVENTORY = BY_KEY["iam/secrets_inventory"]
WINDOW = TimeWindow(date(2026, 10, 31), 24)


def write(raw: Path, ds: Dataset, name: str, content: str | bytes) -> Path:
    path = raw / ds.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def run(tmp_path: Path, ds: Dataset, con: duckdb.DuckDBPyConnection | None = None):
    con = con or engine.connect(tmp_path / "build" / "roi.duckdb")
    return con, engine.ingest_dataset(con, tmp_path / "raw", ds, run_id="hostile", window=WINDOW)


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def okta_event(uuid: str, published: str = "2026-10-30T08:00:00.000Z", **extra) -> dict:
    return {
        "uuid": uuid,
        "published": published,
        "eventType": "user.session.start",
        "severity": "INFO",
        "actor": {"id": "00u1abcdEFGH2345ijk6", "type": "User", "alternateId": "a@example.com"},
        **extra,
    }


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


FOCUS_HEADER = (
    "BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,"
    "ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ServiceName"
)


def focus_row(
    cost: str, start: str = "2026-10-01 00:00:00", end: str = "2026-10-01 01:00:00", currency: str = "USD"
) -> str:
    return f"{cost},{cost},acct-1,{currency},2026-10-01,2026-11-01,Usage,{start},{end},Amazon Bedrock"


# ------------------------------------------------------------------------------------------ symlinks


def test_symlinks_are_refused_unread_and_recorded_once(tmp_path):
    raw = tmp_path / "raw"
    write(raw, OKTA, "good.jsonl", jsonl(okta_event("e1")))
    outside = tmp_path / "outside.jsonl"
    outside.write_text(jsonl(okta_event("stolen")))
    (raw / OKTA.folder / "passwd.jsonl").symlink_to("/etc/passwd")
    (raw / OKTA.folder / "outside.jsonl").symlink_to(outside)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "more.jsonl").write_text(jsonl(okta_event("stolen-2")))
    (raw / OKTA.folder / "linked_dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    con, result = run(tmp_path, OKTA)
    statuses = {f.source_file.rsplit("/", 1)[1]: f.status for f in result.files}
    assert statuses == {
        "good.jsonl": "landed",
        "passwd.jsonl": "rejected",
        "outside.jsonl": "rejected",
        "linked_dir": "rejected",
    }
    assert rows(con, f"SELECT uuid FROM {OKTA.table}") == [("e1",)]
    refused = rows(con, "SELECT source_file, file_sha256, reason FROM audit.quarantine ORDER BY 1")
    assert all(sha == engine.UNREAD and "symbolic link refused unread" in why for _, sha, why in refused)
    everything = " ".join(
        str(v) for t in ("audit.quarantine", "audit.ingested_files") for r in rows(con, f"SELECT * FROM {t}") for v in r
    )
    assert "root:" not in everything and "stolen" not in everything
    _con2, again = run(tmp_path, OKTA, con)
    assert {f.status for f in again.files} == {"skipped"}
    assert rows(con, "SELECT count(*) FROM audit.ingested_files")[0][0] == 4


def test_a_dataset_folder_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.jsonl").write_text(jsonl(okta_event("e1")))
    folder = tmp_path / "raw" / OKTA.folder
    folder.parent.mkdir(parents=True)
    folder.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    con, result = run(tmp_path, OKTA)
    assert [(f.source_file, f.status) for f in result.files] == [(OKTA.folder, "rejected")]
    assert rows(con, f"SELECT count(*) FROM {OKTA.table}") == [(0,)]


# ---------------------------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("published", "reason"),
    [
        ("9999-12-31T00:00:00Z", "after the end of the as-of day 2026-10-31 plus 24 h"),
        ("2026-11-02T00:00:01Z", "after the end of the as-of day 2026-10-31 plus 24 h"),
        ("1970-01-01T00:00:00Z", "before 2009-01-01, the earliest time this export can hold"),
        ("1727769600", "not a timestamp"),  # epoch seconds where the format documents none
    ],
)
def test_impossible_times_are_quarantined_with_the_reason(tmp_path, published, reason):
    write(tmp_path / "raw", OKTA, "log.jsonl", jsonl(okta_event("ok"), okta_event("bad", published)))
    con, _result = run(tmp_path, OKTA)
    assert rows(con, f"SELECT uuid FROM {OKTA.table}") == [("ok",)]
    (q,) = rows(con, "SELECT line, column_name, reason FROM audit.quarantine")
    assert (q[:2] == (2, "published") and q[2].startswith(reason)) or reason in q[2], q


def test_times_up_to_the_tolerance_and_scheduled_times_land(tmp_path):
    write(tmp_path / "raw", OKTA, "log.jsonl", jsonl(okta_event("late", "2026-11-01T23:59:59Z")))
    con, result = run(tmp_path, OKTA)
    assert result.rows_quarantined == 0
    # BillingPeriodEnd / ChargePeriodEnd are scheduled ends: after the as-of day is normal
    write(tmp_path / "raw", FOCUS, "f.csv", f"{FOCUS_HEADER}\n{focus_row('1.5', end='2027-10-01 00:00:00')}\n")
    con, result = run(tmp_path, FOCUS, con)
    assert result.rows_quarantined == 0


@pytest.mark.parametrize(
    ("text", "landed"),
    [
        ("20261030", datetime(2026, 10, 30)),
        ("2026-10-30 07:00:00 UTC", datetime(2026, 10, 30, 7)),
    ],
)
def test_compact_dates_are_dates_never_epoch_seconds(tmp_path, text, landed):
    header = "source,change_id,time_created"
    write(tmp_path / "raw", CHANGES, "c.csv", f"{header}\ngithub,abc123,{text}\n")
    con, _result = run(tmp_path, CHANGES)
    assert rows(con, f"SELECT time_created FROM {CHANGES.table}") == [(landed,)]


def test_an_impossible_compact_date_is_quarantined(tmp_path):
    write(tmp_path / "raw", CHANGES, "c.csv", "source,change_id,time_created\ngithub,abc123,20261345\n")
    con, _ = run(tmp_path, CHANGES)
    assert rows(con, "SELECT column_name, reason FROM audit.quarantine") == [
        ("time_created", "not a timestamp (ISO 8601, 'YYYY-MM-DD HH:MM:SS' or YYYYMMDD): '20261345'")
    ]


def test_epoch_seconds_where_the_format_documents_them(tmp_path):
    """AWS CLI v1 prints Secrets Manager dates as epoch seconds: those land; a compact date there is a date."""
    doc = {
        "SecretList": [
            {
                "ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:a",
                "Name": "a",
                "CreatedDate": 1727136000.512,
            },
            {"ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:b", "Name": "b", "CreatedDate": "20240924"},
        ]
    }
    write(tmp_path / "raw", SECRETS_INVENTORY, "list.json", json.dumps(doc))
    con, _ = run(tmp_path, SECRETS_INVENTORY)
    assert rows(con, f"SELECT name, created_date FROM {SECRETS_INVENTORY.table} ORDER BY 1") == [
        ("a", datetime(2024, 9, 24, 0, 0, 0, 512000)),
        ("b", datetime(2024, 9, 24)),
    ]


def test_freshness_never_counts_a_quarantined_future_time(tmp_path):
    write(
        tmp_path / "raw",
        OKTA,
        "log.jsonl",
        jsonl(okta_event("old", "2026-10-01T00:00:00Z"), okta_event("future", "9999-12-31T00:00:00Z")),
    )
    con, _ = run(tmp_path, OKTA)
    assert rows(con, f"SELECT max(published) FROM {OKTA.table}") == [(datetime(2026, 10, 1),)]


# -------------------------------------------------------------------------------------- malformed JSON


def test_duplicate_keys_quarantine_the_record(tmp_path):
    good = json.dumps(okta_event("ok"))
    dup = '{"uuid": "d1", "uuid": "d2", "published": "2026-10-30T08:00:00Z", "eventType": "x", "actor": {"id": "a"}}'
    nested = (
        '{"uuid": "n1", "published": "2026-10-30T08:00:00Z", "eventType": "x", '
        '"actor": {"id": "a", "type": "User", "type": "SystemPrincipal"}}'
    )
    write(tmp_path / "raw", OKTA, "log.jsonl", "\n".join([good, dup, nested]) + "\n")
    con, _result = run(tmp_path, OKTA)
    assert rows(con, f"SELECT uuid FROM {OKTA.table}") == [("ok",)]
    assert rows(con, "SELECT line, reason FROM audit.quarantine ORDER BY line") == [
        (2, "duplicate key 'uuid' in one JSON object: which value counts would be a silent choice"),
        (3, "duplicate key 'type' in one JSON object: which value counts would be a silent choice"),
    ]


def test_duplicate_keys_inside_a_json_array_quarantine_only_that_record(tmp_path):
    text = "[" + json.dumps(okta_event("ok")) + ', {"uuid": "d", "uuid": "e", "published": "2026-10-30T00:00:00Z"}]'
    write(tmp_path / "raw", OKTA, "log.json", text)
    con, _ = run(tmp_path, OKTA)
    assert rows(con, f"SELECT uuid FROM {OKTA.table}") == [("ok",)]
    assert rows(con, "SELECT line, reason FROM audit.quarantine") == [
        (2, "duplicate key 'uuid' in one JSON object: which value counts would be a silent choice")
    ]


def deep(levels: int) -> str:
    """A complete event whose ``x`` nests ``levels`` arrays (the record itself is level 1)."""
    return json.dumps(okta_event("deep"))[:-1] + ', "x": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 10_000])
def test_deep_nesting_quarantines_the_record_and_the_rest_lands(tmp_path, levels):
    write(
        tmp_path / "raw",
        OKTA,
        "log.jsonl",
        jsonl(okta_event("before")) + deep(levels) + "\n" + jsonl(okta_event("after")),
    )
    con, result = run(tmp_path, OKTA)
    assert [f.status for f in result.files] == ["landed"]
    assert rows(con, f"SELECT uuid FROM {OKTA.table} ORDER BY _line") == [("before",), ("after",)]
    assert rows(con, "SELECT line, reason FROM audit.quarantine") == [
        (2, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    ]


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 10_000])
def test_deep_nesting_inside_a_json_document_quarantines_that_record(tmp_path, levels):
    text = "[" + json.dumps(okta_event("before")) + "," + deep(levels) + "," + json.dumps(okta_event("after")) + "]"
    write(tmp_path / "raw", OKTA, "log.json", text)
    con, _ = run(tmp_path, OKTA)
    assert rows(con, f"SELECT uuid FROM {OKTA.table} ORDER BY _line") == [("before",), ("after",)]
    assert rows(con, "SELECT line, reason FROM audit.quarantine") == [
        (2, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    ]


def test_nesting_at_the_limit_lands(tmp_path):
    write(tmp_path / "raw", OKTA, "log.jsonl", deep(MAX_JSON_DEPTH - 1) + "\n")
    _con, result = run(tmp_path, OKTA)
    assert result.rows_accepted == 1 and result.rows_quarantined == 0


def test_json_numbers_keep_every_digit_in_raw_records(tmp_path):
    """Records inside a JSON document are serialised again for ``_record``: numbers keep the file's digits (a
    float round trip would print 0.1 for 0.1000000000000000055511151231257827)."""
    digits = "0.1000000000000000055511151231257827"
    event = json.dumps(okta_event("n1"))[:-1] + f', "target": [{{"id": "t", "score": {digits}}}]}}'
    write(tmp_path / "raw", OKTA, "log.json", f"[{event}]")
    con, _ = run(tmp_path, OKTA)
    ((record, target),) = rows(con, f"SELECT _record, target FROM {OKTA.table}")
    assert digits in record and digits in target


# --------------------------------------------------------------------------------------- malformed CSV


@pytest.mark.parametrize("header", ["BilledCost,BilledCost", "BilledCost,billedcost"])
def test_a_duplicated_csv_header_rejects_the_file_naming_the_column(tmp_path, header):
    text = FOCUS_HEADER.replace("BilledCost,", header + ",", 1) + "\n" + focus_row("1").replace("1,", "1,2,", 1)
    write(tmp_path / "raw", FOCUS, "dup.csv", text + "\n")
    _con, result = run(tmp_path, FOCUS)
    (f,) = result.files
    assert f.status == "rejected"
    assert "duplicated column name" in f.message and "(columns 1 and 2)" in f.message and "Traceback" not in f.message


# ------------------------------------------------------------------------------------ money landed or not


def test_money_is_totalled_per_file_and_currency_from_the_text(tmp_path):
    text = (
        "\n".join(
            [
                FOCUS_HEADER,
                focus_row("1.000000000000001"),
                focus_row("2.5", currency="eur"),
                focus_row("3", start="not-a-time"),
                focus_row("1e-19"),
                "1,2,3",
            ]
        )
        + "\n"
    )
    write(tmp_path / "raw", FOCUS, "f.csv", text)
    con, _result = run(tmp_path, FOCUS)
    got = {
        (c, cur): r
        for c, cur, *r in rows(
            con,
            "SELECT column_name, currency, rows_read, amount_read, rows_landed, amount_landed, rows_quarantined, "
            "amount_quarantined, rows_unreadable FROM audit.ingested_money WHERE column_name = 'billed_cost'",
        )
    }
    assert got == {
        ("billed_cost", None): [0, 0, 0, 0, 0, 0, 1],  # the row that could not be split into fields
        ("billed_cost", "EUR"): [1, Decimal("2.5"), 1, Decimal("2.5"), 0, 0, 0],
        ("billed_cost", "USD"): [2, Decimal("4.000000000000001"), 1, Decimal("1.000000000000001"), 1, Decimal(3), 1],
    }
    passed, meta = money.verdict(FOCUS, money.unlanded(con, FOCUS), 0)
    assert not passed
    assert meta["files_with_unlanded_money"] == 1 and meta["rows_unreadable_amounts"] == 1
    assert "billing/focus/f.csv: 1 quarantined row(s) holding billed_cost 3.000000000000000000 USD" in meta["reason"]
    assert "row(s) whose billed_cost cannot be read exactly" in meta["reason"]


def test_money_within_the_limit_passes_and_clean_files_pass(tmp_path):
    write(tmp_path / "raw", FOCUS, "f.csv", f"{FOCUS_HEADER}\n{focus_row('0.004', start='bad')}\n{focus_row('7')}\n")
    con, _ = run(tmp_path, FOCUS)
    assert money.verdict(FOCUS, money.unlanded(con, FOCUS), 0.01)[0]
    assert not money.verdict(FOCUS, money.unlanded(con, FOCUS), 0)[0]


def test_a_rejected_money_file_blocks_until_it_is_restated_or_withdrawn(tmp_path):
    path = write(tmp_path / "raw", FOCUS, "f.csv", "not,a,focus,file\n1,2,3,4\n")
    con, _ = run(tmp_path, FOCUS)
    passed, meta = money.verdict(FOCUS, money.unlanded(con, FOCUS), 0)
    assert not passed and meta["files_rejected"] == 1 and "file rejected, its money is unknown" in meta["reason"]
    path.write_text(f"{FOCUS_HEADER}\n{focus_row('7')}\n")  # the user restates it at the same path
    con, _ = run(tmp_path, FOCUS, con)
    assert money.verdict(FOCUS, money.unlanded(con, FOCUS), 0)[0]
    assert rows(con, "SELECT status FROM audit.ingested_files ORDER BY ingested_at") == [("superseded",), ("landed",)]
    bad = write(tmp_path / "raw", FOCUS, "g.csv", b"\xff\xfe not utf-8")
    con, _ = run(tmp_path, FOCUS, con)
    assert not money.verdict(FOCUS, money.unlanded(con, FOCUS), 0)[0]
    os.remove(bad)  # the user takes the broken file out of raw/: it is withdrawn, kept on record
    con, _ = run(tmp_path, FOCUS, con)
    assert money.verdict(FOCUS, money.unlanded(con, FOCUS), 0)[0]
    assert rows(con, "SELECT status FROM audit.ingested_files WHERE source_file LIKE '%g.csv'") == [("withdrawn",)]


def test_a_bad_file_never_prints_a_traceback(tmp_path, caplog):
    write(tmp_path / "raw", OKTA, "a.json", "[" * 100_000)
    write(tmp_path / "raw", OKTA, "b.jsonl.gz", b"\x1f\x8b\x08\x00broken")
    _con, result = run(tmp_path, OKTA)
    assert [f.status for f in result.files] == ["rejected", "rejected"]
    for f in result.files:
        assert f.message.startswith(f.source_file) and "\n" not in f.message
    assert "Traceback" not in caplog.text


# ------------------------------------------------------------------------------------------- secrets

PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u"
PLANTED = {
    "aws_secret_access_key": (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    "github_token": ("token ghp_R2d2C3p0BB8LuKeSkyW4lk3rH4nS0l0x1Y2z", "ghp_R2d2C3p0BB8LuKeSkyW4lk3rH4nS0l0x1Y2z"),
    "openai_api_key": (
        "key sk-proj-Ab12Cd34Ef56Gh78Ij90T3BlbkFJKl12Mn34Op56Qr78St90",
        "sk-proj-Ab12Cd34Ef56Gh78Ij90T3BlbkFJKl12Mn34Op56Qr78St90",
    ),
    "private_key": (f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----", PEM_BODY),
}
CORES = [core for _, core in PLANTED.values()]


def text_columns(con) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON')"
    ).fetchall()


def leaked(con) -> list[str]:
    """Every (table.column, secret) where a planted secret's core survived, anywhere in the database."""
    return [hit for core in CORES for hit in leaked_text(con, core)]


def leaked_text(con, core: str) -> list[str]:
    """Every table.column, anywhere in the database, holding ``core``."""
    out = []
    for schema, table, column in text_columns(con):
        n = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE contains("{column}", ?)', [core]).fetchone()[
            0
        ]
        if n:
            out.append(f"{schema}.{table}.{column}: {core[:12]}...")
    return out


def _plant(ds: Dataset, tmp_path: Path) -> tuple[str, set[str]]:
    """A realistic export of ``ds`` (its test fixture) with a secret in every text field of one record and, for
    CSV, in a column the contract does not name; returns (file text, the fields planted)."""
    from tests.unit.test_ingest import _set, header_cols, load_source, primary

    src = load_source(primary(ds).path, ds)
    planted = set()
    kinds = list(PLANTED.values())
    texts = [f for f in ds.fields if f.type in ("string", "json") and (src.kind != "csv" or header_cols(src, f))]
    for n, f in enumerate(texts):
        secret = kinds[n % len(kinds)][0]
        _set(
            src,
            f,
            json.dumps({"note": secret})
            if f.type == "json" and src.kind == "csv"
            else {"note": secret}
            if f.type == "json"
            else secret,
        )
        planted.add(f.name)
    if src.kind == "csv":
        src.header.append("x_note")
        for r in src.recs:
            r.values["x_note"] = "see " + kinds[0][0]
    return src.text(), planted


@pytest.mark.parametrize("key", [d.key for d in BY_KEY.values() if d.key != "billing/focus"] + ["billing/focus"])
def test_secrets_in_every_text_field_never_land(tmp_path, key):
    """A person pasted credentials into free text (descriptions, tags, titles, display messages, request tags,
    policy input): nothing stores them; each becomes [REDACTED:<kind>] and is counted per column."""
    from tests.unit.test_ingest import primary

    ds = BY_KEY[key]
    text, planted = _plant(ds, tmp_path)
    name = primary(ds).path.name.removesuffix(".gz")
    write(tmp_path / "raw", ds, name, text)
    con, result = run(tmp_path, ds)
    assert [f.status for f in result.files] == ["landed"], result.files
    assert leaked(con) == []
    counted = {c for (c,) in rows(con, "SELECT DISTINCT column_name FROM audit.redactions WHERE dataset = ?", [ds.key])}
    landed_or_quarantined = counted | {
        c for (c,) in rows(con, "SELECT DISTINCT column_name FROM audit.quarantine WHERE reason LIKE '%[REDACTED:%'")
    }
    assert planted <= landed_or_quarantined, planted - landed_or_quarantined
    assert {k for (k,) in rows(con, "SELECT DISTINCT kind FROM audit.redactions")} <= set(PLANTED) | {
        "secret_assignment"
    }


#: (SMALL_GATE_ROWS, DISTINCT_GATE_RATIO): every way the secret gate can read a batch.
GATES = {
    "one statement": (10**9, checkfile.DISTINCT_GATE_RATIO),
    "row gate": (0, 10**9),
    "as shipped": (0, checkfile.DISTINCT_GATE_RATIO),
    "value gate": (0, 0),
}


@pytest.mark.parametrize("gate", list(GATES))
def test_secrets_in_repeated_and_unique_values_are_found_either_way(tmp_path, monkeypatch, gate):
    """The secret gate reads a small batch in one statement; a larger one column by column, a column with few
    distinct values once per value, the others row by row: a secret in a repeated value (a user on every third
    request), in a unique one (one request id) or in both lands nowhere, and the same rows are redacted and
    counted whichever way each column is gated."""
    monkeypatch.setattr(checkfile, "SMALL_GATE_ROWS", GATES[gate][0])
    monkeypatch.setattr(checkfile, "DISTINCT_GATE_RATIO", GATES[gate][1])
    header = "request_id,call_type,spend,startTime,endTime,model,user,status"
    users = ["u-a", PLANTED["github_token"][0], "u-b"]
    lines = [header]
    for i in range(300):
        rid = PLANTED["openai_api_key"][0] if i == 7 else f"r{i}"
        lines.append(f"{rid},acompletion,0.0001,2026-10-30 08:00:00,2026-10-30 08:00:01,gpt-4o,{users[i % 3]},success")
    write(tmp_path / "raw", LITELLM, "spend.csv", "\n".join(lines) + "\n")
    con, result = run(tmp_path, LITELLM)
    assert result.rows_accepted == 300, rows(con, "SELECT DISTINCT column_name, reason FROM audit.quarantine")
    assert leaked(con) == []
    counted = rows(con, "SELECT column_name, kind, sum(matches) FROM audit.redactions GROUP BY ALL ORDER BY ALL")
    assert counted == [("request_id", "openai_api_key", 1), ("user", "github_token", 100)]


@pytest.mark.parametrize("ds", [LITELLM, FOCUS], ids=["_record", "_extra"])
@pytest.mark.parametrize("gate", ["one statement", "row gate", "value gate"])
def test_a_column_whose_name_makes_its_value_a_secret_never_lands(tmp_path, monkeypatch, ds, gate):
    """A column the contract does not name lands as JSON (`{"db_password": "..."}`), where its name makes a bare
    value an assignment no cell shows: the gate reads that JSON too, so the value is redacted, not landed."""
    from tests.unit.test_ingest import primary

    monkeypatch.setattr(checkfile, "SMALL_GATE_ROWS", GATES[gate][0])
    monkeypatch.setattr(checkfile, "DISTINCT_GATE_RATIO", GATES[gate][1])
    src = primary(ds)
    assert src.kind == "csv", src.path
    src.header.append("db_password")
    for r in src.recs:
        r.values["db_password"] = "c0rrect-h0rse-batt3ry"
    write(tmp_path / "raw", ds, src.path.name, src.text())
    con, result = run(tmp_path, ds)
    assert [f.status for f in result.files] == ["landed"] and result.rows_accepted == len(src.recs), result.files
    extra = checkfile.extra_column(ds)
    kept = [json.loads(x) for (x,) in rows(con, f"SELECT {extra} FROM {ds.table}")]
    assert kept and all(k["db_password"] == "[REDACTED:secret_assignment]" for k in kept), kept[:2]
    assert leaked_text(con, "c0rrect-h0rse") == []
    assert rows(con, "SELECT column_name, kind, sum(matches) FROM audit.redactions GROUP BY ALL") == [
        ("_x", "secret_assignment", len(src.recs))
    ]


def test_a_secret_in_an_enum_field_is_redacted_in_the_quarantine_reason(tmp_path):
    event = okta_event("e1", severity="ghp_R2d2C3p0BB8LuKeSkyW4lk3rH4nS0l0x1Y2z")
    write(tmp_path / "raw", OKTA, "log.jsonl", jsonl(event))
    con, _ = run(tmp_path, OKTA)
    ((column, reason, raw),) = rows(con, "SELECT column_name, reason, raw_record FROM audit.quarantine")
    assert column == "severity" and reason.startswith("value '[REDACTED:github_token]' is not one of")
    assert "ghp_" not in raw and json.loads(raw)["severity"] == "[REDACTED:github_token]"


def test_secret_values_inside_any_json_shape_never_land(tmp_path):
    """A BatchGetSecretValue response dropped among the inventory exports: every SecretString / SecretBinary,
    however deep, is gone before anything is stored (landed, quarantined or counted)."""
    doc = {
        "SecretValues": [
            {
                "ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db",
                "Name": "db",
                "SecretString": '{"password": "hunter2-very-secret"}',
                "CreatedDate": 1727136000,
            },
            {
                "ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:blob",
                "Name": "blob",
                "SecretBinary": "c2VjcmV0LWJ5dGVzLWhlcmU=",
                "Nested": [{"SecretString": "another-deep-secret"}],
            },
        ],
        "Errors": [],
    }
    write(tmp_path / "raw", SECRETS_INVENTORY, "batch-get-secret-value.json", json.dumps(doc))
    write(
        tmp_path / "raw",
        SECRETS_INVENTORY,
        "list.json",
        json.dumps(
            {
                "SecretList": [
                    {
                        "ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x",
                        "Name": "x",
                        "CreatedDate": 1727136000,
                        "Tags": [{"Key": "note", "Value": "x"}],
                        "SecretString": "top-level-secret",
                    }
                ]
            }
        ),
    )
    con, _ = run(tmp_path, SECRETS_INVENTORY)
    everything = " ".join(
        str(v)
        for schema, table, column in text_columns(con)
        for (v,) in rows(con, f'SELECT "{column}" FROM "{schema}"."{table}"')
        if v
    )
    for secret in ("hunter2-very-secret", "c2VjcmV0LWJ5dGVzLWhlcmU=", "another-deep-secret", "top-level-secret"):
        assert secret not in everything
    assert "[REDACTED:secret_value]" in everything


# --------------------------------------------------------------------------------------- unclaimed files


def test_files_outside_every_dataset_folder_are_recorded_once_and_never_read(tmp_path):
    raw = tmp_path / "raw"
    write(raw, OKTA, "log.jsonl", jsonl(okta_event("e1")))
    (raw / "usage" / "anthropic_usage").mkdir(parents=True)
    (raw / "usage" / "anthropic_usage" / "usage.json").write_text('{"data": []}')
    (raw / "notes.csv").write_text("a,b\n1,2\n")
    (raw / "passwd").symlink_to("/etc/passwd")
    (raw / ".hidden").write_text("ignored")
    con = engine.connect(tmp_path / "build" / "roi.duckdb")
    found = engine.record_unclaimed(con, raw, BY_KEY.values(), run_id="r1")
    assert [f.source_file for f in found] == ["notes.csv", "passwd", "usage/anthropic_usage/usage.json"]
    assert all("no registered dataset reads this folder" in f.message for f in found)
    recorded = rows(con, "SELECT source_file, file_sha256, status FROM audit.ingested_files ORDER BY 1")
    assert [(r[0], r[2]) for r in recorded] == [
        ("notes.csv", "unclaimed"),
        ("passwd", "unclaimed"),
        ("usage/anthropic_usage/usage.json", "unclaimed"),
    ]
    assert dict((r[0], r[1]) for r in recorded)["passwd"] == engine.UNREAD
    engine.record_unclaimed(con, raw, BY_KEY.values(), run_id="r2")  # a re-run records nothing new
    assert rows(con, "SELECT count(*) FROM audit.ingested_files") == [(3,)]
    assert rows(con, f"SELECT count(*) FROM {OKTA.table}") == [(0,)]


def test_null_sentinels_are_found_as_trimming_every_value_would():
    """The contract compares a value with the null sentinels trimmed, but trims only text that could change
    (an edge space, any non-ASCII character): the same NULLs as trimming everything, on sentinels and text
    wrapped in every ASCII character and in Unicode spaces. DuckDB's `trim` takes no ASCII but the space: the
    shortcut rests on it, so it is pinned here."""
    con = duckdb.connect()
    assert [
        i for i in range(1, 128) if con.execute("SELECT trim(?) <> ?", [f"{chr(i)}x{chr(i)}"] * 2).fetchone()[0]
    ] == [32]
    edges = [chr(i) for i in range(1, 128)] + ["\u00a0", "\u2003", "\u3000", "\u0085", "\u200b", "\ufeff", "é"]
    cores = [*LITELLM.null_tokens, "x", "None ", "nullx", "Zoë", "  "]
    values = (
        [*cores]
        + [e + c for e in edges for c in cores]
        + [c + e for e in edges for c in cores]
        + [e + c + e for e in edges for c in cores]
    )
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    tokens = ", ".join(sql_str(t) for t in LITELLM.null_tokens)
    got = con.execute(f"SELECT v, {value_expression(LITELLM, 'v')} FROM t ORDER BY v").fetchall()
    want = con.execute(f"SELECT v, CASE WHEN trim(v) IN ({tokens}) THEN NULL ELSE v END FROM t ORDER BY v").fetchall()
    assert got == want
    assert sum(1 for _, x in got if x is None) > len(LITELLM.null_tokens) * 2  # (sentinels with spaces around too)


def test_a_rejected_records_secret_value_is_redacted_as_trace_shows_it(tmp_path):
    """A record that cannot be split into fields (a JSON array on its line) keeps its text in quarantine: a secret
    value in it (``SecretString`` holding an object, which no text detector sees as a secret) is redacted by the
    same function ``roi-ledger trace`` reads the line back with."""
    from orchestration.ingest.raw_records import read_raw_records

    leaked = '[{"SecretString": {"v": "zzz-plain-value-42"}}]'
    path = write(tmp_path / "raw", OKTA, "log.jsonl", json.dumps(okta_event("ok")) + "\n" + leaked + "\n")
    con, _ = run(tmp_path, OKTA)
    ((line, reason, raw),) = rows(con, "SELECT line, reason, raw_record FROM audit.quarantine")
    assert (line, reason) == (2, "record is not a JSON object")
    assert "zzz-plain-value-42" not in raw and "[REDACTED:secret_value]" in raw
    found, _, _ = read_raw_records(path, "jsonl", {2}, OKTA)
    assert found[2][1] == raw and found[2][2] == "secrets redacted (secret_value)"
    assert rows(con, "SELECT column_name, kind, matches FROM audit.redactions") == [("_raw_record", "secret_value", 1)]
