"""Secret detection and redaction for every string that lands, in Python and in DuckDB SQL.

Why: vendors' free-text fields (secret descriptions, tags, display messages, incident titles, ``_extra``) can
carry credentials a person pasted; nothing the pipeline stores, publishes or logs may contain them. Each match
becomes ``[REDACTED:<kind>]``; the marker has no quote and no backslash, and no match ever contains a quote or
a lone backslash, so redacting inside a raw JSON record keeps it valid JSON.

One list of detectors (:func:`rules`, built at first use) drives both implementations. The patterns come from
``detect-secrets`` (its regex plugins' ``denylist``, read at import so the library stays their source),
translated mechanically into the regex subset that Python's ``re`` and DuckDB's RE2 read the same way:

- ``\\d \\w \\s .`` become explicit ASCII classes (RE2's ``\\s`` lacks ``\\v``; Python's are Unicode), ``$``
  becomes end-of-text in both; case-insensitive patterns get both cases spelled out (no engine's own folding);
- a leading lookbehind ``(?:(?<=\\W)|(?<=^))`` becomes a consumed context group kept out of the replacement
  (a JSON escape such as ``\\n`` also counts as the separator, as it is one in raw JSON text);
- a trailing negative lookahead ``(?!C)`` becomes a consumed ``(?:[^C]|$)`` context group, also kept;
- repetitions over RE2's limit are split (``{50,1024}`` -> ``{50,1000}{0,24}``);
- where the library names the secret with a capture group after a keyword (``aws ... key = '<secret>'``),
  only that group is replaced; one-character boundary groups (Artifactory) and the above are context;
  trailing parts that can match empty only widen the context and are dropped; a trailing lazy repetition
  (the JWT signature) is made greedy, so the whole token is replaced, not just its start; unbounded
  repetitions in the leading context become lazy (a match ends at the first secret on the line, so an
  earlier one is not swallowed as context of a later one);
- a quote in the context also matches ``\\"`` (the same text inside a JSON string); inside the replaced
  part, classes lose ``"`` and ``\\``. A pattern with context on both sides runs twice (a one-character
  separator consumed by one match is the next match's context).

JSON stays valid: a replaced part never holds a quote, never starts after a quote that may close a string
(values after a raw quote cannot start with a space or ``, : } ]``), and a partial escape left before a
marker (``\\`` + marker, ``\\u00`` + marker) is dropped at the end.

Project tightening: Telegram bot tokens need a non-digit before the bot id (else the last ten digits of a
12-digit AWS account id in an SNS/SQS ARN followed by a long topic name would match).

Left out of detect-secrets (the test ``test_every_library_plugin_is_in_or_out`` keeps this list honest):

- ``Base64 High Entropy String``, ``Hex High Entropy String``: no denylist; entropy flags every hash and id
  the pipeline keeps and joins on (GitHub ``hashed_token``, LiteLLM SHA-256 key hashes, git SHAs).
- ``Public IP (ipv4)``: client IP addresses in audit logs are data, not secrets.
- ``Artifactory Credentials``: ``AKC...`` / ``AP`` + a hex digit + 8 characters matches random identifiers
  (about 1 in 15,000 GitHub ``_document_id`` and Okta ``transaction.id`` values in the demo organisation).
- ``Secret Keyword``: no denylist (its logic is code); ``secret_assignment`` below covers key=value.
- ``AWS Access Key`` pattern 1 (``AKIA...`` ids, :data:`KEPT_PATTERNS`): access key ids are identifiers the
  spine joins on, not secrets; the same plugin's secret-key pattern stays.

Kinds (in the order they are applied; the earlier kind wins): ``secret_value`` (a ``SecretString`` /
``SecretBinary`` JSON string in raw text), ``private_key`` (a whole PEM / SSH2 / PuTTY key block, to its END
line or to the end of the text or JSON string when cut; JSON-escaped ``\\n`` inside), ``github_token``
(also fine-grained ``github_pat_``), ``anthropic_api_key``, ``openai_api_key``, ``sk_api_key`` (other ``sk-``
keys: LiteLLM virtual keys, OpenAI-compatible gateways), ``google_api_key``, then the library's kinds
(:data:`LIBRARY_KINDS`), ``bearer_token``, ``aws_secret_access_key`` (a 40-character ``[A-Za-z0-9/+]``
token bounded by non-base64 characters, with an upper-case letter, a lower-case letter and a digit, so git
SHAs and padded base64 SHA-256 hashes stay, and not base64 of printable text, so OPA bundle revisions
stay), and ``secret_assignment`` (the value of ``password=``, ``"client_secret": "..."``, ``token: ...``
and the like; a quoted 64-hex value of an ``api_key``/``token`` key is kept: that is how LiteLLM stores
hashed virtual keys).

Speed (SQL): the chain of ~60 ``regexp_replace`` calls runs only on values that pass two gates. Gate 1 is
cheap and a superset: a short regex of the literal strings every match must contain (derived from each
pattern, in order, e.g. ``aws .* (key|pass|pw|token) .* ['"]``), or, for the few patterns with no such
literal (Telegram, Twilio, the 40-character AWS key with an upper-case letter), a length check and then those
patterns. Gate 2 is exact: the patterns with a literal, in alternations of 24 (one alternation of all of them
defeats RE2's DFA: 20x slower on long records).

API: :func:`redact_text` (Python), :func:`redact_sql` and :func:`redaction_kinds_sql` (DuckDB),
:func:`redact_json_keys` and :func:`may_contain_json_keys` (secret values in parsed JSON), :func:`rules`
(the detectors, the kinds and what was left out).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from orchestration.ingest import _regex as rx
from orchestration.ingest._regex_triggers import trigger as regex_trigger

SECRET_VALUE_KEYS: tuple[str, ...] = ("SecretString", "SecretBinary")
"""JSON keys whose value is a secret whatever it looks like (AWS GetSecretValue / BatchGetSecretValue)."""

MARKER_PATTERN = r"\[REDACTED:([a-z0-9_]+)\]"
_MARKER_RE = re.compile(MARKER_PATTERN)

# detect-secrets secret_type -> kind of each denylist pattern, in order (one name per pattern).
LIBRARY_KINDS: dict[str, tuple[str, ...]] = {
    "AWS Access Key": ("aws_access_key_id", "aws_secret_access_key"),
    "Azure Storage Account access key": ("azure_storage_account_key",),
    "Basic Auth Credentials": ("basic_auth_password",),
    "Cloudant Credentials": ("cloudant_credential",) * 4,
    "Discord Bot Token": ("discord_bot_token",),
    "GitHub Token": ("github_token",),
    "GitLab Token": ("gitlab_token",) * 7,
    "IBM Cloud IAM Key": ("ibm_cloud_iam_key",),
    "IBM COS HMAC Credentials": ("ibm_cos_hmac_secret",),
    "JSON Web Token": ("json_web_token",),
    "Mailchimp Access Key": ("mailchimp_api_key",),
    "NPM tokens": ("npm_token",),
    "OpenAI Token": ("openai_api_key",),
    "Private Key": ("private_key",) * 8,
    "PyPI Token": ("pypi_token",) * 2,
    "SendGrid API Key": ("sendgrid_api_key",),
    "Slack Token": ("slack_token", "slack_webhook_url"),
    "SoftLayer Credentials": ("softlayer_api_key",) * 2,
    "Square OAuth Secret": ("square_oauth_secret",),
    "Stripe Access Key": ("stripe_api_key",),
    "Telegram Bot Token": ("telegram_bot_token",),
    "Twilio API Key": ("twilio_api_key",) * 2,
}

LEFT_OUT: dict[str, str] = {
    "Base64 High Entropy String": "entropy: flags every hash and id the pipeline keeps (hashed_token, key hashes)",
    "Hex High Entropy String": "entropy: flags every hash and id the pipeline keeps (git SHAs, key hashes)",
    "Public IP (ipv4)": "client IP addresses in audit logs are data, not secrets",
    "Artifactory Credentials": "its patterns (AKC or AP + a hex digit, then 8+ letters or digits) match random "
    "identifiers: about 1 in 15,000 GitHub _document_ids and Okta transaction ids, "
    "which the spine keys on",
    "Secret Keyword": "no denylist (logic in code); secret_assignment covers key=value",
}

# Single library patterns left out on purpose: (secret_type, pattern index) -> why.
KEPT_PATTERNS: dict[tuple[str, int], str] = {
    ("AWS Access Key", 0): "AWS access key ids (AKIA..., ASIA...) are identifiers, not secrets (AWS logs them in "
    "CloudTrail; the inventory's api_key_refs and the identity spine join on them); the "
    "secret access key beside one is redacted",
}

# (secret_type, pattern index) -> (prefix, suffix) replacing the translated context: project tightening.
_TIGHTEN: dict[tuple[str, int], tuple[str, str]] = {
    ("Telegram Bot Token", 0): (r"^|[^0-9]", ""),
}

# A separator before a word: start, a non-word character, or a JSON escape such as \n in raw JSON text.
_B = r"(?:^|[^A-Za-z0-9_]|(?-i:\\[bfnrt]))"
_BA = r"(?:^|[^A-Za-z0-9]|(?-i:\\[bfnrt]))"
# A JSON string body: any character but quote and backslash, or a complete escape pair.
# A key block's body: that, or a quoted header value ending its line (SSH2 ``Comment: "..."``). A raw quote
# followed by a raw newline cannot start a JSON string, so that never runs past the end of one.
_JBODY = r'(?:[^"\\]|\\[^u]|\\u[0-9A-Fa-f]{4}|"[^"\n\\]*"\r?\n)'
_PEM_BEGIN = r"-{4,5} ?BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)? ?-{4,5}"
_PEM_END = r"-{4,5} ?END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)? ?-{4,5}"
_PUTTY = r"PuTTY-User-Key-File-[0-9]+:"
_PUTTY_END = r"Private-MAC: [0-9A-Fa-f]+"
# Keys whose value is a secret. The first list may carry a prefix word (db_password, aws_secret); bare
# ``token`` may not (``hashed_token`` is a hash the pipeline keeps).
_WORDS = r"(?:[A-Za-z0-9]{1,30}[_-]){0,3}"
_KEYS_PLAIN = (
    rf"(?:{_WORDS}(?:password|passwd|secret|client[_-]?secret|secret[_-]?key|private[_-]?key|"
    r"secret[_-]?access[_-]?key)|(?:access|refresh|auth|id)[_-]?token)"
)
_KEYS_HASHED = rf"(?:{_WORDS}(?:api[_-]?key|apikey)|token)"
_KEYS = rf"(?:{_KEYS_PLAIN}|{_KEYS_HASHED})"
# Values. A marker from an earlier kind starts with "[" and is left alone, so each secret is counted once. A
# value after a raw quote never starts with a space or , : } ] : in JSON that quote may close a string
# (``"...password=", "next": 1``) and only structure follows it, never a value.
_VAL_DQ = r'(?:[^"\\[\s,:}\]]|\\[^"])(?:[^"\\]|\\[^"])*'
_VAL_SQ = r"""[^'"\\\n[][^'"\\\n]*"""
_VAL_U = r"""[^\s"'\\,;&<>()\[\]{}]+"""
_HEX64_EXEMPT = (
    r'(?:[0-9a-f]{1,63}|[0-9a-f]{65,}|[0-9a-f]+(?:[^0-9a-f"\\]|\\[^"])(?:[^"\\]|\\[^"])*'
    r'|(?:[^0-9a-f"\\[\s,:}\]]|\\[^"])(?:[^"\\]|\\[^"])*)'
)

# (kind, prefix, secret, suffix, case_insensitive), in application order before the library's patterns ...
_EXTRAS_FIRST: tuple[tuple[str, str, str, str, bool], ...] = (
    ("secret_value", r'"(?:SecretString|SecretBinary)"\s*:\s*"', r'(?:[^"\\]|\\[\s\S])+', "", False),
    # in JSON inside a JSON string: the inner string's characters are escaped once more
    (
        "secret_value",
        r'\\"(?:SecretString|SecretBinary)\\"\s*:\s*\\"',
        r'(?:[^"\\]|\\\\\\"|\\\\\\\\|\\\\[^"\\]|\\[^"\\])+',
        "",
        False,
    ),
    ("private_key", "", rf"{_PEM_BEGIN}{_JBODY}*?(?:{_PEM_END}|$)|{_PEM_BEGIN}{_JBODY}*", "", False),
    ("private_key", "", rf"{_PUTTY}{_JBODY}*?(?:{_PUTTY_END}|$)|{_PUTTY}{_JBODY}*", "", False),
    ("github_token", "", r"github_pat_[A-Za-z0-9_]{22,}", "", False),
    ("anthropic_api_key", _BA, r"sk-ant-[A-Za-z0-9_-]{20,}", "", False),
    (
        "openai_api_key",
        _BA,
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]*",
        "",
        False,
    ),
    ("sk_api_key", _BA, r"sk-[A-Za-z0-9_-]{20,}", "", False),
    ("google_api_key", "", r"AIza[0-9A-Za-z_-]{35}", "", False),
)
# ... and after them.
_EXTRAS_LAST: tuple[tuple[str, str, str, str, bool], ...] = (
    ("bearer_token", rf"{_B}bearer\s+", r"[A-Za-z0-9._~+/-]{20,}=*", "", True),
    ("secret_assignment", rf"""{_B}{_KEYS_HASHED}(?:\\?"|')?\s*[:=]\s*\\?\"""", _HEX64_EXEMPT, r'\\?"', True),
    ("secret_assignment", rf"""{_B}{_KEYS_PLAIN}(?:\\?"|')?\s*[:=]\s*\\?\"""", _VAL_DQ, "", True),
    ("secret_assignment", rf"""{_B}{_KEYS}(?:\\?"|')?\s*[:=]\s*'""", _VAL_SQ, "", True),
    ("secret_assignment", rf"{_B}{_KEYS}'?\s*(?:=\s*|:\s+)", _VAL_U, "", True),
)

AWS_SECRET_KIND = "aws_secret_access_key"
# The 40-character token check runs on a tokenisation: JSON escapes, base64 runs with their padding, the rest.
_TOKEN_PATTERN = r"\\u[0-9A-Fa-f]{4}|\\(?s:.)|[A-Za-z0-9/+]+=*|[^A-Za-z0-9/+\\]+|\\"
_AWS40_CANDIDATE = r"(?:^|[^A-Za-z0-9/+]|\\[A-Za-z0-9/+=]|\\u[0-9A-Fa-f]{4})[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+=]|$)"
_TOKEN_RE = re.compile(_TOKEN_PATTERN)
_AWS40_CANDIDATE_RE2 = rx.translate(_AWS40_CANDIDATE, "re2")
_AWS40_CANDIDATE_PY = re.compile(rx.translate(_AWS40_CANDIDATE, "py"))
_AWS40_RE = re.compile(r"[A-Za-z0-9/+]{40}")

# After all replacements: a marker right after an escaping backslash (or inside \uXXXX) would break JSON;
# the partial escape is dropped. The backslashes before it are counted in pairs, so ``\\`` stays.
_FIXUP_PATTERN = r"((?:^|[^\\])(?:\\\\)*)\\(?:u[0-9A-Fa-f]{0,3})?(\[REDACTED:)"


_MIN_TRIGGER = 3  # fewer required literal characters are too common to gate anything


@dataclass(frozen=True)
class Detector:
    """One pattern: ``(prefix)(secret)(suffix)``; the secret becomes ``[REDACTED:<kind>]``."""

    kind: str
    source: str
    python: re.Pattern[str]
    re2: str
    re2_match: str
    twice: bool
    trigger: str | None
    """A cheap RE2 regex every match satisfies (None: the pattern is its own gate)."""
    literals: frozenset[str]
    """Strings one of which every match holds (lower-case when ``fold``; empty: none known)."""
    fold: bool
    min_length: int
    parts: rx.Parts
    """The pattern's tree (what the regexes above are written from)."""

    @property
    def marker(self) -> str:
        return f"[REDACTED:{self.kind}]"

    def may_match(self, text: str, lowered: str) -> bool:
        """False when the pattern cannot match: too short, or none of its literals is there."""
        if len(text) < self.min_length:
            return False
        haystack = lowered if self.fold else text
        return not self.literals or any(lit in haystack for lit in self.literals)

    def apply(self, text: str) -> str:
        for _ in range(2 if self.twice else 1):
            text = self.python.sub(rf"\g<1>{self.marker}\g<3>", text)
        return text

    def sql(self, expr: str) -> str:
        replacement = _lit(f"\\1{self.marker}\\3")
        for _ in range(2 if self.twice else 1):
            expr = f"regexp_replace({expr}, {_lit(self.re2)}, {replacement}, 'g')"
        return expr


def _detector(kind: str, source: str, parts: rx.Parts, fold: bool) -> Detector:
    twice = parts.prefix != ((),) and parts.suffix != ((),)
    min_length = sum(map(rx.min_length, (parts.prefix, parts.secret, parts.suffix)))
    trigger, literals = regex_trigger(parts, fold, _MIN_TRIGGER) or (None, frozenset())
    return Detector(
        kind,
        source,
        re.compile(rx.assemble(parts, "py")),
        rx.assemble(parts, "re2"),
        rx.assemble_match(parts, "re2"),
        twice,
        trigger,
        literals,
        fold,
        min_length,
        parts,
    )


def _extra(kind: str, prefix: str, secret: str, suffix: str, nocase: bool) -> Detector:
    parts = rx.Parts(rx.parse(prefix), rx.parse(secret), rx.parse(suffix))
    if nocase:
        parts = rx.fold_case(parts)
    return _detector(kind, "project", parts, nocase)


def _library() -> tuple[list[Detector], dict[str, str]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    detectors: list[Detector] = []
    left_out: dict[str, str] = {}
    for secret_type, plugin in get_mapping_from_secret_type_to_class().items():
        if secret_type in LEFT_OUT:
            left_out[secret_type] = LEFT_OUT[secret_type]
            continue
        kinds = LIBRARY_KINDS.get(secret_type)
        denylist = getattr(plugin, "denylist", ())
        if kinds is None or len(kinds) != len(denylist):
            left_out[secret_type] = "not reviewed for this detect-secrets version"
            continue
        for i, (kind, pattern) in enumerate(zip(kinds, denylist, strict=True)):
            if (secret_type, i) in KEPT_PATTERNS:
                left_out[f"{secret_type} #{i + 1}"] = KEPT_PATTERNS[secret_type, i]
                continue
            try:
                parts = rx.split(rx.parse(pattern.pattern, verbose=bool(pattern.flags & re.VERBOSE)))
                if pattern.flags & re.IGNORECASE:
                    parts = rx.fold_case(parts)
                parts = rx.json_safe(parts)
                if (secret_type, i) in _TIGHTEN:
                    pre, suf = _TIGHTEN[secret_type, i]
                    parts = rx.Parts(rx.parse(pre), parts.secret, rx.parse(suf))
            except rx.Untranslatable as exc:
                left_out[f"{secret_type} #{i + 1}"] = f"untranslatable for RE2: {exc}"
                continue
            fold = bool(pattern.flags & re.IGNORECASE)
            detectors.append(_detector(kind, f"detect-secrets: {secret_type} #{i + 1}", parts, fold))
    return detectors, left_out


_AWS40_MIN_LENGTH = 40
# The 40-character candidate with an upper-case letter, which every qualifying token has and git SHAs lack
# (40 alternatives, one per place of the first upper-case letter): a cheap gate for it.
_AWS40_UPPER = (
    r"(?:^|[^A-Za-z0-9/+]|\\[A-Za-z0-9/+=]|\\u[0-9A-Fa-f]{4})(?:"
    + "|".join(f"[a-z0-9/+]{{{k}}}[A-Z][A-Za-z0-9/+]{{{39 - k}}}" for k in range(40))
    + r")(?:[^A-Za-z0-9/+=]|$)"
)
_FIXUP_PY = re.compile(_FIXUP_PATTERN)


@dataclass(frozen=True)
class Rules:
    """Everything built from the library at first use (importing detect-secrets and compiling ~60 patterns
    takes most of a second; modules that merely import this one should not pay it)."""

    detectors: tuple[Detector, ...]
    """Applied in order, before the 40-character AWS key check."""
    assignments: tuple[Detector, ...]
    """Applied after it (key=value: a value already named by a kind above stays that kind)."""
    excluded: dict[str, str]
    """detect-secrets plugins (or single patterns) left out, with the reason."""
    kinds: tuple[str, ...]
    """Every kind a marker can name, in the order they are applied."""
    min_length: int
    """Shorter text holds no secret."""
    triggers_re2: str
    """Gate 1: some detector's literal trigger (one alternation: cheap, rules out most text) ..."""
    matches_re2: tuple[str, ...]
    """... and some detector matches exactly, in groups of :data:`_MATCH_GROUP` alternatives: RE2's DFA gives
    up on one alternation of all of them (~400 µs per record of a GitHub audit log instead of ~20 µs)."""
    self_gated_min: int
    self_gated_re2: str
    """... or, for text this long, a detector without a trigger (or the AWS candidate) matches."""


#: Detectors per exact-match alternation in the SQL gate (measured on 150k LiteLLM rows of ~620 characters: groups
#: of 2: 10 s, 8: 2.9 s, 16: 1.8 s, 24: 1.7 s, all 56 in one: 3.6 s, and far worse on longer text).
_MATCH_GROUP = 24


@functools.cache
def rules() -> Rules:
    library, excluded = _library()
    detectors = (*(_extra(*e) for e in _EXTRAS_FIRST), *library, *(_extra(*e) for e in _EXTRAS_LAST[:1]))
    assignments = tuple(_extra(*e) for e in _EXTRAS_LAST[1:])
    every = (*detectors, *assignments)
    self_gated = [d for d in every if not d.trigger]
    gated = [d for d in every if d.trigger]
    return Rules(
        detectors=detectors,
        assignments=assignments,
        excluded=excluded,
        kinds=tuple(dict.fromkeys([*(d.kind for d in detectors), AWS_SECRET_KIND, *(d.kind for d in assignments)])),
        min_length=min(d.min_length for d in every),
        triggers_re2="|".join(dict.fromkeys(d.trigger for d in every if d.trigger)),
        matches_re2=tuple(
            "|".join(d.re2_match for d in gated[i : i + _MATCH_GROUP]) for i in range(0, len(gated), _MATCH_GROUP)
        ),
        self_gated_min=min([_AWS40_MIN_LENGTH, *(d.min_length for d in self_gated)]),
        self_gated_re2="|".join([*(d.re2_match for d in self_gated), rx.translate(_AWS40_UPPER, "re2")]),
    )


def _aws40_token(token: str) -> str:
    if (
        _AWS40_RE.fullmatch(token)
        and re.search("[A-Z]", token)
        and re.search("[a-z]", token)
        and re.search("[0-9]", token)
        and not _encodes_text(token)
    ):
        return f"[REDACTED:{AWS_SECRET_KIND}]"
    return token


def _encodes_text(token: str) -> bool:
    """Whether the 40-character token is base64 of printable ASCII (an OPA bundle revision is base64 of a JSON
    list): a secret access key is 30 random bytes, printable by chance about once in 10^13."""
    import base64
    import binascii

    try:
        decoded = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return False
    return all(32 <= b < 127 for b in decoded)


def _apply(detectors: tuple[Detector, ...], text: str) -> str:
    """Each detector in turn, skipping those that cannot match the text as it is by then (the result is the
    SQL chain's, which runs them all)."""
    lowered = text.lower()
    for det in detectors:
        if det.may_match(text, lowered):
            new = det.apply(text)
            if new != text:
                text, lowered = new, new.lower()
    return text


def _markers(text: str) -> Counter[str]:
    return Counter(_MARKER_RE.findall(text))


def redact_text(text: str | None) -> tuple[str | None, Counter[str]]:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``, and how many of each kind were new.

    Counts are markers in the result minus markers already in ``text``, exactly as
    :func:`redaction_kinds_sql` counts them, so a second pass over redacted text counts nothing.
    """
    r = rules()
    if text is None or len(text) < r.min_length:
        return text, Counter()
    out = _apply(r.detectors, text)
    if _AWS40_CANDIDATE_PY.search(out):
        out = "".join(_aws40_token(t) for t in _TOKEN_RE.findall(out))
    out = _apply(r.assignments, out)
    if out != text:
        out = _FIXUP_PY.sub(r"\g<1>\g<2>", out)
    return out, _markers(out) - _markers(text)


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def redact_sql(expr: str) -> str:
    """A DuckDB expression: the VARCHAR ``expr`` with every secret replaced by ``[REDACTED:<kind>]``.

    Two gates (see the module docstring; the second is one combined regex of every pattern) decide whether
    anything can match; only those values go through the per-kind ``regexp_replace`` chain. NULL stays NULL.
    ``expr`` appears several times: pass a column or a cheap expression.
    """
    r = rules()
    chain = expr
    for det in r.detectors:
        chain = det.sql(chain)
    qualifies = (
        "regexp_full_match(t, '[A-Za-z0-9/+]{40}') AND regexp_matches(t, '[A-Z]') "
        "AND regexp_matches(t, '[a-z]') AND regexp_matches(t, '[0-9]') "
        "AND NOT coalesce(regexp_full_match(TRY(decode(from_base64(t))), '[\x20-\x7e]*'), false)"
    )
    chain = (
        f"list_transform([{chain}], lambda s: CASE WHEN regexp_matches(s, {_lit(_AWS40_CANDIDATE_RE2)}) "
        f"THEN array_to_string(list_transform(regexp_extract_all(s, {_lit(_TOKEN_PATTERN)}), lambda t: "
        f"CASE WHEN {qualifies} THEN '[REDACTED:{AWS_SECRET_KIND}]' ELSE t END), '') ELSE s END)[1]"
    )
    for det in r.assignments:
        chain = det.sql(chain)
    chain = f"regexp_replace({chain}, {_lit(_FIXUP_PATTERN)}, '\\1\\2', 'g')"
    # CASE evaluates each WHEN only on the rows the earlier ones left: a short-circuit DuckDB keeps (NOT, and
    # AND/OR outside a condition, evaluate every operand on every row).
    return f"(CASE WHEN {may_hold_secret_sql(expr)} THEN {chain} ELSE {expr} END)"


def may_hold_secret_sql(expr: str) -> str:
    """A DuckDB boolean: whether :func:`redact_sql` could change the VARCHAR ``expr`` (false for NULL): some
    detector's trigger fired and some detector with a trigger matches exactly, or a detector without a trigger
    does. The gates alone, without the replacement chain: a small expression to find the rare rows worth
    redacting (the full chain is ~26 kB of SQL, and binding it costs tens of milliseconds per use). DuckDB
    evaluates each WHEN of a CASE only on the rows the earlier ones left (``AND`` and ``OR`` outside a condition
    evaluate every operand on every row): the exact matches run only on text a trigger let through, one group
    after another (28% less time than one condition of ``OR``s on OPA decision logs, half of whose records
    name an `api` key)."""
    r = rules()
    matches = "".join(f"WHEN regexp_matches({expr}, {_lit(m)}) THEN true " for m in r.matches_re2)
    return (
        f"(CASE WHEN {expr} IS NULL OR strlen({expr}) < {r.min_length} THEN false "
        f"WHEN strlen({expr}) >= {r.self_gated_min} AND regexp_matches({expr}, {_lit(r.self_gated_re2)}) "
        f"THEN true WHEN NOT regexp_matches({expr}, {_lit(r.triggers_re2)}) THEN false {matches}ELSE false END)"
    )


def redaction_kinds_sql(original: str, redacted: str) -> str:
    """A DuckDB ``VARCHAR[]`` expression: one kind per secret redacted from ``original`` into ``redacted``.

    Markers in ``redacted`` minus markers already in ``original`` (empty when the value did not change), so
    the caller aggregates per dataset and column in SQL, e.g.::

        SELECT kind, count(*) FROM (SELECT unnest(<kinds>) AS kind FROM t) GROUP BY kind
        -- values changed: count(*) FILTER (WHERE original IS DISTINCT FROM redacted)
    """
    pat = _lit(MARKER_PATTERN)
    return (
        f"(CASE WHEN {original} IS NOT DISTINCT FROM {redacted} THEN []::VARCHAR[] ELSE "
        f"list_transform([[regexp_extract_all(coalesce({redacted}, ''), {pat}, 1), "
        f"regexp_extract_all(coalesce({original}, ''), {pat}, 1)]], lambda p: flatten(list_transform("
        f"list_distinct(p[1]), lambda k: list_resize([]::VARCHAR[], greatest(len(list_filter(p[1], "
        f"lambda x: x = k)) - len(list_filter(p[2], lambda x: x = k)), 0), k))))[1] END)"
    )


#: What :func:`redact_json_keys` puts in place of a secret value.
SECRET_VALUE_MARKER = "[REDACTED:secret_value]"


def may_contain_json_keys(raw: str | bytes, keys: Iterable[str] = SECRET_VALUE_KEYS) -> bool:
    """Cheap test on a record's raw text: False means :func:`redact_json_keys` would change nothing.

    Conservative: a ``\\u`` escape could spell a key, so any record with one is walked too.
    """
    if isinstance(raw, bytes):
        return any(k.encode() in raw for k in keys) or b"\\u" in raw
    return any(k in raw for k in keys) or "\\u" in raw


def redact_json_keys(obj: Any, keys: Iterable[str] = SECRET_VALUE_KEYS) -> Any:
    """A copy of the parsed JSON ``obj`` with the value of every key in ``keys``, at any depth (objects in
    lists in objects ...), replaced by ``[REDACTED:secret_value]``. Iterative: depth is no limit."""
    wanted = frozenset(keys)
    marker = SECRET_VALUE_MARKER

    def shell(node: Any) -> Any:
        return {} if isinstance(node, dict) else [] if isinstance(node, list) else node

    root = shell(obj)
    stack = [(obj, root)] if isinstance(obj, dict | list) else []
    while stack:
        src, dst = stack.pop()
        items = src.items() if isinstance(src, dict) else enumerate(src)
        for k, v in items:
            if isinstance(src, dict) and k in wanted:
                new: Any = marker
            else:
                new = shell(v)
                if isinstance(v, dict | list):
                    stack.append((v, new))
            if isinstance(dst, dict):
                dst[k] = new
            else:
                dst.append(new)
    return root
