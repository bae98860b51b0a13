"""JSON text as ingest reads and writes it: exact decimals, keys named twice noticed, hostile nesting cut.

Python's ``json`` module makes three silent choices an audited ingest cannot: non-integers become floats, an
object naming a key twice keeps the last value, and nesting deeper than the interpreter's recursion limit fails
the whole document. Here numbers stay :class:`~decimal.Decimal` and are written back exactly
(:func:`dump_exact`), duplicated keys are marked on the object (:func:`record_problem` names them), and values
nested deeper than :data:`MAX_JSON_DEPTH` are replaced by a marker (:func:`cut_deep`) so the rest of a
document still parses and only the record holding them is quarantined. ``readers`` (ingest) and ``trace``
(auditors' lookups) both parse through :func:`loads`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

#: Deeper nesting than this is no record a vendor ships: that record is quarantined, the rest of the file lands.
MAX_JSON_DEPTH = 64
#: What a value nested too deep is replaced by while the rest of a document is parsed (see :func:`cut_deep`).
TOO_DEEP = "\u0000nested-too-deep"
TOO_DEEP_REASON = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"


class Duplicated(dict):
    """A JSON object whose text named a key twice; ``duplicate`` is the first key repeated."""

    __slots__ = ("duplicate",)


class JsonParser:
    """``json.loads`` with exact decimals that notices objects naming a key twice; ``duplicates`` counts them
    over every call, so a caller parsing many lines learns cheaply whether a line needs a closer look."""

    def __init__(self) -> None:
        self.duplicates = 0

    def _object(self, pairs: list[tuple[str, Any]]) -> dict:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        marked = Duplicated(obj)
        marked.duplicate = dup
        self.duplicates += 1
        return marked

    def loads(self, text: str) -> Any:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=self._object)


def loads(text: str) -> Any:
    """Parse JSON text as ingest does: exact decimals; objects naming a key twice are marked (see
    :func:`record_problem`)."""
    return JsonParser().loads(text)


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


#: What the C encoder writes for a Decimal before it is put back as a bare number (see :func:`dump_exact`): a NUL
#: cannot stand unescaped in JSON text, so the mark is unambiguous unless a string itself holds it (counted).
_MARK = "\u0000dec:"
_MARKED = re.compile(r'"\\u0000dec:([^"]*)"')


def dump_exact(value: Any) -> str:
    """Compact JSON of a parsed value with every number written exactly as the file wrote it (the parser
    keeps non-integers as Decimal: ``json.dumps`` would turn them into floats). At C speed: each Decimal is
    written as a marked string, then unquoted; a value whose own strings hold the mark takes the slow path."""
    marked = 0

    def mark(o: Any) -> str:
        nonlocal marked
        if not isinstance(o, Decimal):
            raise TypeError(f"{type(o).__name__} is not JSON")
        marked += 1
        return _MARK + str(o)

    out = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=mark)
    if not marked:
        return out
    unmarked, n = _MARKED.subn(r"\1", out)
    return unmarked if n == marked else _dump_slow(value)


def _dump_slow(value: Any) -> str:
    if isinstance(value, dict):
        return (
            "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_dump_slow(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_dump_slow(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def record_problem(value: Any) -> str | None:
    """Why a parsed JSON record cannot be trusted, or None: a key named twice in one object, or nesting
    deeper than :data:`MAX_JSON_DEPTH` (an iterative walk: never recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, Duplicated):
            return f"duplicate key {v.duplicate!r} in one JSON object: which value counts would be a silent choice"
        children = v.values() if isinstance(v, dict) else v
        for c in children:
            if isinstance(c, (dict, list)):
                if depth >= MAX_JSON_DEPTH:
                    return TOO_DEEP_REASON
                stack.append((c, depth + 1))
            elif c == TOO_DEEP:
                return TOO_DEEP_REASON
    return None


def _brackets(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """``(index, +1 or -1)`` for every bracket opening or closing outside a JSON string, from ``start``."""
    in_str = False
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "[{":
            yield i, 1
        elif c in "]}":
            yield i, -1
        i += 1


def _matching_close(text: str, i: int) -> int:
    """Index of the bracket closing the one at ``i`` (the end of the text when it is never closed)."""
    depth = 0
    for j, step in _brackets(text, i):
        depth += step
        if depth == 0:
            return j
    return len(text) - 1


def cut_deep(text: str) -> str:
    """The document with every value nested deeper than :data:`MAX_JSON_DEPTH` replaced by a marker string,
    so the rest of it parses (Python's parser gives up on deep nesting as a whole). A string-aware scan,
    used only after the parser failed on depth."""
    out: list[str] = []
    depth = start = skip_to = 0
    for i, step in _brackets(text):
        if i < skip_to:
            continue
        depth += step
        if depth > MAX_JSON_DEPTH:
            end = _matching_close(text, i)
            out.append(text[start:i])
            out.append(json.dumps(TOO_DEEP))
            start = skip_to = end + 1
            depth -= 1
    out.append(text[start:])
    return "".join(out)
