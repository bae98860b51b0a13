"""What a dataset of the registry is: its contract's field types and the ``Field`` and ``Dataset`` records.

The registry itself, every dataset the pipeline ingests, is :mod:`orchestration.datasets` (which also exports the
names defined here, so callers import both from there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: Exact numbers (amounts, prices, quantities) land as DECIMAL(38, 18): 18 decimal places hold every value real
#: exports carry (FOCUS files ship 12-15 places in ConsumedQuantity and costs), 20 integer digits hold any amount.
#: A value that cannot be held exactly (more places, more integer digits) is quarantined, never rounded.
DECIMAL_PRECISION = 38
DECIMAL_SCALE = 18
DECIMAL_TYPE = f"DECIMAL({DECIMAL_PRECISION}, {DECIMAL_SCALE})"

#: Field types a contract can name, with the DuckDB type the landed column gets.
FIELD_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": DECIMAL_TYPE,
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "boolean": "BOOLEAN",
    "json": "VARCHAR",
    "epoch_ms": "TIMESTAMP",
    "epoch_s": "TIMESTAMP",
}

#: Field types holding a point in time (checked against the as-of day and the dataset's time floor).
TEMPORAL_TYPES: tuple[str, ...] = ("timestamp", "date", "epoch_ms", "epoch_s")

#: Strings that mean "no value" in every dataset (compared after trimming).
NULL_TOKENS: tuple[str, ...] = ("", "NULL", "null", "None")

#: What a repeated natural key means (see ``Dataset.repeats``).
REPEATS = ("events", "latest", "positional")

#: Formats a reader exists for (the reader is chosen by file suffix, ``.gz`` stripped first).
FORMATS = ("csv", "jsonl", "json", "parquet")

#: Where the records of a JSON document sit (``Dataset.json_layout``; ``orchestration.ingest.readers``).
JSON_LAYOUTS = (
    "records",
    "okta_events",
    "openai_pages",
    "anthropic_pages",
    "envelope",
    "secret_list",
    "credential_report",
)


@dataclass(frozen=True)
class Field:
    """One field of a dataset contract."""

    name: str
    """Landing column name (snake_case)."""
    source: str
    """CSV/Parquet header name, or dotted JSON path."""
    type: str = "string"
    required: bool = False
    allowed: tuple[str, ...] = ()
    """Allowed values in canonical casing; matched case-insensitively and landed in canonical casing."""
    aliases: tuple[str, ...] = ()
    """Other header names / JSON paths carrying the same field (vendor versions); the first present wins."""
    description: str = ""
    money: bool = False
    """An amount of money (a ``decimal`` field): ingest totals it per file and currency from the file's own
    text, landed and quarantined (``audit.ingested_money``); money that does not land blocks the release."""
    future: bool = False
    """A temporal field that may legitimately lie after the as-of day (scheduled rotations, billing period
    ends, planned dates); other temporal fields past the end of the as-of day plus the tolerance are
    quarantined."""
    epoch_seconds: bool = False
    """A ``timestamp`` field the export format documents as possibly epoch seconds (AWS CLI v1 JSON); any other
    all-digit value in a timestamp is never taken for an epoch."""
    value_aliases: tuple[tuple[str, str], ...] = ()
    """(value a vendor ships, allowed value it means): spellings real exports carry besides the allowed ones."""
    required_when: tuple[str, tuple[str, ...]] | None = None
    """(field, values): the value is required in records whose ``field`` (an enum of the same dataset) is one of
    ``values`` (an export that folds several record kinds into one shape: OpenAI's usage results by ``object``)."""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if self.money and self.type != "decimal":
            raise ValueError(f"field {self.name}: money must be a decimal field")
        if any(meant not in self.allowed for _, meant in self.value_aliases):
            raise ValueError(f"field {self.name}: a value alias must name an allowed value")
        if (self.future or self.epoch_seconds) and self.type not in TEMPORAL_TYPES:
            raise ValueError(f"field {self.name}: future/epoch_seconds apply to temporal fields only")
        if self.required_when and (self.required or not self.required_when[1]):
            raise ValueError(f"field {self.name}: required_when is for a field not always required, and names values")

    @property
    def required_text(self) -> str:
        """Whether the field is required, in words: ``yes``, ``when `object` is a, b`` or empty."""
        if self.required:
            return "yes"
        if self.required_when:
            on, values = self.required_when
            return f"when `{on}` is " + ", ".join(f"`{v}`" for v in values)
        return ""


@dataclass(frozen=True)
class Dataset:
    """One raw export: landing folder, accepted formats and contract."""

    system: str
    name: str
    title: str
    description: str
    formats: tuple[str, ...]
    fields: tuple[Field, ...]
    natural_key: tuple[str, ...]
    owner: str
    json_layout: str = "records"
    """``records`` (JSON lines or one array), ``okta_events`` (records, or Okta event hook deliveries with the
    events under ``data.events``), ``openai_pages`` and ``anthropic_pages`` (usage API pages: buckets of
    results, each result taking its bucket's start and end), ``envelope`` (an API response object holding the
    records in its ``json_records_key`` array), ``secret_list`` or ``credential_report`` (the
    GetCredentialReport response: a CSV document in ``Content``)."""
    json_records_key: str | None = None
    """The ``envelope`` layout's array of records (``seats`` of a Copilot seats response, ``data`` of a Cursor
    daily usage response)."""
    null_tokens: tuple[str, ...] = NULL_TOKENS
    freshness_field: str | None = None
    """Landed timestamp column that tells how fresh the dataset is (dbt source freshness)."""
    freshness_warn_hours: int = 48
    freshness_error_hours: int = 24 * 7
    currency_field: str | None = None
    """Field holding the currency of the dataset's money fields."""
    currency: str | None = None
    """The currency of the money fields where a row names none (no currency column, or an empty cell), as the
    export's documentation says."""
    time_floor: date = date(2000, 1, 1)
    """Earliest plausible value of any temporal field (the vendor's product did not exist before): an earlier
    value (1970-01-01, the epoch of a zero) is quarantined and never counts for freshness."""
    optional: bool = False
    """A source an organisation may not have (an AI tool it does not use): while no file of it was ever found
    under ``raw/``, it is *not in use* and its ``has_rows`` and ``fresh`` checks pass saying so; once a file
    is there, it is held to them like any other."""
    repeats: str = "events"
    """What a natural key seen more than once means (staging applies it, ``fct_landing_repeats`` reports it):

    - ``events``: an event happened once. Identical copies (overlapping exports) collapse into the first landed;
      copies that differ are quarantined, all of them, for a person to decide;
    - ``latest``: a record a newer export restates (a ticket resolved, an incident closed, a licence period's
      active seats, an OpenAI usage bucket completed later): the copy from the latest file landed counts, the
      older ones are superseded; copies that differ within that one file are quarantined;
    - ``positional``: the key is the position in the file (FOCUS: every line is its own charge); nothing collapses.
    """

    def __post_init__(self) -> None:
        if self.json_layout not in JSON_LAYOUTS:
            raise ValueError(f"{self.key}: json_layout must be one of {', '.join(JSON_LAYOUTS)}")
        if (self.json_layout == "envelope") != bool(self.json_records_key):
            raise ValueError(f"{self.key}: the envelope layout, and only it, names its json_records_key")
        if self.repeats not in REPEATS:
            raise ValueError(f"{self.key}: repeats must be one of {', '.join(REPEATS)}")
        if (self.repeats == "positional") != ("_line" in self.natural_key):
            raise ValueError(f"{self.key}: a natural key with _line is positional, and only such a key is")
        if self.money_fields and not (self.currency_field or self.currency):
            raise ValueError(f"{self.key}: money fields need a currency_field or a currency")
        if self.currency_field:
            self.field(self.currency_field)
        for f in self.fields:
            if f.required_when:
                on, values = f.required_when
                if not set(values) <= set(self.field(on).allowed):
                    raise ValueError(f"{self.key}: {f.name} is required when {on} holds values it does not allow")

    @property
    def money_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.money)

    @property
    def collapses_repeats(self) -> bool:
        """Whether staging sees each natural key once (every dataset but one keyed by position in its file)."""
        return self.repeats != "positional"

    @property
    def key(self) -> str:
        return f"{self.system}/{self.name}"

    @property
    def folder(self) -> str:
        return f"{self.system}/{self.name}"

    @property
    def schema(self) -> str:
        return f"landing_{self.system}"

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def is_json(self) -> bool:
        """Whether records can come as JSON objects (kept whole in ``_record``; CSV rows keep only their unnamed
        columns there). A GetCredentialReport response is JSON around a CSV document: its records are CSV rows
        (``_extra``)."""
        return any(f in ("json", "jsonl") for f in self.formats) and self.json_layout != "credential_report"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.key} has no field {name!r}")
