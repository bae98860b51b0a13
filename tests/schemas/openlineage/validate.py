"""Offline validation of OpenLineage events against the spec files shipped beside this module.

Every ``*.json`` here is registered under its own ``$id`` in a ``referencing.Registry`` whose ``retrieve`` refuses
anything else, so the facets' ``$ref``s to the core spec resolve without a network and an unknown schema fails
loudly instead of being fetched. jsonschema checks ``uuid`` formats itself; ``date-time`` and ``uri`` need optional
packages that are not installed, so they are checked here (RFC 3339 and an RFC 3986 scheme): without them a bad
``eventTime`` would pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

SCHEMA_DIR = Path(__file__).resolve().parent
SPEC_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_REF = f"{SPEC_ID}#/$defs/RunEvent"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")

format_checker = FormatChecker()


@format_checker.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@format_checker.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


def _offline(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)


@cache
def registry() -> Registry:
    """Every shipped schema under its ``$id`` (the 2-0-2 core, the 1-0-2 core three facets still point at,
    facets)."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry(retrieve=_offline).with_resources(resources)


@cache
def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref}, registry=registry(), format_checker=format_checker)


def _facet_bags(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    yield "run", (event.get("run") or {}).get("facets") or {}
    yield "job", (event.get("job") or {}).get("facets") or {}
    for side in ("inputs", "outputs"):
        for i, ds in enumerate(event.get(side) or []):
            yield f"{side}[{i}]", ds.get("facets") or {}
            yield f"{side}[{i}].{side[:-1]}Facets", ds.get("inputFacets") or ds.get("outputFacets") or {}


def _declared_facets(url: str) -> set[str]:
    """Facet keys the schema document of ``url`` declares (its top-level ``properties``: ``{"schema": ...}``)."""
    contents = registry().contents(url.split("#", 1)[0])
    return set(contents.get("properties") or {}) if isinstance(contents, Mapping) else set()


def errors(event: Mapping[str, Any]) -> list[str]:
    """Every problem of one event: against ``RunEvent``, then each facet against the schema its ``_schemaURL``
    names (which must be one shipped here, and must declare the facet's key: a ``schema`` facet cannot point at
    the ``dataQualityAssertions`` schema)."""
    out = [f"RunEvent: {e.json_path}: {e.message}" for e in _validator(RUN_EVENT_REF).iter_errors(event)]
    for where, facets in _facet_bags(event):
        for name, facet in facets.items():
            url = facet.get("_schemaURL") if isinstance(facet, Mapping) else None
            if not isinstance(url, str) or "#" not in url:
                out.append(f"{where}.{name}: no _schemaURL with a fragment")
                continue
            try:
                found = [f"{where}.{name}: {e.json_path}: {e.message}" for e in _validator(url).iter_errors(facet)]
                if name not in _declared_facets(url):
                    found.append(f"{where}.{name}: schema {url} does not declare a facet named {name!r}")
            except Exception as exc:  # noqa: BLE001 - an unresolvable schema is a validation failure, reported
                found = [f"{where}.{name}: schema {url} not resolvable offline: {exc}"]
            out.extend(found)
    return out


def assert_valid(event: Mapping[str, Any]) -> None:
    problems = errors(event)
    assert not problems, "\n".join(problems)
