"""Reader edge cases: what each reader yields (cells, line numbers, raw records) for the shapes real exports take."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.datasets import BY_KEY, DELIVERY_CHANGES, OKTA_SYSTEM_LOG, OPENAI_USAGE, SECRETS_INVENTORY
from orchestration.ingest import readers
from orchestration.ingest.readers import FileRejected, RowReject


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str | None]]], list[RowReject]]:
    rejects: list[RowReject] = []
    header, batches = readers.read_csv(path, rejects)
    rows = [(line, [col[r] for col in b.columns]) for b in batches for r, line in enumerate(b.lines)]
    return header, rows, rejects


def json_rows(path: Path, ds) -> tuple[list[tuple[int, dict, str]], list[RowReject]]:
    """(line, {field name: cell}, raw) per record, and the rejects."""
    rejects: list[RowReject] = []
    out = []
    for b in readers.read_json(path, ds, rejects):
        for r, line in enumerate(b.lines):
            out.append((line, {f.name: b.columns[i][r] for i, f in enumerate(ds.fields)}, b.raws[r]))
    return out, rejects


# ---------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("a.csv.gz", "csv"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.NDJSON.GZ", "jsonl"),
        ("a.json", "json"),
        ("a.json.gz", "json"),
        ("a.parquet", "parquet"),
        ("focus.2024-10.csv", "csv"),
    ],
)
def test_file_format_by_suffix(name, fmt):
    assert readers.file_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["a.xlsx", "a.csv.zip", "a.gz", "a.csv.bak", "README"])
def test_unsupported_suffix_is_rejected(name):
    with pytest.raises(FileRejected, match="unsupported file type"):
        readers.file_format(Path(name))


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("okta-system-log.log", b'{"uuid": "a"}\n{"uuid": "b"}\n', "jsonl"),
        ("events.txt", b'\n  {"uuid": "a"}\n', "jsonl"),
        ("events.log.gz", gzip.compress(b'{"uuid": "a"}\n', mtime=0), "jsonl"),
        ("dump.log", b'[{"uuid": "a"}]', "json"),
    ],
)
def test_vendor_suffixes_are_read_by_content(tmp_path, name, content, fmt):
    """Okta forwarders and syslog collectors write JSON lines as .log or .txt: the content decides."""
    (tmp_path / name).write_bytes(content)
    assert readers.file_format(tmp_path / name) == fmt


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("app.log", b"2024-10-01 08:00:00 INFO started\n"),
        ("notes.txt", b"user,arn\nalice,arn:aws:iam::1:user/alice\n"),
        ("empty.log", b""),
    ],
)
def test_log_and_txt_files_that_are_not_json_lines_are_rejected(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(FileRejected, match="holds JSON lines"):
        readers.file_format(tmp_path / name)


# ----------------------------------------------------------------------------------------------- CSV


def test_csv_utf8_bom_is_not_part_of_the_first_header(tmp_path):
    header, rows, _ = csv_rows(write(tmp_path, "a.csv", "\ufeffBilledCost,ChargeCategory\n1.5,Usage\n"))
    assert header == ["BilledCost", "ChargeCategory"]
    assert rows == [(2, ["1.5", "Usage"])]


def test_csv_header_names_are_trimmed(tmp_path):
    header, _, _ = csv_rows(write(tmp_path, "a.csv", " key , type\nA-1,bug\n"))
    assert header == ["key", "type"]


def test_csv_quoted_newline_reports_the_line_the_record_starts_on(tmp_path):
    text = (
        "key,title,team\n"
        'A-1,"first line\nsecond line\nthird line",x\n'
        "A-2,plain,y\n"
        'A-3,"say ""hi""\r\nthere",z\n'
        "A-4,last,w\n"
    )
    _, rows, rejects = csv_rows(write(tmp_path, "a.csv", text))
    assert rejects == []
    assert [(line, cells[0]) for line, cells in rows] == [(2, "A-1"), (5, "A-2"), (6, "A-3"), (8, "A-4")]
    assert rows[0][1][1] == "first line\nsecond line\nthird line"
    assert rows[2][1][1] == 'say "hi"\r\nthere'


def test_csv_blank_lines_are_skipped_and_lines_stay_physical(tmp_path):
    _, rows, rejects = csv_rows(write(tmp_path, "a.csv", "a,b\n\n1,2\n\n\n3,4\n\n"))
    assert rejects == []
    assert rows == [(3, ["1", "2"]), (6, ["3", "4"])]


def test_csv_crlf_line_endings(tmp_path):
    _, rows, _ = csv_rows(write(tmp_path, "a.csv", "a,b\r\n1,2\r\n3,4\r\n"))
    assert rows == [(2, ["1", "2"]), (3, ["3", "4"])]


def test_csv_wrong_field_count_is_a_row_reject_with_its_line(tmp_path):
    _, rows, rejects = csv_rows(write(tmp_path, "a.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12"))
    assert [line for line, _ in rows] == [2, 5]
    assert [(r.line, r.reason) for r in rejects] == [
        (3, "expected 3 fields (as in the header), found 2"),
        (4, "expected 3 fields (as in the header), found 4"),
    ]
    assert json.loads(rejects[0].raw) == ["4", "5"]


def test_csv_empty_cells_and_sentinels_are_passed_through_as_text(tmp_path):
    """The reader yields what the file says; null sentinels are the contract's business."""
    _, rows, _ = csv_rows(write(tmp_path, "a.csv", "a,b,c\n,NULL,N/A\n"))
    assert rows == [(2, ["", "NULL", "N/A"])]


def test_csv_gzip(tmp_path):
    path = write(tmp_path, "a.csv.gz", gzip.compress(b"a,b\n1,2\n3,4\n"))
    assert csv_rows(path)[1] == [(2, ["1", "2"]), (3, ["3", "4"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        ("user,arn\nM\u00fcller,x\n".encode("latin-1"), "not valid UTF-8"),
        ("a,b\n1,2\n".encode("utf-16"), "not valid UTF-8"),
        (b'a,b\n1,"unterminated\n', "CSV syntax error"),
    ],
)
def test_csv_unreadable_files_are_rejected(tmp_path, data, message):
    with pytest.raises(FileRejected, match=message):
        _, batches = readers.read_csv(write(tmp_path, "a.csv", data), [])
        list(batches)


def test_csv_bad_utf8_deep_in_a_big_file_rejects_it(tmp_path):
    """The decoder works in chunks: a bad byte after the first chunk still rejects the whole file."""
    body = "".join(f"K-{i},ok\n" for i in range(5000))
    path = write(tmp_path, "a.csv", b"key,v\n" + body.encode() + "K-x,M\u00fcller\n".encode("cp1252"))
    _, batches = readers.read_csv(path, [])
    with pytest.raises(FileRejected, match="not valid UTF-8"):
        list(batches)


def test_csv_cut_gzip_is_rejected(tmp_path):
    data = gzip.compress(b"a,b\n" + b"".join(b"%d,x\n" % i for i in range(2000)))
    _, batches = readers.read_csv(write(tmp_path, "a.csv.gz", data[: len(data) // 2]), [])
    with pytest.raises(FileRejected, match="cannot read the file"):
        list(batches)


# ---------------------------------------------------------------------------------------------- JSON


def test_json_array_records_are_numbered(tmp_path):
    events = [
        {
            "uuid": f"u{i}",
            "published": "2024-10-01T00:00:00Z",
            "eventType": "user.session.start",
            "actor": {"id": f"00u{i}"},
        }
        for i in range(3)
    ]
    rows, rejects = json_rows(write(tmp_path, "okta.json", json.dumps(events, indent=2)), OKTA_SYSTEM_LOG)
    assert rejects == []
    assert [(line, cells["uuid"], cells["actor_id"]) for line, cells, _ in rows] == [
        (1, "u0", "00u0"),
        (2, "u1", "00u1"),
        (3, "u2", "00u2"),
    ]
    assert json.loads(rows[1][2]) == events[1]


def test_json_single_object_is_one_record(tmp_path):
    rows, _ = json_rows(write(tmp_path, "one.json", '{"uuid": "u1", "actor": {"id": "a"}}'), OKTA_SYSTEM_LOG)
    assert [(line, cells["uuid"]) for line, cells, _ in rows] == [(1, "u1")]


def test_json_lines_saved_as_json_are_read_as_lines(tmp_path):
    text = (
        '{"source":"github","change_id":"a","time_created":"2024-10-01T00:00:00Z"}\n'
        "\n"
        '{"source":"github","change_id":"b","time_created":"2024-10-01T00:00:01Z"}\n'
        '{"source":"github","change_id":"c",\n'
    )
    rows, rejects = json_rows(write(tmp_path, "changes.json", text), DELIVERY_CHANGES)
    assert [(line, cells["change_id"]) for line, cells, _ in rows] == [(1, "a"), (3, "b")]
    assert rows[1][2] == '{"source":"github","change_id":"b","time_created":"2024-10-01T00:00:01Z"}'
    assert [(r.line, r.reason.split(":")[0]) for r in rejects] == [(4, "invalid JSON at column 36")]
    assert rejects[0].raw == '{"source":"github","change_id":"c",'


def test_json_lines_records_keep_the_line_as_written(tmp_path):
    line = '{"source": "github",  "change_id": "a", "time_created": "2024-10-01T00:00:00Z", "x": 1.10}'
    rows, _ = json_rows(write(tmp_path, "c.jsonl", "\n\n" + line + "\n"), DELIVERY_CHANGES)
    assert rows == [(3, rows[0][1], line)]


def test_json_numbers_are_exact_text(tmp_path):
    rec = '{"request_id":"r","spend":0.00001234567891,"total_tokens":12345678901234567890,"startTime":1.7e9}'
    rows, _ = json_rows(write(tmp_path, "s.jsonl", rec + "\n"), BY_KEY["usage/litellm_spend_logs"])
    cells = rows[0][1]
    assert cells["spend"] == "0.00001234567891"
    assert cells["total_tokens"] == "12345678901234567890"
    assert cells["start_time"] == "1700000000"


def test_json_nested_values_are_json_text_and_booleans_lowercase(tmp_path):
    rec = {
        "ARN": "a",
        "Name": "n",
        "RotationEnabled": True,
        "RotationRules": {"AutomaticallyAfterDays": 30},
        "Tags": [{"Key": "k", "Value": "v"}],
        "CreatedDate": 1700000000.5,
    }
    rows, _ = json_rows(write(tmp_path, "s.json", json.dumps({"SecretList": [rec]})), SECRETS_INVENTORY)
    cells = rows[0][1]
    assert cells["rotation_enabled"] == "true"
    assert cells["rotation_after_days"] == "30"
    assert json.loads(cells["tags"]) == [{"Key": "k", "Value": "v"}]
    assert cells["created_date"] == "1700000000.5"


def test_invalid_json_document_is_rejected_whole(tmp_path):
    with pytest.raises(FileRejected, match="invalid JSON at line 3"):
        json_rows(write(tmp_path, "okta.json", '[\n  {"uuid": "u1"},\n  {"uuid": "u2"'), OKTA_SYSTEM_LOG)


@pytest.mark.parametrize("text", ["", "  \n\n", "[]", '{"SecretList": []}'])
def test_json_without_records_is_rejected_as_empty(tmp_path, text):
    ds = SECRETS_INVENTORY
    rows, rejects = [], []
    try:
        rows, rejects = json_rows(write(tmp_path, "s.json", text), ds)
    except FileRejected as exc:
        assert "empty file" in str(exc)
        return
    assert rows == [] and rejects == []  # the engine rejects a file with no records as 'empty file'


def test_json_non_object_records_are_row_rejects(tmp_path):
    rows, rejects = json_rows(write(tmp_path, "c.json", '[{"change_id": "a"}, 42, "x", null, [1]]'), DELIVERY_CHANGES)
    assert [line for line, _, _ in rows] == [1]
    assert [(r.line, r.reason) for r in rejects] == [(n, "record is not a JSON object") for n in (2, 3, 4, 5)]


# ----------------------------------------------------------------------------------- OpenAI usage pages


def page(start: int, *results: dict, has_more: bool = False) -> dict:
    return {
        "object": "page",
        "data": [{"object": "bucket", "start_time": start, "end_time": start + 86400, "results": list(results)}],
        "has_more": has_more,
        "next_page": "page_AAAA" if has_more else None,
    }


def result(project: str, tokens: int) -> dict:
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": tokens,
        "output_tokens": 1,
        "num_model_requests": 1,
        "project_id": project,
    }


def test_openai_single_page(tmp_path):
    doc = page(1727740800, result("p1", 10), result("p2", 20))
    rows, _ = json_rows(write(tmp_path, "u.json", json.dumps(doc)), OPENAI_USAGE)
    assert [(line, c["project_id"], c["bucket_start"], c["bucket_end"]) for line, c, _ in rows] == [
        (1, "p1", "1727740800", "1727827200"),
        (2, "p2", "1727740800", "1727827200"),
    ]
    raw = json.loads(rows[0][2])
    assert raw["start_time"] == 1727740800 and raw["project_id"] == "p1"


def test_openai_json_array_of_pages(tmp_path):
    pages = [
        page(1727740800, result("p1", 10), has_more=True),
        page(1727827200, result("p2", 20), result("p3", 30)),
        page(1727913600),
    ]
    rows, _ = json_rows(write(tmp_path, "u.json", json.dumps(pages)), OPENAI_USAGE)
    assert [(line, c["project_id"], c["bucket_start"]) for line, c, _ in rows] == [
        (1, "p1", "1727740800"),
        (2, "p2", "1727827200"),
        (3, "p3", "1727827200"),
    ]


def test_openai_pages_as_json_lines_share_the_page_line(tmp_path):
    text = (
        json.dumps(page(1727740800, result("p1", 10), result("p2", 20)))
        + "\n"
        + json.dumps(page(1727827200, result("p3", 30)))
        + "\n"
    )
    rows, _ = json_rows(write(tmp_path, "u.jsonl", text), OPENAI_USAGE)
    assert [(line, c["project_id"]) for line, c, _ in rows] == [(1, "p1"), (1, "p2"), (2, "p3")]


def test_openai_other_document_is_rejected(tmp_path):
    with pytest.raises(FileRejected, match="not an OpenAI usage page"):
        json_rows(write(tmp_path, "u.json", '{"object": "list", "results": []}'), OPENAI_USAGE)


# ------------------------------------------------------------------------------------------- secrets


def secret(name: str) -> dict:
    return {
        "ARN": f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}-AbCdEf",
        "Name": name,
        "CreatedDate": 1699020335.21,
    }


def test_secrets_as_json_lines_of_secrets(tmp_path):
    text = "".join(json.dumps(secret(n)) + "\n" for n in ("a", "b", "c"))
    rows, rejects = json_rows(write(tmp_path, "s.jsonl", text), SECRETS_INVENTORY)
    assert rejects == []
    assert [(line, c["name"], c["created_date"]) for line, c, _ in rows] == [
        (1, "a", "1699020335.21"),
        (2, "b", "1699020335.21"),
        (3, "c", "1699020335.21"),
    ]


def test_secrets_as_json_lines_of_list_secrets_pages(tmp_path):
    text = (
        json.dumps({"SecretList": [secret("a"), secret("b")], "NextToken": "t"})
        + "\n"
        + json.dumps({"SecretList": [secret("c")]})
        + "\n"
    )
    rows, _ = json_rows(write(tmp_path, "s.jsonl", text), SECRETS_INVENTORY)
    assert [(line, c["name"]) for line, c, _ in rows] == [(1, "a"), (1, "b"), (2, "c")]


def test_secrets_as_json_array_of_secrets_and_of_pages(tmp_path):
    rows, _ = json_rows(write(tmp_path, "s.json", json.dumps([secret("a"), secret("b")])), SECRETS_INVENTORY)
    assert [c["name"] for _, c, _ in rows] == ["a", "b"]
    pages = [{"SecretList": [secret("a")]}, {"SecretList": [secret("b"), secret("c")]}]
    rows, _ = json_rows(write(tmp_path, "p.json", json.dumps(pages)), SECRETS_INVENTORY)
    assert [(line, c["name"]) for line, c, _ in rows] == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.parametrize("name", ["s.jsonl", "s.json"])
def test_secret_values_in_an_export_are_never_kept(tmp_path, name):
    leaked = {**secret("db"), "SecretString": '{"password": "hunter2-very-secret"}', "SecretBinary": "c2VjcmV0"}
    text = json.dumps(leaked) + "\n" if name.endswith("l") else json.dumps({"SecretList": [leaked]})
    rows, rejects = json_rows(write(tmp_path, name, text), SECRETS_INVENTORY)
    assert rejects == [] and len(rows) == 1
    _, cells, raw = rows[0]
    assert "hunter2" not in raw and "c2VjcmV0" not in raw
    assert json.loads(raw)["SecretString"] == "[REDACTED:secret_value]"
    assert not any("hunter2" in (v or "") for v in cells.values())


def test_secrets_json_lines_with_non_object_lines_do_not_crash(tmp_path):
    text = json.dumps(secret("a")) + "\nnull\n42\n[]\n"
    rows, rejects = json_rows(write(tmp_path, "s.jsonl", text), SECRETS_INVENTORY)
    assert [c["name"] for _, c, _ in rows] == ["a"]
    assert [(r.line, r.reason) for r in rejects] == [(n, "record is not a JSON object") for n in (2, 3, 4)]


# ------------------------------------------------------------------------------------------- Parquet


def parquet_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str | None]]]]:
    header, batches = readers.read_parquet(path)
    return header, [(line, [col[r] for col in b.columns]) for b in batches for r, line in enumerate(b.lines)]


def test_parquet_cells_are_exact_text(tmp_path):
    table = pa.table(
        {
            "BilledCost": pa.array([Decimal("0.12345678901"), None], pa.decimal128(38, 11)),
            "ConsumedQuantity": pa.array([1.5, 2.0]),
            "Start": pa.array([datetime(2024, 10, 1, 0, 0, 0, 123456, tzinfo=UTC)] * 2, pa.timestamp("us", "UTC")),
            "LocalStart": pa.array([datetime(2024, 10, 1, tzinfo=UTC)] * 2, pa.timestamp("ms", "Europe/Berlin")),
            "Naive": pa.array([datetime(2024, 10, 1, 12, 30)] * 2, pa.timestamp("s")),  # Parquet stores it in ms
            "Tags": pa.array([[("team", "x")], []], pa.map_(pa.string(), pa.string())),
            "Nested": pa.array([{"a": 1}, None], pa.struct([("a", pa.int64())])),
            "Flag": pa.array([True, None]),
            "Cat": pa.array(["Usage", "Tax"]).dictionary_encode(),
        }
    )
    path = tmp_path / "f.parquet"
    pq.write_table(table, path)
    header, rows = parquet_rows(path)
    assert header == table.column_names
    assert rows[0] == (
        1,
        [
            "0.12345678901",
            "1.5",
            "2024-10-01T00:00:00.123456Z",
            "2024-10-01T00:00:00.000Z",
            "2024-10-01T12:30:00.000Z",
            '{"team": "x"}',
            '{"a": 1}',
            "true",
            "Usage",
        ],
    )
    assert rows[1] == (
        2,
        [
            None,
            "2",
            "2024-10-01T00:00:00.123456Z",
            "2024-10-01T00:00:00.000Z",
            "2024-10-01T12:30:00.000Z",
            "{}",
            None,
            None,
            "Tax",
        ],
    )


@pytest.mark.parametrize("data", [b"", b"PAR1 not really parquet", b"a,b\n1,2\n"])
def test_unreadable_parquet_is_rejected(tmp_path, data):
    with pytest.raises(FileRejected, match="Parquet"):
        parquet_rows(write(tmp_path, "f.parquet", data))


@pytest.mark.parametrize("name", ["x.csv", "x.csv.gz"])
def test_closing_an_opened_export_closes_its_file(tmp_path, name):
    """A raw export opened as bytes or as text (gzip looked through) is closed with the stream read from it,
    never left to the garbage collector (which would warn of an unclosed file)."""
    import gc
    import warnings

    path = tmp_path / name
    path.write_bytes(gzip.compress(b"a,b\n1,2\n") if name.endswith(".gz") else b"a,b\n1,2\n")
    gc.collect()  # earlier tests' garbage (a TemporaryDirectory, say) warns now, not inside the recording
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with readers.open_bytes(path) as fh:
            assert fh.read() == b"a,b\n1,2\n"
        with readers.open_text(path) as fh:
            assert fh.read() == "a,b\n1,2\n"
        del fh
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
