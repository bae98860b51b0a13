"""A small regex translator: one pattern, the same matches in Python's ``re`` and in RE2 (DuckDB).

Why: the secret detectors (:mod:`orchestration.ingest.secrets`) run as Python for reasons and logs and as
DuckDB SQL over tens of millions of landed values; both must redact exactly the same text. RE2 has no
lookaround and caps repetitions at 1000, and the two engines disagree on ``\\s`` (RE2 lacks ``\\v``),
on ``\\d``/``\\w`` (Python's are Unicode), on ``$`` (Python also matches before a final newline) and on
case folding. So a pattern is parsed into a tiny tree and written out again in a subset both read alike:
explicit ASCII classes, both cases spelled out, end-of-text as ``\\Z`` / ``\\z``, long repetitions split.
Whatever the tree cannot express raises :class:`Untranslatable` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

_ALL = frozenset(range(128))
_DIGIT = frozenset(range(48, 58))
_UPPER = frozenset(range(65, 91))
_LOWER = frozenset(range(97, 123))
_WORD = _DIGIT | _UPPER | _LOWER | {95}
_SPACE = frozenset(map(ord, " \t\n\r\f\v"))
_RE2_MAX_REPEAT = 1000


class Untranslatable(ValueError):
    """The pattern uses something with no exact equivalent in both engines."""


@dataclass(frozen=True)
class Lit:
    ch: str


@dataclass(frozen=True)
class Cls:
    chars: frozenset[int]  # ASCII members
    other: bool  # non-ASCII characters are members too


@dataclass(frozen=True)
class Anchor:
    end: bool  # False: start of text, True: end of text


@dataclass(frozen=True)
class Grp:
    kind: str  # cap, non, lb, nlb, la, nla
    alt: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Rep:
    node: Any
    lo: int
    hi: int | None
    lazy: bool


Alt = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Parts:
    """``(prefix)(secret)(suffix)``: the secret is replaced, the context around it is kept."""

    prefix: Alt
    secret: Alt
    suffix: Alt


_EMPTY: Alt = ((),)


class _Parser:
    def __init__(self, src: str, verbose: bool) -> None:
        self.s, self.i, self.verbose = src, 0, verbose

    def skip(self) -> None:
        """In a verbose pattern, whitespace and ``#`` comments outside classes mean nothing."""
        while self.verbose and self.i < len(self.s) and (self.s[self.i].isspace() or self.s[self.i] == "#"):
            if self.s[self.i] == "#":
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            self.i += 1

    def peek(self, n: int = 0) -> str:
        if n == 0:
            self.skip()
        return self.s[self.i + n] if self.i + n < len(self.s) else ""

    def alt(self) -> Alt:
        seqs = [self.seq()]
        while self.peek() == "|":
            self.i += 1
            seqs.append(self.seq())
        return tuple(seqs)

    def seq(self) -> tuple[Any, ...]:
        items = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quant(self.atom()))
        return tuple(items)

    def atom(self) -> Any:
        self.skip()
        c = self.s[self.i]
        self.i += 1
        if c == "(":
            kind = "cap"
            openers = (("?:", "non"), ("?-i:", "exact"), ("?<=", "lb"), ("?<!", "nlb"), ("?=", "la"), ("?!", "nla"))
            for opener, k in openers:
                if self.s.startswith(opener, self.i):
                    self.i, kind = self.i + len(opener), k
                    break
            else:
                if self.s.startswith("?P<", self.i):
                    self.i = self.s.index(">", self.i) + 1
                elif self.peek() == "?":
                    raise Untranslatable(f"group syntax at {self.i}")
            alt = self.alt()
            if self.peek() != ")":
                raise Untranslatable("unbalanced parenthesis")
            self.i += 1
            return Grp(kind, alt)
        if c == "[":
            return self.cls()
        if c == "\\":
            return self.escape()
        if c == ".":
            return Cls(_ALL - {10}, True)
        if c in "^$":
            return Anchor(c == "$")
        if c in "*+?)":
            raise Untranslatable(f"nothing to repeat at {self.i}")
        return Lit(c)

    def escape(self) -> Lit | Cls:
        c = self.peek()
        self.i += 1
        named = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
        if c.lower() in named:
            chars = named[c.lower()]
            return Cls(chars, False) if c.islower() else Cls(_ALL - chars, True)
        simple = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}
        if c in simple:
            return Lit(simple[c])
        if c == "x":
            self.i += 2
            return Lit(chr(int(self.s[self.i - 2 : self.i], 16)))
        if not c or c.isalnum():
            raise Untranslatable(f"escape \\{c}")
        return Lit(c)

    def cls(self) -> Cls:
        neg = self.peek() == "^"
        self.i += neg
        chars: set[int] = set()
        other, first = False, True
        while True:
            c = self.peek()
            if not c:
                raise Untranslatable("unterminated class")
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            lo = self.class_atom()
            if isinstance(lo, Cls):
                chars |= lo.chars
                other |= lo.other
            elif self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = self.class_atom()
                if isinstance(hi, Cls) or ord(hi) < ord(lo):
                    raise Untranslatable("bad class range")
                chars |= set(range(ord(lo), ord(hi) + 1))
            else:
                chars.add(ord(lo))
        if max(chars, default=0) > 127:
            raise Untranslatable("non-ASCII class member")
        return Cls(_ALL - frozenset(chars), not other) if neg else Cls(frozenset(chars), other)

    def class_atom(self) -> str | Cls:
        c = self.s[self.i]
        self.i += 1
        if c != "\\":
            return c
        got = self.escape()
        return got.ch if isinstance(got, Lit) else got

    def quant(self, atom: Any) -> Any:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.i += 1
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        elif c == "{":
            m = re.match(r"\{(\d*)(,?)(\d*)\}", self.s[self.i :])
            if not m or not (m[1] or m[3]):
                return atom  # not a quantifier: the next atom reads "{" as a literal
            self.i += m.end()
            lo, hi = int(m[1] or 0), int(m[3]) if m[3] else (None if m[2] else int(m[1]))
        else:
            return atom
        lazy = self.peek() == "?"
        self.i += lazy
        if self.peek() == "+":
            raise Untranslatable("possessive repetition")
        if isinstance(atom, Anchor) or (isinstance(atom, Grp) and atom.kind not in ("cap", "non", "exact")):
            raise Untranslatable("repeated assertion")
        return Rep(atom, lo, hi, lazy)


def parse(src: str, verbose: bool = False) -> Alt:
    """The tree of ``src``; ``(?-i:...)`` marks a part that case folding leaves alone."""
    p = _Parser(src, verbose)
    alt = p.alt()
    if p.i != len(src):
        raise Untranslatable("unbalanced parenthesis")
    return alt


def _single(node: Any) -> bool:
    return isinstance(node, Lit | Cls | Anchor)


def _is_boundary(item: Any) -> bool:
    """One-character alternatives with start or end of text among them: context, e.g. ``(?:\\s|"|^)``."""
    return (
        isinstance(item, Grp)
        and item.kind in ("cap", "non")
        and all(len(seq) == 1 and _single(seq[0]) for seq in item.alt)
        and any(isinstance(s[0], Anchor) for s in item.alt)
    )


def _lookbehind_alts(item: Any) -> list[Any] | None:
    """The one-character atoms of ``(?<=X)`` or ``(?:(?<=X)|(?<=Y))``, else None."""
    group = item if isinstance(item, Grp) else None
    if group and group.kind == "lb" and len(group.alt) == 1 and len(group.alt[0]) == 1 and _single(group.alt[0][0]):
        return [group.alt[0][0]]
    if group and group.kind == "non":
        found = [_lookbehind_alts(seq[0]) if len(seq) == 1 else None for seq in group.alt]
        if all(found):
            return [a for f in found for a in f]  # type: ignore[union-attr]
    return None


def _consume_lookbehind(atoms: list[Any]) -> Grp:
    seqs: list[tuple[Any, ...]] = [(a,) for a in atoms]
    if any(isinstance(a, Cls) and 92 in a.chars for a in atoms):
        escape = (Lit("\\"), Cls(frozenset(map(ord, "bfnrt")), False))
        seqs.append((Grp("exact", (escape,)),))
    return Grp("non", tuple(seqs))


def _is_nla(item: Any) -> bool:
    return (
        isinstance(item, Grp)
        and item.kind == "nla"
        and len(item.alt) == 1
        and len(item.alt[0]) == 1
        and isinstance(item.alt[0][0], Lit | Cls)
    )


def _consume_lookahead(item: Grp) -> Grp:
    atom = item.alt[0][0]
    cls = Cls(frozenset({ord(atom.ch)}), False) if isinstance(atom, Lit) else atom
    return Grp("non", ((Cls(_ALL - cls.chars, not cls.other),), (Anchor(True),)))


def _nullable(item: Any) -> bool:
    if isinstance(item, Rep):
        return item.lo == 0 or _nullable(item.node)
    if isinstance(item, Grp):
        return any(all(_nullable(i) for i in seq) for seq in item.alt)
    return False


def _greedy_tail(items: list[Any]) -> list[Any]:
    if items and isinstance(items[-1], Rep) and items[-1].lazy:
        items[-1] = replace(items[-1], lazy=False)
    return items


def split(alt: Alt) -> Parts:
    """Prefix / secret / suffix of a detect-secrets pattern (see :mod:`orchestration.ingest.secrets`)."""
    if len(alt) != 1:
        return Parts(_EMPTY, alt, _EMPTY)
    items = list(alt[0])
    prefix: list[Any] = []
    suffix: list[Any] = []
    atoms = _lookbehind_alts(items[0]) if items else None
    if atoms:
        prefix.append(_consume_lookbehind(atoms))
        items.pop(0)
    at = next((i for i, it in enumerate(items) if isinstance(it, Grp) and it.kind == "cap"), None)
    if at is not None and (at > 0 or prefix):
        prefix += _lazy_prefix(items[:at])
        secret, rest = items[at].alt, items[at + 1 :]
        while rest and _nullable(rest[-1]):
            rest.pop()
        if len(secret) == 1 and secret[0] and _is_nla(secret[0][-1]):
            if rest:
                raise Untranslatable("lookahead followed by more pattern")
            suffix, secret = [_consume_lookahead(secret[0][-1])], (secret[0][:-1],)
        else:
            suffix = rest
        return _quoted(Parts((tuple(prefix),), secret, (tuple(suffix),)))
    while items and _is_boundary(items[0]):
        prefix.append(items.pop(0))
    if items and _is_nla(items[-1]):
        suffix = [_consume_lookahead(items.pop())]
    elif items and _is_boundary(items[-1]):
        suffix = [items.pop()]
    return _quoted(Parts((tuple(prefix),), (tuple(_greedy_tail(items)),), (tuple(suffix),)))


def _quoted(parts: Parts) -> Parts:
    return replace(parts, prefix=_map(parts.prefix, _json_quote), suffix=_map(parts.suffix, _json_quote))


def _json_quote(item: Any) -> Any:
    """A quote in the context also matches its JSON-escaped form ``\\"`` (a quote inside a JSON string)."""
    if (isinstance(item, Lit) and item.ch == '"') or (
        isinstance(item, Cls) and not item.other and 34 in item.chars and item.chars <= {34, 39}
    ):
        return Grp("exact", ((Rep(Lit("\\"), 0, 1, False), item),))
    return item


def _lazy_prefix(items: list[Any]) -> list[Any]:
    """Unbounded repetitions in the prefix become lazy: the match ends at the first secret after it, so a
    secret earlier on the line is not swallowed as context of a later one."""
    return [replace(i, lazy=True) if isinstance(i, Rep) and i.hi is None else i for i in items]


def _map(alt: Alt, fn: Any, into_exact: bool = True) -> Alt:
    def one(item: Any) -> Any:
        if isinstance(item, Grp):
            return item if item.kind == "exact" and not into_exact else Grp(item.kind, _map(item.alt, fn, into_exact))
        if isinstance(item, Rep):
            return replace(item, node=one(item.node))
        return fn(item)

    return tuple(tuple(one(i) for i in seq) for seq in alt)


def _fold(item: Any) -> Any:
    if isinstance(item, Lit) and item.ch.isascii() and item.ch.isalpha():
        return Cls(frozenset({ord(item.ch.lower()), ord(item.ch.upper())}), False)
    if isinstance(item, Cls) and not item.other:
        return Cls(item.chars | {ord(chr(c).swapcase()) for c in item.chars if chr(c).isalpha()}, False)
    if isinstance(item, Cls):  # a negated class: a letter stays only if its other case does too
        return Cls(frozenset(c for c in item.chars if ord(chr(c).swapcase()) in item.chars), True)
    return item


def fold_case(parts: Parts) -> Parts:
    """ASCII case-insensitivity, spelled out (RE2's Unicode folding would differ from Python's)."""
    return Parts(*(_map(a, _fold, into_exact=False) for a in (parts.prefix, parts.secret, parts.suffix)))


def _no_json_break(item: Any) -> Any:
    if isinstance(item, Lit) and item.ch in '"\\':
        raise Untranslatable("quote or backslash inside the secret")
    if isinstance(item, Cls):
        return Cls(item.chars - {34, 92}, item.other)
    return item


def json_safe(parts: Parts) -> Parts:
    """The replaced part never holds ``"`` or ``\\``, so it never ends a JSON string or splits an escape."""
    return replace(parts, secret=_map(parts.secret, _no_json_break))


_SPECIAL = set(".^$*+?{}[]\\|()")


def char_text(c: int, in_class: bool) -> str:
    ch = chr(c)
    if c < 32 or c == 127:
        return f"\\x{c:02x}"
    if ch in ("\\]^-[" if in_class else _SPECIAL):
        return "\\" + ch
    return ch


def class_text(chars: frozenset[int], negate: bool) -> str:
    out, run = [], sorted(chars)
    i = 0
    while i < len(run):
        j = i
        while j + 1 < len(run) and run[j + 1] == run[j] + 1:
            j += 1
        out.append(char_text(run[i], True) + ("-" + char_text(run[j], True) if j > i else ""))
        i = j + 1
    return "[" + ("^" if negate else "") + "".join(out) + "]"


def _emit(item: Any, dialect: str) -> str:
    if isinstance(item, Lit):
        return char_text(ord(item.ch), False) if item.ch.isascii() else item.ch
    if isinstance(item, Cls):
        if not item.other:
            if not item.chars:
                raise Untranslatable("empty class")
            return char_text(next(iter(item.chars)), False) if len(item.chars) == 1 else class_text(item.chars, False)
        return "(?s:.)" if item.chars == _ALL else class_text(_ALL - item.chars, True)
    if isinstance(item, Anchor):
        return ("\\Z" if dialect == "py" else "\\z") if item.end else "^"
    if isinstance(item, Grp):
        if item.kind not in ("cap", "non", "exact"):
            raise Untranslatable("lookaround")
        return "(?:" + emit_alt(item.alt, dialect) + ")"
    lo, hi = item.lo, item.hi
    node = _emit(item.node, dialect)
    if lo > _RE2_MAX_REPEAT:
        raise Untranslatable("repetition minimum over 1000")
    lazy = "?" if item.lazy else ""
    if hi is not None and hi > _RE2_MAX_REPEAT:
        return f"{node}{{{lo},{_RE2_MAX_REPEAT}}}{lazy}" + _emit(
            Rep(item.node, 0, hi - _RE2_MAX_REPEAT, item.lazy), dialect
        )
    q = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((lo, hi))
    if q is None:
        q = f"{{{lo}}}" if hi == lo else f"{{{lo},}}" if hi is None else f"{{{lo},{hi}}}"
    return node + q + lazy


def emit_alt(alt: Alt, dialect: str) -> str:
    return "|".join("".join(_emit(i, dialect) for i in seq) for seq in alt)


def assemble(parts: Parts, dialect: str) -> str:
    """``(prefix)(secret)(suffix)`` with exactly these three capture groups."""
    return "".join("(" + emit_alt(a, dialect) + ")" for a in (parts.prefix, parts.secret, parts.suffix))


def assemble_match(parts: Parts, dialect: str) -> str:
    """The same pattern without capture groups (for the combined prefilter)."""
    return "".join("(?:" + emit_alt(a, dialect) + ")" for a in (parts.prefix, parts.secret, parts.suffix))


def translate(src: str, dialect: str) -> str:
    """A hand-written pattern in either engine's syntax."""
    return emit_alt(parse(src), dialect)


def min_length(alt: Alt) -> int:
    """The fewest characters any match of ``alt`` spans."""

    def one(item: Any) -> int:
        if isinstance(item, Lit | Cls):
            return 1
        if isinstance(item, Anchor):
            return 0
        if isinstance(item, Rep):
            return item.lo * one(item.node)
        return min_length(item.alt) if item.kind in ("cap", "non", "exact") else 0

    return min(sum(one(i) for i in seq) for seq in alt)
