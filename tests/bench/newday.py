"""One new day of every event dataset, for the bench's new-day night: the generated history with its last day
held back, then that day delivered as new files.

The demo generator writes one world at once, so a day added by generating again would not be the same world.
Instead the last day's records are taken out of the generated files (the vendor's side: only the bench's own
data directory is rewritten) and kept, one new file per split file, to be dropped into ``raw/`` later, as a
vendor's daily export arrives: ``<stem>.day-<YYYY-MM-DD><suffixes>``.

Event datasets are split by their event time (the registry's field, its source name in the file); snapshots
(inventory, credential report, secrets, licences, security incidents, scenarios) stay whole. Records keep their
text: CSV rows are written back with the csv module (same cells), JSON lines as the very lines they were; an
OpenAI usage page gives up its buckets of that day to a page of its own.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.datasets import BY_KEY, Dataset

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
}
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
    if name.endswith(".json") and ds.key == "usage/openai_usage":
        page = json.loads(path.read_text())
        held = [b for b in page["data"] if _day_of(b.get(field.source), field.type) == day]
        if not held:
            return None
        rest = {**page, "data": [b for b in page["data"] if b not in held]}
        return json.dumps(rest, separators=(",", ":")), json.dumps({**page, "data": held}, separators=(",", ":"))
    return None  # other documents (a GitHub export saved as one array, Parquet): not split


def hold_back(raw: Path, held: Path, day: date) -> dict[str, int]:
    """Take the records of ``day`` out of every event dataset's files under ``raw`` into new files under
    ``held/<system>/<dataset>/``; returns the number of day files per dataset. Done once: a ``held`` folder
    that already exists is left as it is."""
    if held.is_dir():
        return {p.parent.relative_to(held).as_posix(): 0 for p in held.rglob("*") if p.is_file()}
    tmp = held.with_name(held.name + ".part")
    counts: dict[str, int] = {}
    for key in EVENT_TIME:
        ds = BY_KEY[key]
        for path in sorted((raw / ds.folder).iterdir()):
            if MONTH.search(path.name) and f"{day:%Y-%m}" not in path.name:
                continue  # a monthly file of another month
            split = _split_file(ds, path, day)
            if split is None:
                continue
            rest, day_text = split
            out = tmp / ds.folder / day_file(path, day)
            out.parent.mkdir(parents=True, exist_ok=True)
            for target, text in ((out, day_text), (path, rest)):
                with _open(target, "w") as fh:
                    fh.write(text)
            counts[key] = counts.get(key, 0) + 1
    tmp.rename(held)
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
