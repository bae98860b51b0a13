"""One new day of every event dataset, for the bench's new-day night: the generated history with its last day
held back, then that day delivered as new files.

The demo generator writes one world at once, so a day added by generating again would not be the same world.
Instead the last day's records are taken out of the generated files (the vendor's side: only the bench's own
data directory is rewritten) and kept, one new file per split file, to be dropped into ``raw/`` later, as a
vendor's daily export arrives: ``<stem>.day-<YYYY-MM-DD><suffixes>``.

Event datasets are split by their event time (the registry's field, its source name in the file); snapshots
(:data:`SNAPSHOTS`: inventory, credential report, secrets, licences, seats, security incidents, scenarios) stay
whole. Records keep their text: CSV rows are written back with the csv module (same cells), JSON lines as the
very lines they were, numbers in JSON documents as exact decimals (``1.5954296000000000`` stays that); a usage
or cost page (OpenAI, Anthropic) gives up its buckets of that day to a page of its own, an API response (Cursor,
Claude Code) its records of that day to a response of its own.

Each dataset is held back once (``held-<day>.json`` beside the held folder lists those done), so a dataset the
registry gains later is held back at the next bench run while the others stay as they are.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from orchestration.datasets import BY_KEY, Dataset
from orchestration.ingest import jsontext
from orchestration.ingest.layouts import PAGE_LAYOUTS

#: Event datasets and the field that dates a record (its day decides which side it goes to).
EVENT_TIME = {
    "usage/litellm_spend_logs": "start_time",
    "usage/openai_usage": "bucket_start",
    "policy/opa_decision_logs": "decided_at",
    "iam/okta_system_log": "published",
    "iam/github_audit_log": "event_at",
    "billing/focus": "charge_period_start",
    "delivery/changes": "time_created",
    "delivery/deployments": "time_created",
    "delivery/incidents": "time_created",
    "delivery/work_items": "created",
    "ai/anthropic_usage": "starting_at",
    "ai/anthropic_cost": "starting_at",
    "ai/openai_costs": "bucket_start",
    "ai/bedrock_invocations": "invoked_at",
    "ai/claude_code_usage": "activity_date",
    "ai/cursor_daily_usage": "usage_date",
    "ai/cursor_usage_events": "event_at",
    "ai/github_copilot_usage": "usage_date",
    "ai/github_copilot_org_usage": "usage_date",
}
#: Datasets whose files are snapshots of a state, not events: they stay whole (a test keeps the two lists
#: covering the registry).
SNAPSHOTS = frozenset(
    {
        "iam/identity_inventory",
        "iam/aws_credential_report",
        "iam/secrets_inventory",
        "billing/saas_licences",
        "security/incidents",
        "assumptions/scenarios",
        "ai/github_copilot_seats",
    }
)
MONTH = re.compile(r"\d{4}-\d{2}")
csv.field_size_limit(64 * 1024 * 1024)


def _day_of(value: object, kind: str) -> date | None:
    if value is None or value == "":
        return None
    if kind == "epoch_ms":
        return datetime.fromtimestamp(int(value) / 1000, UTC).date()
    if kind == "epoch_s":
        return datetime.fromtimestamp(int(float(value)), UTC).date()
    return date.fromisoformat(str(value)[:10])


def _get(record: dict, path: str) -> object:
    if path in record:
        return record[path]
    cur: object = record
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _open(path: Path, mode: str) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding="utf-8", newline="")
    return open(path, mode, encoding="utf-8", newline="")


def _load_exact(text: str) -> object:
    return json.loads(text, parse_float=Decimal)


def _dump_exact(doc: object) -> str:
    """``doc`` as compact JSON, its non-integers as the exact decimals they were read as (see :func:`_load_exact`)."""
    return jsontext.dump_exact(doc)


def _read_text(path: Path) -> str:
    with _open(path, "r") as fh:
        return fh.read()


def day_file(path: Path, day: date) -> str:
    """``litellm_2026-10.csv`` -> ``litellm_2026-10.day-2026-10-31.csv`` (``.jsonl.gz`` kept whole)."""
    name = path.name
    stem, dot, rest = name.partition(".")
    return f"{stem}.day-{day.isoformat()}{dot}{rest}"


def _split_csv(path: Path, source: str, kind: str, day: date) -> tuple[list[str], list[list[str]], list[list[str]]]:
    with _open(path, "r") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        col = [h.strip().lower() for h in header].index(source.lower())
        keep, held = [], []
        for row in rows:
            (held if row and _day_of(row[col], kind) == day else keep).append(row)
    return header, keep, held


def _lines(path: Path) -> Iterator[str]:
    with _open(path, "r") as fh:
        yield from fh


def _split_file(ds: Dataset, path: Path, day: date) -> tuple[str, str] | None:
    """(rest, the day's records) as the file's text, or None when the file holds no record of ``day``."""
    field = next(f for f in ds.fields if f.name == EVENT_TIME[ds.key])
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        header, keep, held = _split_csv(path, field.source, field.type, day)
        if not held:
            return None
        out = []
        for rows in (keep, held):
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
            out.append(buf.getvalue())
        return out[0], out[1]
    if name.endswith((".jsonl", ".ndjson", ".log")):
        keep_lines, held_lines = [], []
        for line in _lines(path):
            record = json.loads(line) if line.strip() else None
            target = (
                held_lines
                if isinstance(record, dict) and _day_of(_get(record, field.source), field.type) == day
                else keep_lines
            )
            target.append(line if line.endswith("\n") else line + "\n")
        return ("".join(keep_lines), "".join(held_lines)) if held_lines else None
    if name.endswith(".json") and ds.json_layout in (*PAGE_LAYOUTS, "envelope"):
        doc = _load_exact(_read_text(path))
        if ds.json_layout in PAGE_LAYOUTS:  # a page of time buckets, dated by the bucket
            key, day_of = "data", lambda b: _day_of(b.get(field.source), field.type)
        else:  # an API response, its records under the dataset's key
            key, day_of = ds.json_records_key or "", lambda r: _day_of(_get(r, field.source), field.type)
        if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
            return None
        held = [r for r in doc[key] if isinstance(r, dict) and day_of(r) == day]
        if not held:
            return None
        rest = [r for r in doc[key] if not (isinstance(r, dict) and day_of(r) == day)]
        return _dump_exact({**doc, key: rest}), _dump_exact({**doc, key: held})
    return None  # other documents (a GitHub export saved as one array, Parquet): not split


def _manifest(held: Path) -> Path:
    return held.with_name(held.name + ".json")


def hold_back(raw: Path, held: Path, day: date) -> dict[str, int]:
    """Take the records of ``day`` out of every event dataset's files under ``raw`` into new files under
    ``held/<system>/<dataset>/``; returns the number of day files per dataset held back now. Done once per
    dataset (the manifest beside ``held`` lists those done; a dataset folder already in ``held``, from before
    the manifest, counts as done)."""
    manifest = _manifest(held)
    done = set(json.loads(manifest.read_text())) if manifest.is_file() else set()
    done |= {k for k in EVENT_TIME if (held / BY_KEY[k].folder).is_dir()}
    counts: dict[str, int] = {}
    for key in EVENT_TIME:
        if key in done:
            continue
        ds = BY_KEY[key]
        for path in sorted((raw / ds.folder).iterdir()):
            if MONTH.search(path.name) and f"{day:%Y-%m}" not in path.name:
                continue  # a monthly file of another month
            split = _split_file(ds, path, day)
            if split is None:
                continue
            rest, day_text = split
            out = held / ds.folder / day_file(path, day)
            out.parent.mkdir(parents=True, exist_ok=True)
            for target, text in ((out, day_text), (path, rest)):  # the day kept before the history loses it
                with _open(target, "w") as fh:
                    fh.write(text)
            counts[key] = counts.get(key, 0) + 1
        done.add(key)
        manifest.write_text(json.dumps(sorted(done), indent=1) + "\n")
    return counts


def deliver(raw: Path, held: Path) -> list[Path]:
    """Copy the held day files into ``raw`` (new files, as a daily export arrives); returns them."""
    out = []
    for path in sorted(p for p in held.rglob("*") if p.is_file()):
        target = raw / path.relative_to(held)
        target.write_bytes(path.read_bytes())
        out.append(target)
    return out


def withdraw(delivered: list[Path]) -> None:
    """Remove the delivered day files again, so the next bench run starts from the history without the day."""
    for path in delivered:
        path.unlink(missing_ok=True)
