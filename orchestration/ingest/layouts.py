"""Where the records of a parsed JSON document sit, per dataset layout (``Dataset.json_layout``).

Vendors wrap records: Okta event hooks under ``data.events``, usage APIs in pages of time buckets whose
results take the bucket's bounds with them, admin APIs in a response object's array (``seats``, ``data``,
``usageEvents``), AWS in ``SecretList``. A file may also hold several responses (a JSON array of pages, or
one page per line) or the records already unwrapped; every layout reads all of these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orchestration.ingest import jsontext
from orchestration.ingest.errors import FileRejected


def is_hook_delivery(doc: Any) -> bool:
    """Whether a parsed Okta document is an event hook delivery (its events under ``data.events``)."""
    return isinstance(doc, dict) and isinstance(doc.get("data"), dict) and isinstance(doc["data"].get("events"), list)


#: Usage API page layouts: the bucket keys each result takes with it, and what the pages are called.
PAGE_LAYOUTS: dict[str, tuple[tuple[str, str], str]] = {
    "openai_pages": (("start_time", "end_time"), "OpenAI usage"),
    "anthropic_pages": (("starting_at", "ending_at"), "Anthropic Admin API report"),
}


def _page_records(doc: Any, layout: str) -> Iterator[dict | Any]:
    (start, end), what = PAGE_LAYOUTS[layout]
    pages = doc if isinstance(doc, list) else [doc]
    for page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise FileRejected(f"not an {what} page: expected an object with a 'data' array of buckets")
        for bucket in page["data"]:
            if not isinstance(bucket, dict) or not isinstance(bucket.get("results"), list):
                raise FileRejected(f"{what} bucket without a 'results' array")
            for result in bucket["results"]:
                if isinstance(result, dict):
                    merged = {**result, start: bucket.get(start), end: bucket.get(end)}
                    if isinstance(result, jsontext.Duplicated):  # keep the mark: the record is quarantined
                        merged = jsontext.Duplicated(merged)
                        merged.duplicate = result.duplicate
                    yield merged
                else:
                    yield result


def _envelope_records(doc: Any, key: str) -> Iterator[dict | Any]:
    """An API response's ``key`` array (or a list of responses: pages saved together); a list of bare records,
    or one bare record, is taken as it is (an export already unwrapped)."""
    for item in doc if isinstance(doc, list) else [doc]:
        if isinstance(item, dict) and key in item:
            if not isinstance(item[key], list):
                raise FileRejected(f"'{key}' is not an array")
            yield from item[key]
        else:
            yield item


def is_envelope(doc: Any, key: str | None) -> bool:
    """Whether a parsed document is an API response holding its records under ``key``."""
    return key is not None and isinstance(doc, dict) and key in doc


def is_one_record(doc: Any, layout: str, records_key: str | None = None) -> bool:
    """Whether one line of a JSON-lines file is a record itself (its raw text is the line), rather than a
    document whose records :func:`records_from_document` finds (a page, a response, a hook delivery)."""
    if layout == "records":
        return True
    if layout == "secret_list":
        return not is_envelope(doc, "SecretList")
    if layout == "okta_events":
        return not is_hook_delivery(doc)
    if layout == "envelope":
        return not is_envelope(doc, records_key)
    return False


def records_from_document(doc: Any, layout: str, records_key: str | None = None) -> Iterator[dict | Any]:
    """Records of one parsed JSON document (array, object or envelope) for a dataset layout."""
    if layout in PAGE_LAYOUTS:
        yield from _page_records(doc, layout)
        return
    if layout == "envelope":
        if not records_key:
            raise ValueError("the envelope layout needs its records key")
        yield from _envelope_records(doc, records_key)
        return
    if layout == "secret_list":
        if isinstance(doc, dict) and "SecretList" in doc:
            if not isinstance(doc["SecretList"], list):
                raise FileRejected("'SecretList' is not an array")
            yield from doc["SecretList"]
            return
        if isinstance(doc, list):
            for item in doc:
                if isinstance(item, dict) and isinstance(item.get("SecretList"), list):
                    yield from item["SecretList"]
                else:
                    yield item
            return
        yield doc
        return
    if layout == "okta_events" and is_hook_delivery(doc):
        yield from doc["data"]["events"]
        return
    if isinstance(doc, list):
        yield from doc
    else:
        yield doc
