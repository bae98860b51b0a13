"""Ingest of every registered dataset, from realistic vendor exports and from broken ones.

The realistic exports live in ``tests/fixtures/<system>/<dataset>/`` (the Parquet FOCUS file is written at
test time by ``tests/fixtures/make_parquet.py``); broken files are derived from them at test time, plus a
few hand-made real-world breakages in ``tests/fixtures/broken/``. Every test copies its files into
``tmp_path/raw/<system>/<dataset>/`` and ingests from there: fixtures are never ingested in place.

The expected landed values are computed here independently of the ingest code (own CSV/JSON walk, own
type parsing), so a row that lands with the wrong value, at the wrong ``_line`` or with the wrong
provenance fails.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import io
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orchestration.datasets import BY_KEY, DATASETS, Dataset, Field
from orchestration.ingest import engine
from orchestration.ingest.landing import extra_column

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BROKEN = FIXTURES / "broken"
PARQUET_NAME = "focus_gcp_2024-10.parquet"
ALL = [pytest.param(d, id=d.key) for d in DATASETS]


def _load_make_parquet():
    spec = importlib.util.spec_from_file_location("make_parquet", FIXTURES / "make_parquet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_parquet = _load_make_parquet()


# ------------------------------------------------------------------------------------------ fixtures


def fixture_files(ds: Dataset) -> list[Path]:
    """The realistic exports of a dataset (the first one, by name, is the one broken variants derive from)."""
    folder = FIXTURES / ds.folder
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []
    assert files, f"{ds.key}: no realistic fixture in {folder} (every registered dataset needs one)"
    return files


def stage(tmp_path: Path, ds: Dataset, files: dict[str, bytes | Path]) -> Path:
    """Write ``files`` (name -> bytes, or a file to copy) into ``tmp_path/raw/<system>/<dataset>/``."""
    raw = tmp_path / "raw"
    folder = raw / ds.folder
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.copyfile(content, folder / name)
        else:
            (folder / name).write_bytes(content)
    return raw


def stage_good(tmp_path: Path, ds: Dataset) -> Path:
    raw = stage(tmp_path, ds, {p.name: p for p in fixture_files(ds)})
    if ds.key == "billing/focus":
        make_parquet.write_focus_parquet(raw / ds.folder / PARQUET_NAME)
    return raw


def connect(tmp_path: Path):
    return engine.connect(tmp_path / "build" / "roi.duckdb")


def ingest(tmp_path: Path, ds: Dataset, con=None):
    con = con or connect(tmp_path)
    return con, engine.ingest_dataset(con, tmp_path / "raw", ds, run_id="test-run")


def query(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def quarantine(con, ds: Dataset) -> list[dict]:
    return query(
        con, "SELECT * FROM audit.quarantine WHERE dataset = ? ORDER BY source_file, line, column_name", [ds.key]
    )


# ---------------------------------------------------------------- an independent reading of the files


def decoded(path: Path) -> str:
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def kind_of(name: str) -> str:
    name = name.lower().removesuffix(".gz")
    for suffix, kind in (
        (".csv", "csv"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".parquet", "parquet"),
    ):
        if name.endswith(suffix):
            return kind
    raise ValueError(name)


@dataclass
class Rec:
    line: int
    """Physical line (CSV, JSON lines) or 1-based record number (JSON document, Parquet)."""
    values: dict
    """CSV: header -> cell text; JSON: the record as the ingest sees it; Parquet: column -> Python value."""
    raw_line: str | None = None


@dataclass
class Source:
    path: Path
    kind: str  # csv | jsonl | json | parquet
    recs: list[Rec]
    header: list[str] | None = None
    doc: Any = None
    objs: list[dict] = field(default_factory=list)
    """The mutable record dicts inside ``doc`` (JSON document) or the line objects (JSON lines)."""

    def text(self) -> str:
        """The file re-serialised from ``header``/``recs`` (CSV) or ``doc``/``objs`` (JSON)."""
        if self.kind == "csv":
            return csv_text(self.header, [[r.values[h] for h in self.header] for r in self.recs])
        if self.kind == "json":
            return json.dumps(self.doc, indent=2, default=float, ensure_ascii=False) + "\n"
        if self.kind == "jsonl":
            return "".join(json.dumps(o, default=float, ensure_ascii=False) + "\n" for o in self.objs)
        raise ValueError(self.kind)

    @property
    def ext(self) -> str:
        return self.kind


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def json_records(doc: Any, ds: Dataset) -> tuple[list[dict], list[dict]]:
    """(mutable record dicts, records as the ingest sees them) of a JSON document for a dataset's layout."""
    bucket_keys = {"openai_pages": ("start_time", "end_time"), "anthropic_pages": ("starting_at", "ending_at")}
    if ds.json_layout in bucket_keys:
        start, end = bucket_keys[ds.json_layout]
        objs, seen = [], []
        for page in doc if isinstance(doc, list) else [doc]:
            for bucket in page["data"]:
                for result in bucket["results"]:
                    objs.append(result)
                    seen.append({**result, start: bucket[start], end: bucket[end]})
        return objs, seen
    if ds.json_layout == "envelope":
        objs = []
        for page in doc if isinstance(doc, list) else [doc]:
            objs += page.get(ds.json_records_key, [page])
        return objs, objs
    if ds.json_layout == "secret_list" and isinstance(doc, dict) and "SecretList" in doc:
        return doc["SecretList"], doc["SecretList"]
    objs = doc if isinstance(doc, list) else [doc]
    return objs, objs


def load_source(path: Path, ds: Dataset) -> Source:
    kind = kind_of(path.name)
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        maps = [c.name for c in table.schema if pa.types.is_map(c.type)]
        rows = [{k: dict(v) if k in maps and v is not None else v for k, v in r.items()} for r in table.to_pylist()]
        return Source(path, kind, [Rec(i, r) for i, r in enumerate(rows, start=1)], header=list(rows[0]))
    text = decoded(path)
    if kind == "csv":
        lines = [ln.rstrip("\r") for ln in text.split("\n")]
        header = [h.strip() for h in next(csv.reader([lines[0]]))]
        recs = []
        for i, ln in enumerate(lines[1:], start=2):
            if not ln.strip():
                continue
            cells = next(csv.reader([ln]))
            assert len(cells) == len(header), f"{path.name}:{i}: fixtures keep one record per physical line"
            recs.append(Rec(i, dict(zip(header, cells, strict=True))))
        return Source(path, kind, recs, header=header)
    if kind == "json":
        try:
            doc = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            kind = "jsonl"  # JSON lines saved as .json
        else:
            objs, seen = json_records(doc, ds)
            return Source(path, kind, [Rec(i, r) for i, r in enumerate(seen, start=1)], doc=doc, objs=objs)
    recs, objs = [], []
    for i, ln in enumerate(text.split("\n"), start=1):
        if ln.strip():
            obj = json.loads(ln, parse_float=Decimal)
            objs.append(obj)
            recs.append(Rec(i, obj, raw_line=ln.strip()))
    return Source(path, "jsonl", recs, objs=objs)


def primary(ds: Dataset) -> Source:
    return load_source(fixture_files(ds)[0], ds)


def get_path(record: dict, path: str) -> Any:
    if path in record:
        return record[path]
    cur: Any = record
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def set_path(record: dict, path: str, value: Any) -> None:
    if path in record or "." not in path:
        record[path] = value
        return
    *parents, last = path.split(".")
    cur = record
    for part in parents:
        cur = cur.setdefault(part, {})
    cur[last] = value


def del_path(record: dict, path: str) -> None:
    if path in record:
        del record[path]
        return
    *parents, last = path.split(".")
    cur = record
    for part in parents:
        cur = cur.get(part) if isinstance(cur, dict) else None
    if isinstance(cur, dict):
        cur.pop(last, None)


def candidates(f: Field) -> tuple[str, ...]:
    return (f.source, *f.aliases)


def header_cols(src: Source, f: Field) -> list[str]:
    lowered = {h.lower(): h for h in src.header}
    return [lowered[c.lower()] for c in candidates(f) if c.lower() in lowered]


def used_headers(src: Source, ds: Dataset) -> set[str]:
    return {h for f in ds.fields for h in header_cols(src, f)}


def as_text(value: Any) -> str | None:
    """A JSON/Parquet value as the text cell the contract sees."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=float)
    return str(value)


def source_text(src: Source, rec: Rec, ds: Dataset, f: Field) -> str | None:
    if src.kind == "csv":
        cells = [rec.values[h] for h in header_cols(src, f)]
        live = [c for c in cells if c.strip() not in ds.null_tokens]
        return live[0] if live else (cells[0] if cells else None)
    for path in candidates(f):
        value = get_path(rec.values, path)
        if value is not None:
            return as_text(value)
    return None


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 (Z, offsets, ' UTC'), 'YYYY-MM-DD HH:MM:SS' (UTC), or epoch seconds, as a naive UTC datetime."""
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return datetime(1970, 1, 1) + timedelta(microseconds=int(Decimal(text) * 1_000_000))
    text = _FRACTION.sub(r"\1", text.removesuffix(" UTC"))  # microseconds, as the landed TIMESTAMP keeps
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def expected_value(ds: Dataset, f: Field, text: str | None) -> Any:
    """What the landing column must hold for the source text (typed, canonical enum casing, sentinels NULL)."""
    if text is None or text.strip() in ds.null_tokens:
        return None
    t = text.strip()
    if f.allowed:
        return next(a for a in f.allowed if a.lower() == t.lower())
    if f.type == "string":
        return text
    if f.type == "integer":
        return int(t)
    if f.type == "decimal":
        return Decimal(t)
    if f.type == "boolean":
        return {"true": True, "false": False}[t.lower()]
    if f.type == "date":
        return date.fromisoformat(t)
    if f.type == "timestamp":
        return parse_timestamp(t)
    if f.type == "epoch_ms":
        return datetime(1970, 1, 1) + timedelta(milliseconds=int(t))
    if f.type == "epoch_s":
        return datetime(1970, 1, 1) + timedelta(microseconds=int(Decimal(t) * 1_000_000))
    if f.type == "json":
        return json.loads(t, parse_float=Decimal)
    raise AssertionError(f.type)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_landed(con, ds: Dataset, raw: Path, sources: list[Source], since: datetime) -> None:
    """Every landed row matches its source record field by field, with the right provenance."""
    landed = query(con, f"SELECT * FROM {ds.table} ORDER BY _source_file, _line")
    assert len(landed) == sum(len(s.recs) for s in sources)
    xcol = extra_column(ds)
    for src in sources:
        rel = src.path.relative_to(raw).as_posix()
        rows = [r for r in landed if r["_source_file"] == rel]
        by_line = {r.line: r for r in src.recs}
        assert sorted(r["_line"] for r in rows) == sorted(by_line), f"{rel}: _line must point at each record"
        for row in rows:
            rec = by_line[row["_line"]]
            where = f"{rel} line {row['_line']}"
            assert row["_file_sha256"] == sha256(src.path), where
            assert since <= row["_ingested_at"] <= datetime.now(UTC).replace(tzinfo=None), where
            for f in ds.fields:
                want = expected_value(ds, f, source_text(src, rec, ds, f))
                got = row[f.name]
                if f.type == "json" and got is not None:
                    got = json.loads(got, parse_float=Decimal)
                assert got == want, f"{where}: {f.name} landed {got!r}, expected {want!r}"
            extra = row[xcol]
            if src.kind in ("json", "jsonl"):
                assert xcol == "_record"
                if src.kind == "jsonl":
                    assert extra == rec.raw_line, f"{where}: _record must be the line as written"
                else:
                    assert json.loads(extra, parse_float=Decimal) == rec.values, f"{where}: _record is the record"
            elif src.kind == "csv":
                rest = {h: rec.values[h] for h in src.header if h not in used_headers(src, ds)}
                kept = json.loads(extra) if extra is not None else {}
                # `_record` of a CSV row (a dataset that also takes JSON) holds what `_extra` would: the named
                # columns are the fields already, landed once
                assert kept == rest, f"{where}: the columns the contract does not name are kept in {xcol}"
            else:
                rest = [h for h in src.header if h not in used_headers(src, ds)]
                assert sorted(json.loads(extra)) == sorted(rest), where


# ------------------------------------------------------------------------------- realistic exports


@dataclass
class Good:
    con: Any
    raw: Path
    result: Any
    since: datetime


@pytest.fixture(scope="module")
def good(module_tmp):
    """The realistic exports of a dataset, ingested once per module into their own database (read-only use)."""
    runs: dict[str, Good] = {}

    def run(key: str) -> Good:
        if key not in runs:
            ds = BY_KEY[key]
            work = module_tmp("good_" + ds.name)
            since = datetime.now(UTC).replace(tzinfo=None)
            raw = stage_good(work, ds)
            con, result = ingest(work, ds)
            runs[key] = Good(con, raw, result, since)
        return runs[key]

    return run


@pytest.mark.parametrize("ds", ALL)
def test_realistic_export_lands_whole_and_traceable(good, ds):
    g = good(ds.key)
    con, raw, result = g.con, g.raw, g.result
    sources = [load_source(p, ds) for p in engine.discover(raw, ds)]
    for src in sources:
        assert 5 <= len(src.recs) <= 20, f"{src.path.name}: a small realistic file has 5 to 20 records"
    assert [(f.status, f.rows_quarantined, f.message) for f in result.files] == [("landed", 0, None)] * len(sources)
    assert [f.rows_accepted for f in result.files] == [len(s.recs) for s in sources]
    assert quarantine(con, ds) == []
    assert result.summary()["landed_rows_total"] == sum(len(s.recs) for s in sources)
    nulls = con.execute(
        f"SELECT count(*) FROM {ds.table} WHERE _source_file IS NULL OR _file_sha256 IS NULL "
        "OR _line IS NULL OR _ingested_at IS NULL"
    ).fetchone()[0]
    assert nulls == 0
    check_landed(con, ds, raw, sources, g.since)
    for f in ds.fields:
        if f.allowed:
            values = {v for (v,) in con.execute(f'SELECT DISTINCT "{f.name}" FROM {ds.table}').fetchall()}
            assert values - {None} <= set(f.allowed), f"{f.name} lands in canonical casing"
    audit = query(
        con,
        "SELECT source_file, file_sha256, status, rows_read, rows_accepted, rows_quarantined, run_id "
        "FROM audit.ingested_files WHERE dataset = ? ORDER BY source_file",
        [ds.key],
    )
    assert audit == [
        {
            "source_file": s.path.relative_to(raw).as_posix(),
            "file_sha256": sha256(s.path),
            "status": "landed",
            "rows_read": len(s.recs),
            "rows_accepted": len(s.recs),
            "rows_quarantined": 0,
            "run_id": "test-run",
        }
        for s in sources
    ]


@pytest.mark.parametrize(
    ("key", "column", "source", "variants"),
    [
        ("billing/focus", "charge_frequency", "ChargeFrequency", {"Usage-based", "usage-based"}),
        ("billing/focus", "commitment_discount_status", "CommitmentDiscountStatus", {"used"}),
        ("iam/okta_system_log", "severity", "severity", {"info"}),
        ("iam/okta_system_log", "outcome_result", "outcome.result", {"success"}),
        ("iam/identity_inventory", "identity_kind", "identity_kind", {"Human"}),
        ("iam/identity_inventory", "status", "status", {"RETIRED"}),
        ("iam/github_audit_log", "operation_type", "operation_type", {"CREATE"}),
        ("security/incidents", "severity", "severity", {"medium", "informational"}),
        ("security/incidents", "detected_by", "detected_by", {"AI"}),
        ("delivery/work_items", "type", "type", {"Story", "STORY", "Bug", "Incident", "Task"}),
        ("billing/saas_licences", "status", "status", {"Retired"}),
        ("assumptions/scenarios", "frequency_model", "frequency_model", {"PERT"}),
    ],
)
def test_casing_variants_shipped_by_real_exports_land_canonical(good, key, column, source, variants):
    ds = BY_KEY[key]
    g = good(key)
    shipped = [
        as_text(get_path(rec.values, source)) for p in engine.discover(g.raw, ds) for rec in load_source(p, ds).recs
    ]
    assert variants <= set(shipped), f"{key}: the fixture should carry {variants}"
    landed = [v for (v,) in g.con.execute(f'SELECT "{column}" FROM {ds.table}').fetchall()]
    want = [expected_value(ds, ds.field(column), t) for t in shipped]
    assert sorted(landed, key=str) == sorted(want, key=str)
    assert set(landed) - {None} <= set(ds.field(column).allowed)


def test_raw_files_are_never_modified(tmp_path):
    """Hash, size and mtime of every raw file are the same after ingest; nothing is added under raw."""
    for ds in DATASETS:
        stage_good(tmp_path, ds)
        src = primary(ds)
        text = src.text()
        stage(
            tmp_path,
            ds,
            {
                f"zz_truncated.{src.ext}": text[: len(text) // 2].encode(),
                f"zz_empty.{src.ext}": b"",
                f"zz_latin1.{src.ext}": ("Zürich " + text).encode("latin-1", errors="replace"),
                f"zz_copy_{src.path.name}": src.path,
                "zz_notes.xlsx": b"PK\x03\x04",
            },
        )
    raw = tmp_path / "raw"

    def snapshot() -> dict[str, tuple]:
        return {
            p.relative_to(raw).as_posix(): (sha256(p), p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(raw.rglob("*"))
            if p.is_file()
        }

    before = snapshot()
    con = connect(tmp_path)
    statuses = set()
    for ds in DATASETS:
        statuses |= {f.status for f in engine.ingest_dataset(con, raw, ds).files}
    assert statuses == {"landed", "rejected", "duplicate"}
    assert snapshot() == before


def test_reingesting_the_same_directory_changes_nothing(tmp_path):
    con = connect(tmp_path)
    for ds in DATASETS:
        stage_good(tmp_path, ds)
        src = primary(ds)
        stage(tmp_path, ds, {f"zz_truncated.{src.ext}": src.text()[:-40].encode(), f"zz_empty.{src.ext}": b""})
    raw = tmp_path / "raw"
    first = {ds.key: engine.ingest_dataset(con, raw, ds) for ds in DATASETS}

    def counts() -> dict:
        tables = {ds.key: con.execute(f"SELECT count(*) FROM {ds.table}").fetchone()[0] for ds in DATASETS}
        audit = con.execute("SELECT count(*) FROM audit.ingested_files").fetchone()[0]
        quar = con.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0]
        return {"tables": tables, "audit": audit, "quarantine": quar}

    before = counts()
    for ds in DATASETS:
        again = engine.ingest_dataset(con, raw, ds)
        assert {f.status for f in again.files} == {"skipped"}, ds.key
        assert len(again.files) == len(first[ds.key].files)
        assert again.summary()["files_new"] == 0
        assert again.landed_rows_total == first[ds.key].landed_rows_total
    assert counts() == before


def restated(src: Source) -> str:
    """The same export restated by the vendor: the last record dropped, a record appended twice over."""
    if src.kind == "csv":
        rows = [[r.values[h] for h in src.header] for r in src.recs]
        return csv_text(src.header, rows[:-1])
    if src.kind == "jsonl":
        return "".join(json.dumps(o, default=float) + "\n" for o in src.objs[:-1])
    drop_from(src.doc, src.objs[-1])
    return src.text()


def drop_from(doc: Any, obj: dict) -> None:
    """Remove ``obj`` (by identity) from whichever list of the document holds it."""
    if isinstance(doc, dict):
        doc = list(doc.values())
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            if item is obj:
                del doc[i]
                return
            drop_from(item, obj)


@pytest.mark.parametrize("ds", ALL)
def test_restated_file_supersedes_the_earlier_version(tmp_path, ds):
    src = primary(ds)
    raw = stage(tmp_path, ds, {src.path.name: src.path})
    con, first = ingest(tmp_path, ds)
    assert [f.status for f in first.files] == ["landed"]
    old_sha = first.files[0].file_sha256
    target = raw / ds.folder / src.path.name
    text = restated(load_source(src.path, ds)).encode()
    target.write_bytes(gzip.compress(text, mtime=0) if target.name.endswith(".gz") else text)
    _, second = ingest(tmp_path, ds, con)
    assert [(f.status, f.rows_accepted) for f in second.files] == [("landed", len(src.recs) - 1)]
    shas = con.execute(f"SELECT DISTINCT _file_sha256 FROM {ds.table}").fetchall()
    assert shas == [(sha256(target),)]
    assert second.landed_rows_total == len(src.recs) - 1
    audit = query(
        con,
        "SELECT file_sha256, status FROM audit.ingested_files WHERE dataset = ? ORDER BY ingested_at, status",
        [ds.key],
    )
    assert {(a["file_sha256"], a["status"]) for a in audit} == {(old_sha, "superseded"), (sha256(target), "landed")}


def test_restatement_reverted_to_the_earlier_content_lands_it_again(tmp_path):
    """A vendor restates a file and then restates it back: the landing table must follow the file."""
    ds = BY_KEY["delivery/deployments"]
    src = primary(ds)
    raw = stage(tmp_path, ds, {src.path.name: src.path})
    target = raw / ds.folder / src.path.name
    original = target.read_bytes()
    con, _ = ingest(tmp_path, ds)
    target.write_text(restated(load_source(src.path, ds)))
    ingest(tmp_path, ds, con)
    target.write_bytes(original)
    _, third = ingest(tmp_path, ds, con)
    assert [f.status for f in third.files] == ["landed"]
    assert third.landed_rows_total == len(src.recs)
    assert con.execute(f"SELECT DISTINCT _file_sha256 FROM {ds.table}").fetchall() == [(sha256(target),)]


# --------------------------------------------------------------------------------- money and types


def focus_text_sum(column: str) -> Decimal:
    ds = BY_KEY["billing/focus"]
    total = Decimal(0)
    for p in fixture_files(ds):
        for rec in load_source(p, ds).recs:
            text = rec.values[column]
            if text.strip() not in ds.null_tokens:
                total += Decimal(text)
    return total + sum((Decimal(v) for v in make_parquet.BILLED_COST), Decimal(0))


def test_focus_money_lands_exactly(good):
    ds = BY_KEY["billing/focus"]
    con = good(ds.key).con
    for column, name in (("BilledCost", "billed_cost"), ("EffectiveCost", "effective_cost")):
        landed = con.execute(f"SELECT sum({name}) FROM {ds.table}").fetchone()[0]
        assert isinstance(landed, Decimal)
        assert landed == focus_text_sum(column)
        assert len(str(landed).split(".")[1]) == 18  # the sum keeps all 18 decimal places
    assert con.execute(f"SELECT typeof(billed_cost) FROM {ds.table} LIMIT 1").fetchone()[0] == "DECIMAL(38,18)"
    per_file = dict(con.execute(f"SELECT _source_file, sum(billed_cost) FROM {ds.table} GROUP BY 1").fetchall())
    assert per_file["billing/focus/" + PARQUET_NAME] == sum(Decimal(v) for v in make_parquet.BILLED_COST)


def test_litellm_spend_in_exponent_notation_lands_exactly(good):
    """Postgres exports float8 below 1e-4 as 2.25e-05; the JSON API as 1.2e-05."""
    ds = BY_KEY["usage/litellm_spend_logs"]
    con = good(ds.key).con
    texts = [as_text(get_path(r.values, "spend")) for p in fixture_files(ds) for r in load_source(p, ds).recs]
    assert any("e-" in t for t in texts)
    assert con.execute(f"SELECT sum(spend) FROM {ds.table}").fetchone()[0] == sum(Decimal(t) for t in texts)
    spend = con.execute(f"SELECT spend FROM {ds.table} WHERE request_id LIKE 'chatcmpl-0d2e%'").fetchone()[0]
    assert spend == Decimal("0.0000225")


def _focus_with_costs(costs: list[str]) -> bytes:
    src = primary(BY_KEY["billing/focus"])
    rows = [[r.values[h] for h in src.header] for r in src.recs[: len(costs)]]
    at = src.header.index("BilledCost")
    for row, cost in zip(rows, costs, strict=True):
        row[at] = cost
    return csv_text(src.header, rows).encode()


def test_real_precision_lands_exactly_and_more_is_quarantined_with_its_money_counted(tmp_path):
    """Real FOCUS exports carry 12-15 places (the public FOCUS 1.0 sample's ConsumedQuantity, FOCUS 1.3 costs): they
    land exactly. Only a value DECIMAL(38, 18) cannot hold is quarantined; its row's other money is still counted."""
    ds = BY_KEY["billing/focus"]
    costs = [
        "0.123456789012345",
        "1.2345678901234e-05",
        "1.100000000000000",
        "0.000000000000000001",
        "12.345678901234567",
        "1200e-20",
        "-0.0000000000000000005",
        "123456789012345678901",
        "7e-19",
    ]
    stage(tmp_path, ds, {"precision.csv": _focus_with_costs(costs)})
    con, result = ingest(tmp_path, ds)
    assert (result.files[0].rows_accepted, result.files[0].rows_quarantined) == (6, 3)
    q = quarantine(con, ds)
    assert [(r["line"], r["column_name"]) for r in q] == [(8, "billed_cost"), (9, "billed_cost"), (10, "billed_cost")]
    for r, text, why in zip(
        q,
        ("-0.0000000000000000005", "123456789012345678901", "7e-19"),
        ("more than 18 decimal places", "more than 20 integer digits", "more than 18 decimal"),
        strict=True,
    ):
        assert r["reason"].startswith(why), r["reason"]
        assert text in r["reason"]
        assert json.loads(r["raw_record"])["BilledCost"] == text
    landed = [v for (v,) in con.execute(f"SELECT billed_cost FROM {ds.table} ORDER BY _line").fetchall()]
    assert landed == [Decimal(c) for c in costs[:6]]
    money = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT column_name, rows_read, amount_read, rows_landed, amount_landed, rows_quarantined, "
            "amount_quarantined, rows_unreadable FROM audit.ingested_money WHERE source_file LIKE '%precision.csv'"
        ).fetchall()
    }
    assert money["billed_cost"] == (
        6,
        sum(Decimal(c) for c in costs[:6]),
        6,
        sum(Decimal(c) for c in costs[:6]),
        0,
        0,
        3,
    )
    # effective cost of the three quarantined rows could be read: it is counted as quarantined, not lost
    eff = money["effective_cost"]
    assert eff[0] == 9 and eff[4] == 3 and eff[5] != 0 and eff[6] == 0


def test_null_sentinels_land_as_null(good):
    aws = BY_KEY["iam/aws_credential_report"]
    con = good(aws.key).con
    root = query(con, f"SELECT * FROM {aws.table} WHERE \"user\" = '<root_account>'")[0]
    assert root["arn"] == "arn:aws:iam::123456789012:root"
    assert root["password_enabled"] is None  # not_supported
    assert root["password_last_changed"] is None and root["password_next_rotation"] is None
    assert root["access_key_1_last_rotated"] is None and root["access_key_1_last_used_region"] is None  # N/A
    assert root["mfa_active"] is True and root["access_key_1_active"] is False
    bob = query(con, f"SELECT * FROM {aws.table} WHERE \"user\" = 'bob.keller'")[0]
    assert bob["password_last_used"] is None  # no_information
    assert bob["cert_1_last_rotated"] == datetime(2018, 3, 1, 10, 0)
    agent = query(con, f"SELECT * FROM {aws.table} WHERE \"user\" = 'agent-triage-bot'")[0]
    assert (agent["password_enabled"], agent["mfa_active"], agent["access_key_1_active"]) == (False, False, True)

    focus = BY_KEY["billing/focus"]
    con = good(focus.key).con
    n_null_text = con.execute(
        f"SELECT count(*) FROM {focus.table} WHERE invoice_id = 'NULL' OR resource_name = 'NULL' OR resource_name = ''"
    ).fetchone()[0]
    assert n_null_text == 0
    first = query(con, f"SELECT * FROM {focus.table} WHERE _source_file LIKE '%1_2.csv' AND _line = 2")[0]
    assert first["invoice_id"] is None and first["commitment_discount_id"] is None and first["charge_class"] is None
    assert json.loads(first["_extra"])["x_Discounts"] == "NULL"  # extra columns keep the text as shipped

    lite = BY_KEY["usage/litellm_spend_logs"]
    con = good(lite.key).con
    cache_hit = con.execute(
        f"SELECT cache_hit FROM {lite.table} WHERE request_id = 'msg_01XyZaBcDeFgHiJkLmNoPqRs'"
    ).fetchone()[0]
    assert cache_hit is None  # "None", as LiteLLM writes it


def test_extra_csv_columns_are_kept(good):
    ds = BY_KEY["billing/focus"]
    con = good(ds.key).con
    extra = json.loads(
        con.execute(f"SELECT _extra FROM {ds.table} WHERE _source_file LIKE '%1_2.csv' AND _line = 2").fetchone()[0]
    )
    assert extra["x_UsageType"] == "USE1-Claude3.5Sonnet-input-tokens"
    assert extra["SkuPriceDetails"] == '{"TokenType":"input"}'
    assert {"AvailabilityZone", "x_Discounts", "x_Operation", "x_ServiceCode", "SkuMeter"} <= set(extra)
    azure = json.loads(
        con.execute(f"SELECT _extra FROM {ds.table} WHERE allocated_method_id = 'token-share-v2'").fetchone()[0]
    )
    assert json.loads(azure["AllocatedMethodDetails"])["Elements"][0]["AllocatedRatio"] == 0.25
    gcp = json.loads(
        con.execute(f"SELECT _extra FROM {ds.table} WHERE _source_file LIKE '%.parquet' AND _line = 4").fetchone()[0]
    )
    assert json.loads(gcp["x_Credits"]) == [{"name": "FreeTrial:2024", "amount": -2.1}]
    assert gcp["x_ExportTime"].startswith("2024-10-04T06:12:05")


def test_focus_1_3_renamed_columns_land_in_the_same_fields(good):
    ds = BY_KEY["billing/focus"]
    con = good(ds.key).con
    rows = query(
        con,
        f"SELECT provider_name, publisher_name, contract_applied, allocated_tags, tags, "
        f"commitment_discount_status FROM {ds.table} WHERE _source_file LIKE '%1_3_azure.csv' "
        "ORDER BY _line",
    )
    assert {(r["provider_name"], r["publisher_name"]) for r in rows} == {("Microsoft", "Microsoft")}
    assert json.loads(rows[2]["contract_applied"])["Elements"][0]["ContractCommitmentId"] == "MACC-2024-0042-01"
    assert json.loads(rows[4]["allocated_tags"]) == {"ai-system": "ais-support-copilot", "team": "support"}
    assert rows[3]["commitment_discount_status"] == "Used"  # shipped as "used"
    aws = query(
        con,
        f"SELECT provider_name, publisher_name, tags FROM {ds.table} WHERE _source_file LIKE '%1_2.csv' AND _line = 2",
    )[0]
    assert (aws["provider_name"], aws["publisher_name"]) == ("AWS", "Anthropic")
    assert json.loads(aws["tags"]) == {"ai_system": "ais-copilot", "team": "platform", "user:CostCenter": "CC-4410"}


def test_parquet_focus_types_land_right(good):
    """DECIMAL, float, zoned and naive timestamps, dictionary strings and MAP tags from a Parquet export."""
    ds = BY_KEY["billing/focus"]
    g = good(ds.key)
    res = next(f for f in g.result.files if f.source_file.endswith(".parquet"))
    assert (res.status, res.rows_accepted, res.rows_quarantined) == ("landed", 5, 0), res
    rows = query(g.con, f"SELECT * FROM {ds.table} WHERE _source_file LIKE '%.parquet' ORDER BY _line")
    assert [r["_line"] for r in rows] == [1, 2, 3, 4, 5]
    first = rows[0]
    assert first["billed_cost"] == Decimal("3.21987654321")
    assert first["list_cost"] == Decimal("3.21987654321")
    assert first["billing_period_start"] == datetime(2024, 10, 1)
    assert first["charge_period_start"] == datetime(2024, 10, 1, 7, 0)  # 00:00 Pacific daylight time
    assert first["charge_period_end"] == datetime(2024, 10, 2)
    assert first["charge_category"] == "Usage" and first["charge_frequency"] == "Usage-Based"
    assert first["consumed_quantity"] == Decimal("1287950.617284")
    assert json.loads(first["tags"]) == {"ai_system": "ais-copilot", "goog-vertex-endpoint": "gemini"}
    assert rows[2]["tags"] == "{}" and rows[3]["tags"] is None
    assert rows[3]["pricing_quantity"] is None and rows[3]["billed_cost"] == Decimal("-2.1")


def test_timestamps_land_as_the_right_utc_instant(good):
    checks = [
        # dataset, column, where, expected
        (
            "iam/github_audit_log",
            "event_at",
            "document_id = 'Vd2Ww1kN5s0uT0xQ8nq5Fw'",
            datetime(2024, 10, 1, 8, 0, 0, 123000),
        ),  # @timestamp 1727769600123 (epoch ms)
        (
            "iam/github_audit_log",
            "event_at",
            "document_id = 'mB3nV6cX9zL2kJ5hG8fD1s'",
            datetime(2024, 10, 1, 9, 0),
        ),  # no @timestamp: created_at 1727773200000
        (
            "iam/secrets_inventory",
            "last_rotated_date",
            "name = 'prod/litellm/master-key'",
            datetime(2024, 9, 24, 0, 0, 0, 512000),
        ),  # 1727136000.512 (epoch s, AWS CLI v1)
        (
            "iam/secrets_inventory",
            "last_rotated_date",
            "name = 'prod/bedrock/agent-runtime'",
            datetime(2024, 9, 30, 4, 0, 12, 512000),
        ),  # 2024-09-30T06:00:12.512000+02:00 (AWS CLI v2)
        ("usage/openai_usage", "bucket_start", "num_model_requests = 1288", datetime(2024, 10, 1)),  # 1727740800
        (
            "iam/okta_system_log",
            "published",
            "uuid = '4b7e1c2a-7f6e-11ef-9a3b-3f1d2c4b5a69'",
            datetime(2024, 10, 1, 8, 15, 2, 331000),
        ),  # ...Z
        (
            "policy/opa_decision_logs",
            "decided_at",
            "req_id = 1187",
            datetime(2024, 10, 1, 9, 31, 40, 118402),
        ),  # RFC 3339 with nanoseconds
        ("policy/opa_decision_logs", "decided_at", "req_id = 1189", datetime(2024, 10, 1, 9, 14, 3, 500000)),  # +02:00
        ("delivery/changes", "time_created", "change_id LIKE '3f9d2c1b%'", datetime(2024, 10, 1, 7, 58, 12)),  # UTC
        ("delivery/changes", "time_created", "change_id LIKE '9c8b7a69%'", datetime(2024, 10, 1, 8, 21, 7)),
        (
            "usage/litellm_spend_logs",
            "start_time",
            "request_id LIKE 'chatcmpl-9c1f%'",
            datetime(2024, 10, 1, 9, 14, 3, 512000),
        ),  # 'YYYY-MM-DD HH:MM:SS.fff' means UTC
        (
            "usage/litellm_spend_logs",
            "start_time",
            "request_id LIKE 'chatcmpl-6d8e%'",
            datetime(2024, 10, 2, 7, 0, 3, 300000),
        ),  # +02:00
        ("billing/focus", "charge_period_start", "_source_file LIKE '%1_2.csv' AND _line = 3", datetime(2024, 10, 1)),
        (
            "iam/aws_credential_report",
            "user_creation_time",
            "\"user\" = 'alice.martin'",
            datetime(2019, 6, 12, 9, 31, 12),
        ),
        ("delivery/work_items", "created", "key = 'PAY-1033'", datetime(2024, 10, 3, 13, 20)),
    ]
    for key, column, where, expected in checks:
        got = good(key).con.execute(f'SELECT "{column}" FROM {BY_KEY[key].table} WHERE {where}').fetchall()
        assert got == [(expected,)], (key, column, where)


def test_json_records_are_kept_whole(good):
    ds = BY_KEY["iam/okta_system_log"]
    con = good(ds.key).con
    record = json.loads(con.execute(f"SELECT _record FROM {ds.table} WHERE _line = 4").fetchone()[0])
    assert record["actor"]["type"] == "PublicClientApp"
    assert record["client"]["zone"] == "null" and record["device"] is None
    assert record["target"][1]["detailEntry"]["hash"] == "m8yqzR0n1QfXz3lT9s2w6A"
    gh = BY_KEY["iam/github_audit_log"]
    con = good(gh.key).con
    line = con.execute(f"SELECT _record FROM {gh.table} WHERE document_id = 'hJ7kL0zX3cV6bN9mQ2wE5r'").fetchone()[0]
    assert json.loads(line)["permissions_added"] == {"repository": {"contents": "write", "pull_requests": "write"}}
    token = con.execute(
        f"SELECT hashed_token, programmatic_access_type FROM {gh.table} WHERE actor = 'svc-ci-deploy'"
    ).fetchone()
    assert token == ("kRN8uO2m9Oq1v3YtJbX7Gm0pQeZ4w5sA6dF8hJkLzXc=", "Fine-grained personal access token")


# ---------------------------------------------------------------------------------- broken exports


@dataclass
class Expect:
    status: str
    message: tuple[str, ...] = ()
    """Substrings of the file message (rejected / duplicate)."""
    rows: list[tuple[int, str | None, tuple[str, ...]]] = field(default_factory=list)
    """Quarantined rows: (line, column, substrings of the reason)."""
    accepted: int | None = None


def _pick(ds: Dataset, rec_has: Callable[[Field], bool], pred: Callable[[Field], bool], order=None) -> Field:
    fields = [f for f in ds.fields if pred(f) and rec_has(f)]
    if order:
        fields.sort(key=lambda f: order.index(f.type))
    assert fields, f"{ds.key}: the realistic fixture has no field to break for this case"
    return fields[0]


_TYPE_ORDER = ["decimal", "integer", "epoch_ms", "epoch_s", "timestamp", "date", "boolean"]
_TYPE_WORDS = {
    "decimal": "decimal",
    "integer": "integer",
    "epoch_ms": "epoch milliseconds",
    "epoch_s": "epoch seconds",
    "timestamp": "timestamp",
    "date": "date",
    "boolean": "boolean",
}
K = 1  # the record broken in row-level cases (the second one)


def _has(src: Source) -> Callable[[Field], bool]:
    """Whether record K carries the field (in the record as written: OpenAI bucket times are not in a result)."""
    if src.kind == "csv":
        return lambda f: bool(header_cols(src, f)) and src.recs[K].values[header_cols(src, f)[0]].strip() != ""
    return lambda f: any(get_path(src.objs[K], p) is not None for p in candidates(f))


def _set(src: Source, f: Field, value: Any) -> None:
    if src.kind == "csv":
        for h in header_cols(src, f):
            src.recs[K].values[h] = value
    else:
        obj = src.objs[K]
        present = [p for p in candidates(f) if get_path(obj, p) is not None] or [f.source]
        for p in present:
            set_path(obj, p, value)


def _line_after_rewrite(ds: Dataset, text: str, tmp: Path) -> int:
    tmp.write_text(text)
    return load_source(tmp, ds).recs[K].line


def case_missing_required(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    f = _pick(ds, _has(src), lambda f: f.required)
    if src.kind == "csv":
        drop = set(header_cols(src, f))
        header = [h for h in src.header if h not in drop]
        text = csv_text(header, [[r.values[h] for h in header] for r in src.recs])
        return ({"missing_column.csv": text.encode()}, Expect("rejected", ("missing required column", f.source)))
    for p in candidates(f):
        del_path(src.objs[K], p)
    text = src.text()
    name = f"missing_field.{src.ext}"
    line = _line_after_rewrite(ds, text, tmp / name)
    return {name: text.encode()}, Expect(
        "landed", rows=[(line, f.name, ("missing required value",))], accepted=len(src.recs) - 1
    )


def case_missing_required_value(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    f = _pick(ds, _has(src), lambda f: f.required)
    _set(src, f, "" if src.kind == "csv" else None)
    text = src.text()
    name = f"empty_required.{src.ext}"
    line = _line_after_rewrite(ds, text, tmp / name)
    return {name: text.encode()}, Expect(
        "landed", rows=[(line, f.name, ("missing required value",))], accepted=len(src.recs) - 1
    )


def case_wrong_type(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    f = _pick(ds, _has(src), lambda f: f.type in _TYPE_ORDER and not f.allowed, _TYPE_ORDER)
    _set(src, f, "twelve")
    text = src.text()
    name = f"wrong_type.{src.ext}"
    line = _line_after_rewrite(ds, text, tmp / name)
    return {name: text.encode()}, Expect(
        "landed", rows=[(line, f.name, ("not ", _TYPE_WORDS[f.type], "'twelve'"))], accepted=len(src.recs) - 1
    )


def case_unknown_enum(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    f = _pick(ds, _has(src), lambda f: bool(f.allowed))
    _set(src, f, "Bogus-Value")
    text = src.text()
    name = f"unknown_enum.{src.ext}"
    line = _line_after_rewrite(ds, text, tmp / name)
    reason = ("'Bogus-Value'", "is not one of: " + ", ".join(f.allowed))
    return {name: text.encode()}, Expect("landed", rows=[(line, f.name, reason)], accepted=len(src.recs) - 1)


def _cut_after_fields(line: str, n: int) -> str:
    """The line cut just before its n-th top-level comma (so it holds n fields), never inside quotes."""
    quoted, commas = False, 0
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            commas += 1
            if commas == n:
                return line[:i]
    raise AssertionError("line too short to cut")


def case_truncated(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    text = src.text()
    n = len(src.recs)
    if src.kind == "csv":
        lines = text.rstrip("\n").split("\n")
        lines[-1] = _cut_after_fields(lines[-1], 2)
        return (
            {"truncated.csv": "\n".join(lines).encode()},
            Expect(
                "landed", rows=[(len(lines), None, (f"expected {len(src.header)} fields", "found 2"))], accepted=n - 1
            ),
        )
    if src.kind == "jsonl":
        lines = text.rstrip("\n").split("\n")
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
        return (
            {"truncated.jsonl": "\n".join(lines).encode()},
            Expect("landed", rows=[(len(lines), None, ("invalid JSON",))], accepted=n - 1),
        )
    return {"truncated.json": text[: len(text) // 2].encode()}, Expect("rejected", ("invalid JSON",))


def case_truncated_gzip(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    data = gzip.compress(
        src.path.read_bytes() if not src.path.name.endswith(".gz") else gzip.decompress(src.path.read_bytes()), mtime=0
    )
    name = src.path.name if src.path.name.endswith(".gz") else src.path.name + ".gz"
    return {name: data[: len(data) * 2 // 3]}, Expect("rejected", ("cannot read the file",))


def case_latin1(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    f = _pick(ds, _has(src), lambda f: f.type == "string" and not f.allowed)
    _set(src, f, "Zürich Müller")
    return {f"latin1.{src.ext}": src.text().encode("latin-1")}, Expect("rejected", ("not valid UTF-8",))


def case_utf16(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    return {f"utf16.{src.ext}": src.text().encode("utf-16")}, Expect("rejected", ("not valid UTF-8",))


def case_empty(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    return {f"empty.{src.ext}": b""}, Expect("rejected", ("empty file",))


def case_no_records(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    # A well-formed export with no rows (a day without usage) lands empty; whitespace alone is an empty file.
    if src.kind == "csv":
        return {"header_only.csv": csv_text(src.header, []).encode()}, Expect("landed", ("no records",), accepted=0)
    if src.kind == "jsonl":
        return {"blank_lines.jsonl": b"\n\n  \n"}, Expect("rejected", ("empty file",))
    return {"no_records.json": b"[]\n"}, Expect("landed", ("no records",), accepted=0)


def case_duplicate(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    suffix = src.path.name[src.path.name.index(".") :]
    first = f"a_export{suffix}"
    return (
        {first: src.path, f"b_export_copy{suffix}": src.path},
        Expect("duplicate", (f"duplicate of {ds.folder}/{first}",)),
    )


def case_unsupported_suffix(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    # content made distinct from the other cases' files, or it would be a duplicate of them
    return (
        {"export.xlsx": src.path.read_bytes() + b"\n\n"},
        Expect("rejected", ("unsupported file type", "export.xlsx")),
    )


def case_format_not_accepted(ds: Dataset, src: Source, tmp: Path) -> tuple[dict, Expect]:
    other = next(f for f in ("jsonl", "csv", "parquet", "json") if f not in ds.formats)
    return (
        {f"export.{other}": src.path.read_bytes() + b"\n\n\n"},
        Expect("rejected", (f"format '{other}' is not accepted",)),
    )


CASES = {name.removeprefix("case_"): fn for name, fn in dict(globals()).items() if name.startswith("case_")}


def _applies(ds: Dataset, case: str) -> bool:
    if case == "unknown_enum":
        return any(f.allowed for f in ds.fields)
    if case == "format_not_accepted":
        return not set(ds.formats) >= {"jsonl", "csv", "parquet", "json"}
    return True


BROKEN_PARAMS = [
    pytest.param(ds, case, id=f"{ds.key}-{case}") for ds in DATASETS for case in CASES if _applies(ds, case)
]


@pytest.fixture(scope="module")
def broken_run(module_tmp):
    """One raw folder per dataset with every broken variant (unique names and contents), ingested once."""
    runs: dict[str, tuple] = {}

    def run(ds: Dataset) -> tuple:
        if ds.key not in runs:
            work = module_tmp(ds.name)
            files: dict[str, bytes | Path] = {}
            expects: dict[str, tuple[str, Expect]] = {}
            for case, make in CASES.items():
                if _applies(ds, case):
                    made, expect = make(ds, primary(ds), work)
                    assert not set(made) & set(files), case
                    files.update(made)
                    expects[case] = (sorted(made)[-1], expect)  # the file under test (a duplicate: the copy)
            raw = stage(work, ds, files)
            shas = [sha256(p) for p in (raw / ds.folder).iterdir()]
            assert len(shas) - len(set(shas)) == 1, "only the duplicate case may repeat a content"
            con, result = ingest(work, ds)
            runs[ds.key] = (con, raw, result, expects)
        return runs[ds.key]

    return run


@pytest.mark.parametrize(("ds", "case"), BROKEN_PARAMS)
def test_broken_export(broken_run, ds, case):
    con, raw, result, expects = broken_run(ds)
    target, expect = expects[case]
    res = next(f for f in result.files if f.source_file == f"{ds.folder}/{target}")
    assert res.status == expect.status, res
    for part in expect.message:
        assert part in (res.message or ""), res.message
    q = [r for r in quarantine(con, ds) if r["source_file"] == res.source_file]
    assert all(r["file_sha256"] == sha256(raw / ds.folder / target) for r in q)
    landed = dict(con.execute(f"SELECT _source_file, count(*) FROM {ds.table} GROUP BY 1").fetchall())
    if expect.status in ("rejected", "duplicate"):
        assert [(r["line"], r["column_name"], r["reason"]) for r in q] == [(None, None, res.message)]
        assert res.source_file not in landed
        if expect.status == "duplicate":
            assert landed[f"{ds.folder}/a_export{target[target.index('.') :]}"] == len(primary(ds).recs)
        return
    assert (res.rows_accepted, res.rows_quarantined) == (expect.accepted, len(expect.rows))
    assert landed.get(res.source_file, 0) == expect.accepted
    assert [(r["line"], r["column_name"]) for r in q] == [(line, col) for line, col, _ in expect.rows]
    for r, (_, _, parts) in zip(q, expect.rows, strict=True):
        for part in parts:
            assert part in r["reason"], r["reason"]
        assert r["raw_record"], "the quarantined record is kept for review"
    lines = {
        v for (v,) in con.execute(f"SELECT _line FROM {ds.table} WHERE _source_file = ?", [res.source_file]).fetchall()
    }
    assert not lines & {line for line, _, _ in expect.rows}


def test_csv_cut_inside_a_quoted_cell_rejects_the_file(tmp_path):
    """A cut inside a quoted cell (here FOCUS Tags JSON) cannot be told from a broken quote: the whole file goes."""
    ds = BY_KEY["billing/focus"]
    text = primary(ds).path.read_text(encoding="utf-8")
    cut = text.rindex('"{""ai_system""') + 8
    stage(tmp_path, ds, {"cut_in_tags.csv": text[:cut].encode()})
    con, result = ingest(tmp_path, ds)
    assert result.files[0].status == "rejected"
    assert "CSV syntax error" in result.files[0].message
    assert con.execute(f"SELECT count(*) FROM {ds.table}").fetchone()[0] == 0


def test_truncated_parquet_is_rejected(tmp_path):
    ds = BY_KEY["billing/focus"]
    full = make_parquet.write_focus_parquet(tmp_path / "full.parquet").read_bytes()
    stage(tmp_path, ds, {"cut.parquet": full[: len(full) // 2], "empty.parquet": b""})
    _, result = ingest(tmp_path, ds)
    assert [(f.status, "Parquet" in f.message) for f in result.files] == [("rejected", True)] * 2


def test_openai_page_lines_quarantine_each_bad_record_once(tmp_path):
    """Pages saved one per line share a line number: a bad result is quarantined once, with its own record."""
    ds = BY_KEY["usage/openai_usage"]
    src = primary(ds)
    page = src.doc
    page["data"][0]["results"][1]["output_tokens"] = "n/a"
    text = json.dumps(page, default=float) + "\n" + json.dumps(primary(ds).doc, default=float) + "\n"
    stage(tmp_path, ds, {"pages.jsonl": text.encode()})
    con, result = ingest(tmp_path, ds)
    n = len(src.recs)
    assert (result.files[0].rows_accepted, result.files[0].rows_quarantined) == (2 * n - 1, 1)
    q = quarantine(con, ds)
    assert [(r["line"], r["column_name"]) for r in q] == [(1, "output_tokens")]
    assert json.loads(q[0]["raw_record"])["output_tokens"] == "n/a"
    assert sorted({v for (v,) in con.execute(f"SELECT _line FROM {ds.table}").fetchall()}) == [1, 2]


def test_secret_lines_that_are_not_objects_are_quarantined(tmp_path):
    ds = BY_KEY["iam/secrets_inventory"]
    good = json.dumps(primary(ds).objs[0], default=float)
    stage(tmp_path, ds, {"secrets.jsonl": f'{good}\nnull\n42\n"text"\n'.encode()})
    con, result = ingest(tmp_path, ds)
    assert (result.files[0].status, result.files[0].rows_accepted) == ("landed", 1)
    assert [(r["line"], r["reason"]) for r in quarantine(con, ds)] == [
        (2, "record is not a JSON object"),
        (3, "record is not a JSON object"),
        (4, "record is not a JSON object"),
    ]


def test_openai_usage_counts_are_required_by_endpoint(tmp_path):
    """One dataset holds every OpenAI usage endpoint: a result must carry the counts its own endpoint's schema
    requires (an images result its `images`, a completions result its `output_tokens`), never another's."""
    ds = BY_KEY["usage/openai_usage"]

    def result(kind: str, **counts: int) -> dict:
        return {"object": f"organization.usage.{kind}.result", "project_id": "proj_a", **counts}

    results = [
        result("embeddings", input_tokens=16, num_model_requests=2),  # no output_tokens: embeddings have none
        result("images", num_model_requests=2),  # no images
        result("completions", input_tokens=10, num_model_requests=1),  # no output_tokens
        result("vector_stores", usage_bytes=1024),  # no model requests: vector stores count none
        result("code_interpreter_sessions"),  # no num_sessions
    ]
    page = {
        "object": "page",
        "data": [{"object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": results}],
        "has_more": False,
        "next_page": None,
    }
    stage(tmp_path, ds, {"usage_2024-11-01.json": json.dumps(page).encode()})
    con, result_ = ingest(tmp_path, ds)
    assert (result_.files[0].status, result_.files[0].rows_accepted) == ("landed", 2)
    assert [(r["line"], r["column_name"], r["reason"]) for r in quarantine(con, ds)] == [
        (2, "images", "missing required value (for organization.usage.images.result)"),
        (3, "output_tokens", "missing required value (for organization.usage.completions.result)"),
        (5, "num_sessions", "missing required value (for organization.usage.code_interpreter_sessions.result)"),
    ]


# Real-world breakages kept as files: path under tests/fixtures/broken -> (status, rows accepted, parts that must
# appear in the file message or in the quarantine reasons).
HAND_MADE = {
    # Excel "Save as CSV" in a German locale: Windows-1252, ';' separated, decimal commas.
    "billing/focus/focus_excel_resave_de.csv": ("rejected", 0, ("not valid UTF-8",)),
    # `aws iam get-credential-report --query Content --output text`: the base64 Content, not the CSV.
    "iam/aws_credential_report/credential_report_base64_content.csv": (
        "rejected",
        0,
        ("missing required column", "user", "arn", "mfa_active"),
    ),
    # API pages appended with `curl >>`: one JSON array after the other on one line.
    "iam/okta_system_log/okta_logs_paged_api_dump.json": ("landed", 0, ("invalid JSON", "Extra data")),
    # The /v1/organization/costs response dropped into the usage folder: buckets of cost results.
    "usage/openai_usage/usage_costs_endpoint.json": (
        "landed",
        0,
        ("is not one of: organization.usage.completions.result",),
    ),
}


@pytest.mark.parametrize("rel", sorted(HAND_MADE))
def test_hand_made_broken_export(tmp_path, rel):
    system, name, filename = rel.split("/")
    ds = BY_KEY[f"{system}/{name}"]
    stage(tmp_path, ds, {filename: BROKEN / rel})
    con, result = ingest(tmp_path, ds)
    status, accepted, parts = HAND_MADE[rel]
    assert (result.files[0].status, result.files[0].rows_accepted) == (status, accepted)
    said = " | ".join([result.files[0].message or ""] + [r["reason"] for r in quarantine(con, ds)])
    for part in parts:
        assert part in said
    assert con.execute(f"SELECT count(*) FROM {ds.table}").fetchone()[0] == 0


def test_every_hand_made_broken_file_has_an_expectation():
    on_disk = {p.relative_to(BROKEN).as_posix() for p in BROKEN.rglob("*") if p.is_file()}
    assert on_disk == set(HAND_MADE)


def test_every_fixture_folder_is_a_registered_dataset():
    folders = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*") if p.is_dir()}
    assert {f for f in folders if not f.startswith(("broken/", "real/"))} == set(BY_KEY)
    real = FIXTURES / "real"
    assert {p.relative_to(real).as_posix() for p in real.glob("*/*") if p.is_dir()} - {"LICENSES"} <= set(BY_KEY)
    assert {p.relative_to(BROKEN).as_posix() for p in BROKEN.glob("*/*") if p.is_dir()} <= set(BY_KEY)
