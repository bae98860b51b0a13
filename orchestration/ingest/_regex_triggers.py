"""Triggers: the literal strings every match of a secret detector contains, and what may stand between them.

The secret gate's first pass (:mod:`orchestration.ingest.secrets`) is one regex of every detector's trigger: a
text that passes none of them holds no secret, and only texts that pass one are matched by the detectors
themselves. A trigger is derived from the detector's parsed pattern (:mod:`orchestration.ingest._regex`): its
required literals, each gap between them bounded by the characters and counts the pattern allows there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestration.ingest._regex import Alt, Anchor, Cls, Grp, Lit, Parts, Rep, char_text, class_text

_CAP = 64  # most alternative strings tracked per node
_SMALL_CLASS = 16  # a class with at most this many members counts as a few literal characters
_GAP_COUNT = 8  # gaps up to this many characters are bounded in the trigger; longer ones only bounded below ...
_GAP_ANY = 96  # ... and a gap of more kinds of ASCII character than this (or non-ASCII ones) is any text


@dataclass(frozen=True)
class _Span:
    """What a part of a pattern can match, roughly: the characters (ASCII codes, ``other``: non-ASCII ones too)
    and how many (``hi`` None: unbounded). A superset: a gate built from spans never misses."""

    chars: frozenset[int] = frozenset()
    other: bool = False
    lo: int = 0
    hi: int | None = 0

    def __add__(self, o: _Span) -> _Span:
        return _Span(
            self.chars | o.chars,
            self.other or o.other,
            self.lo + o.lo,
            None if self.hi is None or o.hi is None else self.hi + o.hi,
        )

    def within(self) -> _Span:
        """Any stretch of this span's text: what stands beside a literal found somewhere inside it."""
        return _Span(self.chars, self.other, 0, self.hi)

    @property
    def anything(self) -> bool:
        """Any text at all may stand here, as far as a gate can tell."""
        return self.lo == 0 and self.hi is None and (self.other or len(self.chars) > _GAP_ANY)

    def regex(self) -> str:
        """A regex every text of this span matches ('' for no characters)."""
        if self.hi == 0:
            return ""
        base = "(?s:.)" if self.other or len(self.chars) > _GAP_ANY else class_text(self.chars, False)
        if self.lo == 0:  # unbounded: RE2's DFA counts nothing (counted optional stretches multiply its states)
            return base + "*"
        if self.hi is not None and self.hi <= _GAP_COUNT:
            return base + ("" if self.lo == self.hi == 1 else f"{{{self.lo},{self.hi}}}")
        lo = min(self.lo, _GAP_COUNT)
        return base + ("+" if lo == 1 else f"{{{lo},}}")


Gap = tuple[_Span, ...]
"""What stands between two literal sets: one span per pattern item, in order."""


def _gap_regex(gap: Gap) -> str:
    """The gap's spans in order, each stretch of optional ones as one (fewer states for RE2's DFA)."""
    merged: list[_Span] = []
    for s in gap:
        if merged and s.lo == 0 and merged[-1].lo == 0:
            merged[-1] = merged[-1] + s
        else:
            merged.append(s)
    return "".join(s.regex() for s in merged)


def _span(node: Any) -> _Span:
    if isinstance(node, Lit):
        return _Span(frozenset({ord(node.ch)}), False, 1, 1) if node.ch.isascii() else _Span(frozenset(), True, 1, 1)
    if isinstance(node, Cls):
        return _Span(node.chars, node.other, 1, 1)
    if isinstance(node, Anchor):
        return _Span()
    if isinstance(node, Rep):
        s = _span(node.node)
        return _Span(s.chars, s.other, node.lo * s.lo, None if node.hi is None or s.hi is None else node.hi * s.hi)
    if node.kind not in ("cap", "non", "exact"):
        return _Span()  # an assertion matches no characters
    seqs = [sum(map(_span, seq), _Span()) for seq in node.alt]
    return _Span(
        frozenset().union(*(s.chars for s in seqs)),
        any(s.other for s in seqs),
        min(s.lo for s in seqs),
        None if any(s.hi is None for s in seqs) else max(s.hi for s in seqs),
    )  # type: ignore[type-var]


def _cross(a: set[str], b: set[str]) -> set[str] | None:
    return {x + y for x in a for y in b} if len(a) * len(b) <= _CAP else None


def _score(strings: set[str] | None) -> int:
    return min(map(len, strings)) if strings else 0


class _Literals:
    """Required literal strings of a tree; lower-cased when the pattern is case-insensitive."""

    def __init__(self, fold: bool) -> None:
        self.fold = fold

    def ch(self, c: str) -> str:
        return c.lower() if self.fold else c

    def info(self, node: Any) -> tuple[set[str] | None, set[str] | None]:
        """(every string ``node`` can match, if few; strings one of which every match contains)."""
        if isinstance(node, Lit):
            return {self.ch(node.ch)}, {self.ch(node.ch)}
        if isinstance(node, Cls):
            chars = {self.ch(chr(c)) for c in node.chars}
            return (chars, chars) if not node.other and len(chars) <= _SMALL_CLASS else (None, None)
        if isinstance(node, Anchor):
            return {""}, None
        if isinstance(node, Rep):
            exact, req = self.info(node.node)
            if exact is not None and node.hi is not None and node.lo >= 1 and len(exact) ** node.hi <= _CAP:
                out: set[str] = {""}
                for _ in range(node.lo):
                    out = _cross(out, exact) or set()
                whole = set(out)
                for _ in range(node.lo, node.hi):
                    out = _cross(out, exact) or set()
                    whole |= out
                return whole, whole
            if exact is not None and (node.lo, node.hi) == (0, 1) and len(exact) < _CAP:
                return exact | {""}, None  # optional: `[-_]?` between two words keeps them one literal
            return None, (req if node.lo >= 1 else None)
        if node.kind not in ("cap", "non", "exact"):
            return {""}, None  # an assertion matches no characters
        return self.alt(node.alt)

    def seq(self, seq: tuple[Any, ...]) -> tuple[set[str] | None, set[str] | None]:
        sets = [group for _, group in self.ordered(seq)[0]]
        exact: set[str] | None = {""}
        for item in seq:
            e, _ = self.info(item)
            exact = _cross(exact, e) if exact is not None and e is not None else None
        best = max(sets, key=lambda x: (_score(x), -len(x)), default=None)
        return exact, best

    def alt(self, alt: Alt) -> tuple[set[str] | None, set[str] | None]:
        exact: set[str] | None = set()
        req: set[str] | None = set()
        for e, r in map(self.seq, alt):
            exact = exact | e if exact is not None and e is not None and len(exact | e) <= _CAP else None
            req = req | r if req is not None and r is not None and len(req | r) <= _CAP else None
        return exact, (req if _score(req) > 0 else None)

    def ordered(self, seq: tuple[Any, ...]) -> tuple[list[tuple[Gap, set[str]]], Gap]:
        """Literal sets every match of ``seq`` contains, in this order (runs of few-string items joined), each with
        what stands between it and the set before it; and what stands after the last one."""
        out: list[tuple[Gap, set[str]]] = []
        gap: Gap = ()
        run: set[str] = {""}
        run_span = _Span()

        def flush() -> None:
            nonlocal gap, run, run_span
            if run != {""}:  # (optional items and anchors never join a run: no string of one is empty)
                out.append((gap, run))
                gap = ()
            run, run_span = {""}, _Span()

        for item in seq:
            exact, req = self.info(item)
            span = _span(item)
            if exact is not None and "" in exact:  # optional: its characters stand in the gap to the next set
                flush()
                gap += (span,)
                continue
            if exact is not None:
                joined = _cross(run, exact)
                if joined is None:  # too many combinations: keep the run so far, start again at this item
                    flush()
                    run, run_span = exact, span
                else:
                    run, run_span = joined, run_span + span
                continue
            flush()
            if req and _score(req) > 0:  # somewhere inside the item: any stretch of it before and after
                out.append(((*gap, span.within()), req))
                gap = (span.within(),)
            elif span.hi != 0:
                gap += (span,)
        flush()
        return out, gap


_BRANCHES = 16  # most sequences a pattern's alternations are spelled out into for its trigger


def _spelled_out(seq: tuple[Any, ...], lits: _Literals) -> list[tuple[Any, ...]]:
    """``seq`` with its alternations that hold literals (not just a few strings) spelled out, one sequence per
    branch, up to :data:`_BRANCHES` sequences: each branch then has its own gaps (`api_key_id` ends no key of
    ``(?:\\w+_)?api_key|token``; the union of both branches' characters would let it through)."""

    def group(item: Any) -> bool:
        return isinstance(item, Grp) and item.kind in ("cap", "non", "exact")

    def spellable(item: Any) -> bool:  # an alternation holding literals, more than a few strings
        if not group(item):
            return False
        exact, req = lits.info(item)
        return exact is None and req is not None

    def flat(items: tuple[Any, ...]) -> tuple[Any, ...]:  # a one-branch group is its items
        return tuple(
            x for item in items for x in (flat(item.alt[0]) if group(item) and len(item.alt) == 1 else (item,))
        )

    done: list[tuple[Any, ...]] = []
    todo = [flat(seq)]
    while todo:
        cur = todo.pop()
        at = next((i for i, item in enumerate(cur) if spellable(item)), None)
        if at is None or len(done) + len(todo) + len(cur[at].alt) > _BRANCHES:
            done.append(cur)
            continue
        todo += [flat((*cur[:at], *branch, *cur[at + 1 :])) for branch in reversed(cur[at].alt)]
    return done


def _trigger_body(found: list[tuple[Gap, set[str]]], tail: Gap) -> str:
    # after the last set, what is known up to its last required stretch before any text may stand
    tail = tail[: next((i for i, s in enumerate(tail) if s.anything or s.other), len(tail))]
    tail = tail[: max((i + 1 for i, s in enumerate(tail) if s.lo > 0), default=0)]
    gaps = [(), *(gap for gap, _ in found[1:]), tail]
    # any text may stand here: before the first set, after the last when nothing is known there, or in a gap
    free = [True, *(bool(gap) and all(s.anything for s in gap) for gap in gaps[1:-1]), not tail]
    body = ""
    for i, (_, group) in enumerate(found):
        if free[i] and free[i + 1]:
            # a string containing another of its set adds nothing when any text may stand on both sides: the
            # text holds the shorter one there too
            group = {x for x in group if not any(o != x and o in x for o in group)}
        body += ("" if i == 0 else _gap_regex(gaps[i])) + "(?:" + "|".join(sorted(map(_escape, group))) + ")"
    return body + _gap_regex(tail)


def trigger(parts: Parts, fold: bool, min_chars: int) -> tuple[str, frozenset[str]] | None:
    """What every match holds: a regex of its required literal sets in order, each set after what can stand
    between it and the one before (the characters and, for a few, how many; any text when that is not known),
    one alternative per branch of the pattern's alternations, for RE2, whose DFA runs it in one pass
    (``(?i:...)`` when ``fold``); and strings one of which every match holds (for Python's ``in``; lower-case
    when ``fold``). None when a branch's sets hold fewer than ``min_chars`` characters in all: too common to
    gate anything, the pattern must gate itself.

    The gaps make the gate selective on JSON text, where `"client":` once let every record through a gate of
    ``client.*:`` for the pattern ``client[-_]?secret["']?\\s*[:=]``."""
    lits = _Literals(fold)
    seq = tuple(
        item for a in (parts.prefix, parts.secret, parts.suffix) for item in (a[0] if len(a) == 1 else (Grp("non", a),))
    )
    bodies: list[str] = []
    strings: set[str] = set()
    for branch in _spelled_out(seq, lits):
        found, tail = lits.ordered(branch)
        if sum(_score(group) for _, group in found) < min_chars:
            return None
        bodies.append(_trigger_body(found, tail))
        strings |= max((group for _, group in found), key=lambda x: (_score(x), -len(x)))
    body = "|".join(dict.fromkeys(bodies))
    return (f"(?i:{body})" if fold else body), frozenset(strings)


def _escape(text: str) -> str:
    return "".join(char_text(ord(c), False) if c.isascii() else c for c in text)
