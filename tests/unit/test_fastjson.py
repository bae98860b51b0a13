"""DuckDB reads JSON lines exactly as the streaming reader does, hands back the lines it cannot, or the file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.datasets import DATASETS, Dataset
from orchestration.ingest import engine, fastjson, readers
from orchestration.ingest.landing import landing_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL = FIXTURES / "real"
BY_KEY = {d.key: d for d in DATASETS}
Row = tuple[int, str | None, list[str | None]]


def _streamed(path: Path, ds: Dataset) -> tuple[list[Row], list[tuple[int, str, str]]]:
    rejects: list[readers.RowReject] = []
    rows = [
        (line, b.raws[r] if b.raws is not None else None, [col[r] for col in b.columns])
        for b in readers.read_json(path, ds, rejects)
        for r, line in enumerate(b.lines)
    ]
    return rows, [(rj.line, rj.reason, rj.raw) for rj in rejects]


def _fast(path: Path, ds: Dataset) -> tuple[list[Row], list[tuple[int, str, str]], fastjson.Staged] | None:
    con = duckdb.connect()
    staged = fastjson.stage(con, path, ds)
    if staged is None:
        made = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_rdr%'").fetchall()[0][0]
        assert made == 0, "a file handed back whole leaves nothing behind"
        return None
    cells = ", ".join(f"f{i}" for i in range(len(ds.fields)))
    got = con.execute(f"SELECT _line, _raw, [{cells}] FROM _rdr_batch ORDER BY _seq").fetchall()
    assert len(got) == staged.records
    if staged.ordered:  # no ORDER BY needed: the batch is in file order as it stands
        assert [r[0] for r in con.execute("SELECT _line FROM _rdr_batch").fetchall()] == [r[0] for r in got]
    fastjson.drop(con)
    rejects = [(rj.line, rj.reason, rj.raw) for rj in staged.rejects]
    return [(line, raw, list(c)) for line, raw, c in got], rejects, staged


def _agree(path: Path, ds: Dataset) -> fastjson.Staged | None:
    rows, rejects = _streamed(path, ds)
    fast = _fast(path, ds)
    if fast is not None:
        assert fast[0] == rows
        assert fast[1] == rejects
        return fast[2]
    return None


def _real_records(ds: Dataset) -> list[dict]:
    """The records of the public vendor samples of a dataset, as the streaming reader finds them."""
    out = []
    for p in sorted((REAL / ds.folder).glob("*.json")):
        text = p.read_text()
        try:
            docs = [json.loads(text)]
        except json.JSONDecodeError:  # JSON lines saved with a .json name (Azure Sentinel's GitHub sample)
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        for doc in docs:
            out += list(readers.records_from_document(doc, ds.json_layout, ds.json_records_key))
    return [r for r in out if isinstance(r, dict)]


JSONL_FIXTURES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz")))


@pytest.mark.parametrize("path", JSONL_FIXTURES, ids=[p.relative_to(FIXTURES).as_posix() for p in JSONL_FIXTURES])
def test_fixtures_read_alike(path: Path) -> None:
    ds = BY_KEY[f"{path.parent.parent.name}/{path.parent.name}"]
    _agree(path, ds)


@pytest.mark.parametrize("key", ["iam/okta_system_log", "iam/github_audit_log", "policy/opa_decision_logs"])
@pytest.mark.parametrize("spacing", ["compact", "spaced"])
def test_public_vendor_samples_as_json_lines_read_alike(
    tmp_path: Path, key: str, spacing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Okta, GitHub and OPA's own sample records, one per line as their streaming APIs write them: every
    record DuckDB takes gives the streaming reader's cells (JSON-typed fields compact and exact)."""
    monkeypatch.setattr(fastjson, "HAND_BACK_WHOLE", 1.0)  # a few samples: compare whatever share is handed back
    ds = BY_KEY[key]
    records = _real_records(ds)
    if key == "policy/opa_decision_logs":  # its one sample says `"result": "true"` (handed back): add the boolean
        records += [{**r, "decision_id": f"{r['decision_id']}-b", "result": r["result"] == "true"} for r in records]
    assert records
    separators = (",", ":") if spacing == "compact" else (", ", ": ")
    path = tmp_path / "sample.jsonl"
    path.write_text("".join(json.dumps(r, separators=separators, ensure_ascii=False) + "\n" for r in records))
    staged = _agree(path, ds)
    assert staged is not None and staged.records == len(records)
    assert staged.handed_back < len(records)  # vacuous otherwise: DuckDB would have read nothing


OKTA = BY_KEY["iam/okta_system_log"]
OPA = BY_KEY["policy/opa_decision_logs"]
_OK_OKTA = {
    "uuid": "u-{n}",
    "published": "2026-01-01T00:00:00.000Z",
    "eventType": "user.session.start",
    "actor": {"id": "00u{n}", "type": "User"},
    "outcome": {"result": "SUCCESS"},
    "target": [{"id": "t", "type": "AppInstance", "detail": {"n": 1, "ok": True, "x": None}}],
}

#: (name, line, handed back to Python): lines DuckDB must not read alone, and lines it must read exactly
TRICKY_OKTA = [
    (
        "duplicate key",
        '{"uuid":"d1","uuid":"d2","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"}}',
        True,
    ),
    (
        "duplicate nested key",
        '{"uuid":"d3","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a","id":"b"}}',
        True,
    ),
    (
        "duplicate key deep in an array",
        '{"uuid":"d4","published":"2026-01-01T00:00:00Z","eventType":"e",'
        '"actor":{"id":"a"},"target":[{"x":{"k":1,"k":2}}]}',
        True,
    ),
    ("trailing comma", '{"uuid":"t1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},}', True),
    (
        "trailing comma in an array",
        '{"uuid":"t2","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},"target":[1,]}',
        True,
    ),
    (
        "NaN (Python reads it)",
        '{"uuid":"n1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},"debug":NaN}',
        True,
    ),
    (
        "inf (Python refuses it)",
        '{"uuid":"n2","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},"debug":inf}',
        True,
    ),
    (
        "unicode escape",
        '{"uuid":"e1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"\\u00e9a"}}',
        True,
    ),
    (
        "secret value key",
        '{"uuid":"s1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},'
        '"target":[{"SecretString":"hunter2-hunter2"}]}',
        True,
    ),
    (
        "nested too deep",
        '{"uuid":"x1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},'
        '"target":' + "[" * 70 + "]" * 70 + "}",
        True,
    ),
    (
        "float in a JSON field",
        '{"uuid":"f1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},"target":[{"score":0.10}]}',
        True,
    ),
    (
        "float in a text field",
        '{"uuid":"f2","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":1.50}}',
        True,
    ),
    (
        "huge integer",
        '{"uuid":"f3","published":"2026-01-01T00:00:00Z","eventType":"e",'
        '"actor":{"id":123456789012345678901234567890}}',
        True,
    ),
    (
        "string holding JSON in a JSON field",
        '{"uuid":"j1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},"target":"[1, 2]"}',
        True,
    ),
    (
        "JSON word string in a JSON field",
        '{"uuid":"j2","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},"target":"null"}',
        True,
    ),
    (
        "hook delivery",
        '{"eventType":"com.okta.event_hook","data":{"events":['
        + json.dumps({**_OK_OKTA, "uuid": "h1"})
        + ","
        + json.dumps({**_OK_OKTA, "uuid": "h2"})
        + "]}}",
        True,
    ),
    ("not an object", "[1, 2, 3]", True),
    ("invalid JSON", '{"uuid":"i1","published":', True),
    ("leading space", '  {"uuid":"l1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"}}', True),
    (
        "plain word in a JSON field",
        '{"uuid":"w1","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"},"target":"allow"}',
        False,
    ),
    (
        "escapes, slashes and text",
        '{"uuid":"w2","published":"2026-01-01T00:00:00Z","eventType":"e","actor":'
        '{"id":"a\\/b\\n\\t\\"q\\\\","displayName":"Zoë 日本 \u2028 🚀"},'
        '"target":[{"msg":"x\\"y\\\\z\\b\\f\\r","n":-0,"big":18446744073709551615}]}',
        False,
    ),
    (
        "dotted key present whole",
        '{"uuid":"w3","published":"2026-01-01T00:00:00Z","eventType":"e","actor.id":"whole","actor":{"id":"nested"}}',
        False,
    ),
    (
        "dotted key null whole",
        '{"uuid":"w4","published":"2026-01-01T00:00:00Z","eventType":"e","actor.id":null,"actor":{"id":"nested"}}',
        False,
    ),
    (
        "nulls, booleans, empty containers",
        '{"uuid":"w5","published":"2026-01-01T00:00:00Z","eventType":null,'
        '"actor":{"id":true,"type":false},"target":{},"severity":[]}',
        False,
    ),
    (
        "spaced",
        '{ "uuid" : "w6" , "published" : "2026-01-01T00:00:00Z", "eventType":"e", "actor" : { "id" : 7 },'
        ' "target" : [ { "a" : [ 1 , { } ] } ] }',
        False,
    ),
]


def _tricky_file(tmp_path: Path, tricky: list[tuple[str, str, bool]], name: str = "tricky.jsonl") -> Path:
    lines = []
    for n, (_, line, _) in enumerate(tricky):
        lines.append(
            json.dumps(
                {k: (v.format(n=n) if isinstance(v, str) else v) for k, v in _OK_OKTA.items()}, separators=(",", ":")
            )
        )
        lines.append(line)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tricky_lines_are_handed_back_and_the_rest_read_exactly(tmp_path: Path) -> None:
    path = _tricky_file(tmp_path, TRICKY_OKTA)
    staged = _agree(path, OKTA)
    assert staged is not None and not staged.ordered
    con = duckdb.connect()
    fastjson.stage(con, path, OKTA)
    read_here = {r[0] for r in con.execute("SELECT _line FROM _rdr_fast WHERE NOT _route").fetchall()}
    for n, (name, _, handed_back) in enumerate(TRICKY_OKTA):
        assert (2 * n + 2 not in read_here) == handed_back, name
        assert 2 * n + 1 in read_here  # the ordinary line before it
    assert staged.handed_back == sum(h for *_, h in TRICKY_OKTA)
    refused = {
        "duplicate key",
        "duplicate nested key",
        "duplicate key deep in an array",
        "trailing comma",
        "trailing comma in an array",
        "inf (Python refuses it)",
        "not an object",
        "invalid JSON",
        "nested too deep",
    }
    assert {rj.line for rj in staged.rejects} == {
        2 * n + 2 for n, (name, *_) in enumerate(TRICKY_OKTA) if name in refused
    }


def test_json_typed_fields_of_opa_read_exactly(tmp_path: Path) -> None:
    base = {"decision_id": "d", "path": "ai/allow", "timestamp": "2026-01-01T00:00:00Z", "req_id": 3}
    shapes = [
        {"input": {"a": [1, 2, {"b": None}]}, "result": True},
        {"input": {}, "result": "allow"},
        {"input": {"x": "y"}, "result": {"allow": False, "reasons": ["a/b", '"q"']}},
        {"input": [], "result": 0, "labels": {"id": "i", "version": "0.68.0"}, "metrics": {"t": 49019}},
        {"input": {"n": -0}, "result": None},
        {"input": {"f": 1.25}, "result": "deny"},
        {"input": {"s": "x"}, "result": '{"allow": true}'},
        {"input": {"s": "x"}, "result": "true"},
    ]
    path = tmp_path / "opa.jsonl"
    path.write_text("".join(json.dumps({**base, "decision_id": f"d{i}", **s}) + "\n" for i, s in enumerate(shapes)))
    staged = _agree(path, OPA)
    assert staged is not None and staged.handed_back == 3  # the float, the JSON text, the JSON word


def test_a_decimal_at_a_top_level_key_is_read_from_the_line_as_written(tmp_path: Path) -> None:
    """GitHub Copilot's user days carry ``ai_credits_used: 0.0`` on every line: a non-integer DuckDB does not keep
    as written, so every line went to Python (45 CPU-s at the large bench scale). Plain fixed notation is read
    from the line itself; any other form, or the key twice, still goes to the streaming reader."""
    ds = BY_KEY["ai/github_copilot_usage"]
    base = {"day": "2026-10-01", "user_id": 7, "user_login": "a", "organization_id": "1", "enterprise_id": "2"}
    values = [
        ('"ai_credits_used":0.0', False),
        ('"ai_credits_used":-12.340', False),
        ('"ai_credits_used" : 3.25 ', False),
        ('"ai_credits_used":"4.5"', False),  # a string: its text, as before
        ('"ai_credits_used":7', False),
        ('"ai_credits_used":null', False),
        ('"ai_credits_used":1e-7', True),  # exponent: Python writes 0.0000001
        ('"ai_credits_used":1.5E3', True),
        ('"ai_credits_used":0.5,"totals_by_feature":[{"ai_credits_used":0.25}]', True),  # the key twice
        ('"totals_by_feature":[{"ai_credits_used":0.25}],"ai_credits_used":1', True),  # a float in a JSON field
    ]
    lines = [json.dumps(base)[:-1] + ", " + v + "}\n" for v, _ in values]
    path = tmp_path / "copilot.jsonl"
    path.write_text("".join(lines))
    staged = _agree(path, ds)
    assert staged is not None and staged.handed_back == sum(back for _, back in values)
    con = duckdb.connect()
    fastjson.stage(con, path, ds)
    col = f"f{[f.name for f in ds.fields].index('ai_credits_used')}"
    got = dict(con.execute(f"SELECT _line, {col} FROM _rdr_batch").fetchall())
    assert [got[n] for n in (1, 2, 3, 4)] == ["0.0", "-12.340", "3.25", "4.5"]


@pytest.mark.parametrize(
    "name, text",
    [
        ("a blank line (DuckDB skips it: the lines would shift)", '{"uuid":"a"}\n\n{"uuid":"b"}\n'),
        ("a carriage return alone", '{"uuid":"a"}\r{"uuid":"b"}\n'),
        ("a byte-order mark", '\ufeff{"uuid":"a"}\n'),
        ("mostly lines Python must read", '{"uuid":1.5}\n{"uuid":2.5}\n{"uuid":"c"}\n'),
    ],
)
def test_files_handed_back_whole(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(text.encode())
    assert _fast(path, OKTA) is None, name


def test_text_that_is_not_utf8_is_handed_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"uuid":"a"}\n{"uuid":"\xff"}\n')
    assert _fast(path, OKTA) is None


def test_a_lone_surrogate_hands_the_file_back_whole(tmp_path: Path) -> None:
    """Python reads the escape into text Arrow cannot hold: the file goes whole to the streaming path, which
    says so for the file, as it did before this reader existed."""
    path = tmp_path / "f.jsonl"
    path.write_text(
        '{"uuid":"a","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"a"}}\n'
        '{"uuid":"b","published":"2026-01-01T00:00:00Z","eventType":"e","actor":{"id":"\\ud800"}}\n'
    )
    assert _fast(path, OKTA) is None


def test_crlf_and_gzip_are_read(tmp_path: Path) -> None:
    lines = [json.dumps({**_OK_OKTA, "uuid": f"u{i}"}) for i in range(5)]
    path = tmp_path / "f.jsonl.gz"
    path.write_bytes(gzip.compress("\r\n".join(lines).encode()))  # no newline after the last line
    staged = _agree(path, OKTA)
    assert staged is not None and staged.records == 5 and staged.handed_back == 0


def test_other_layouts_and_formats_are_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text('{"a":1}\n')
    assert not fastjson.applies(BY_KEY["usage/openai_usage"], path)
    assert not fastjson.applies(BY_KEY["iam/secrets_inventory"], path)
    assert not fastjson.applies(OKTA, tmp_path / "f.json")
    assert fastjson.applies(OKTA, path)


def test_ingest_reads_json_lines_without_python_and_quarantines_handed_back_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine lands a clean JSON-lines file without the streaming reader, gives it only the lines DuckDB
    cannot read, and quarantines their bad records with their line: the landing file keeps the file's order."""
    raw = tmp_path / "raw"
    folder = raw / OKTA.folder
    folder.mkdir(parents=True)
    clean = [
        json.dumps({**_OK_OKTA, "uuid": f"u{i}", "published": f"2026-01-0{1 + i % 3}T00:00:00Z"}) for i in range(6)
    ]
    (folder / "clean.jsonl").write_text("\n".join(clean) + "\n")
    dup = '{"uuid":"dup","uuid":"dup2","published":"2026-01-02T00:00:00Z","eventType":"e","actor":{"id":"a"}}'
    spaced = '{"uuid":"sp","published":"2026-01-02T00:00:00Z","eventType":"e","actor":{"id":0.5}}'
    (folder / "mixed.jsonl").write_text(
        "\n".join([clean[0].replace('"u0"', '"m0"'), dup, spaced, clean[1].replace('"u1"', '"m1"')]) + "\n"
    )
    handed: list[list[int]] = []
    real = readers.read_json

    def spy(path: Path, ds: Dataset, rejects: list, *, lines=None):
        assert lines is not None, f"{path.name} was read whole by the streaming reader"
        lines = list(lines)
        handed.append([n for n, _ in lines])
        return real(path, ds, rejects, lines=lines)

    monkeypatch.setattr(readers, "read_json", spy)
    con = engine.connect(tmp_path / "wh.duckdb")
    from datetime import datetime

    res = engine.ingest_dataset(con, raw, OKTA, now=datetime(2026, 1, 3, 12))
    assert handed == [[2, 3]]  # the duplicate key and the float in a text field
    assert res.rows_read == 10 and res.rows_quarantined == 1
    q = con.execute("SELECT source_file, line, reason FROM audit.quarantine").fetchall()
    assert q == [
        (
            "iam/okta_system_log/mixed.jsonl",
            2,
            "duplicate key 'uuid' in one JSON object: which value counts would be a silent choice",
        )
    ]
    files = sorted(landing_root(tmp_path / "wh.duckdb").rglob("*.parquet"))
    assert len(files) == 2
    in_file_order = {}  # each landing file as written, not sorted: its rows in the file's order
    for f in files:
        rows = con.execute(f"SELECT _source_file, _line, uuid FROM read_parquet('{f}')").fetchall()
        in_file_order[rows[0][0].rsplit("/", 1)[1]] = [(line, uuid) for _, line, uuid in rows]
    assert in_file_order["mixed.jsonl"] == [(1, "m0"), (3, "sp"), (4, "m1")]
    assert in_file_order["clean.jsonl"] == [(i + 1, f"u{i}") for i in range(6)]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_a_split_filter_gives_the_plain_filter_rows_in_order(threads: int) -> None:
    """The secret gate and the line rules run as one UNION ALL branch per thread on small tables: the same rows
    as the plain filter, in the table's (key) order, and a condition's AND still stops at its first false
    operand (`json_keys` never parses a line `json_valid` refused)."""
    from orchestration.ingest.contract import ROW_GROUP_ROWS, split_filter_sql

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT i AS k, CASE WHEN i % 7 = 0 THEN '{\"a\":' ELSE '{\"a\":' || i || '}' END "
        "AS line FROM range(1000) r(i)"
    )
    cond = "json_valid(line) AND len(json_keys(line)) = 1 AND k % 3 <> 1"
    plain = con.execute(f"SELECT k, line FROM t WHERE {cond}").fetchall()
    split = split_filter_sql("k, line", "t", cond, "k", 1000, threads)
    assert ("UNION ALL" in split) == (threads > 1)
    assert con.execute(split).fetchall() == plain and len(plain) > 500
    assert "UNION ALL" not in split_filter_sql("k, line", "t", cond, "k", threads * ROW_GROUP_ROWS, threads)
    con.execute("UPDATE t SET k = CASE WHEN k = 5 THEN NULL ELSE 1000 - k END")  # against the table's order
    keys = [r[0] for r in con.execute(split_filter_sql("k", "t", "true", "k", 1000, threads)).fetchall()]
    assert sorted(k for k in keys if k is not None) == sorted(1000 - i for i in range(1000) if i != 5)
    assert None in keys  # (a NULL key goes to the first branch: never dropped)
    if threads > 1:
        assert keys == [*sorted(1000 - i for i in range(1000) if i != 5), None]
