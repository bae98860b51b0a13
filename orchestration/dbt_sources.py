"""dbt source definitions rendered from the dataset registry, so the registry and dbt never drift.

One file per system: ``dbt_project/models/staging/<system>/_<system>__sources.yml``, source ``<system>`` on
schema ``landing_<system>``, one table per dataset with its columns, freshness (``loaded_at_field`` and the
registry's warn/error hours), owner, and the Dagster asset key ``["landing", <system>, <dataset>]`` of the
ingest asset that writes it (dagster-dbt reads ``meta.dagster.asset_key``).

Regenerate after editing ``orchestration/datasets.py``: ``make generate`` (:mod:`orchestration.codegen`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestration.datasets import DATASETS, Dataset, Field
from orchestration.ingest.landing import extra_column

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"
CONTRACTS_MACRO = DBT_PROJECT_DIR / "macros" / "landing_contracts.sql"

HEADER = (
    "# Generated from orchestration/datasets.py by `make generate` (orchestration/codegen.py): do not edit by hand.\n"
)

SYSTEM_DESCRIPTIONS: dict[str, str] = {
    "iam": "Identity and access: credential reports, audit and sign-in logs, the identity / AI system "
    "inventory and the secrets inventory.",
    "usage": "AI usage and its cost: LLM gateway spend logs and vendor usage reports.",
    "ai": "AI tools paid for outside a gateway (each optional): GitHub Copilot usage and seats, Anthropic usage "
    "and cost reports, Claude Code analytics, OpenAI costs, Bedrock invocation logs, Cursor usage.",
    "policy": "Policy decisions (OPA decision logs) about identities using AI systems.",
    "billing": "Billed cost: FOCUS cost and usage data and SaaS seat / licence exports.",
    "delivery": "Software delivery: DORA Four Keys changes, deployments, incidents, and work items.",
    "security": "Security incidents (OCSF Incident Finding names).",
    "assumptions": "Assumptions maintained by people: scenario inputs of the Monte Carlo model.",
}

PROVENANCE_DESCRIPTIONS: dict[str, str] = {
    "_source_file": "Provenance: the raw file the row was read from.",
    "_file_sha256": "Provenance: SHA-256 of the raw file's bytes.",
    "_line": "Provenance: position of the record in its file; with `_file_sha256` it identifies the raw record.",
    "_ingested_at": "Provenance: when ingest landed the row (UTC).",
}

EXTRA_DESCRIPTIONS: dict[str, str] = {
    "_extra": "Columns of the file that the contract does not name, as a JSON object (kept, never rejected).",
    "_record": "A JSON record: the whole record as its JSON text (may carry fields beyond the contract); a CSV "
    "row: the columns the contract does not name, as a JSON object (the named ones are the fields).",
}


def systems() -> tuple[str, ...]:
    """Systems in registry order, each once."""
    return tuple(dict.fromkeys(ds.system for ds in DATASETS))


def datasets_of(system: str) -> tuple[Dataset, ...]:
    found = tuple(ds for ds in DATASETS if ds.system == system)
    if not found:
        raise KeyError(f"no dataset of system {system!r}; known: {', '.join(systems())}")
    return found


def sources_path(system: str) -> Path:
    return STAGING_DIR / system / f"_{system}__sources.yml"


def models_path(system: str) -> Path:
    return STAGING_DIR / system / f"_{system}__models.yml"


def staging_model_name(ds: Dataset) -> str:
    return f"stg_{ds.system}__{ds.name}"


def staging_model_path(ds: Dataset) -> Path:
    return STAGING_DIR / ds.system / f"{staging_model_name(ds)}.sql"


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class _Dumper(yaml.SafeDumper):
    """Indents block sequences under their key (the style of dbt's docs and yamllint's default)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _column_description(f: Field) -> str:
    parts = [_sentence(f.description)] if f.description else []
    origin = f"From `{f.source}`" + (f" (or {', '.join(f'`{a}`' for a in f.aliases)})" if f.aliases else "")
    required = {"yes": ", required", "": ""}.get(f.required_text, f", required {f.required_text}")
    parts.append(f"{origin}; {f.type}{required}.")
    if f.allowed:
        parts.append("Allowed: " + ", ".join(f"`{v}`" for v in f.allowed) + ".")
    return " ".join(parts)


def _table_description(ds: Dataset) -> str:
    return " ".join(
        (
            _sentence(ds.title),
            _sentence(ds.description),
            f"Formats: {', '.join(ds.formats)}.",
            f"Natural key: {', '.join(ds.natural_key)}.",
        )
    )


def _table(ds: Dataset) -> dict:
    config: dict = {}
    if ds.freshness_field:
        config["loaded_at_field"] = ds.freshness_field
        config["freshness"] = {
            "warn_after": {"count": ds.freshness_warn_hours, "period": "hour"},
            "error_after": {"count": ds.freshness_error_hours, "period": "hour"},
        }
    config["meta"] = {
        "owner": ds.owner,
        "natural_key": list(ds.natural_key),
        "dagster": {"asset_key": ["landing", ds.system, ds.name]},
    }
    extra = extra_column(ds)
    columns = [{"name": f.name, "description": _column_description(f)} for f in ds.fields]
    columns.append({"name": extra, "description": EXTRA_DESCRIPTIONS[extra]})
    columns.extend({"name": name, "description": desc} for name, desc in PROVENANCE_DESCRIPTIONS.items())
    return {
        "name": ds.name,
        "description": _table_description(ds),
        "config": config,
        "columns": columns,
    }


def render_sources_yml(system: str) -> str:
    """The text of ``_<system>__sources.yml`` for the registry's datasets of ``system``."""
    doc = {
        "version": 2,
        "sources": [
            {
                "name": system,
                "description": SYSTEM_DESCRIPTIONS.get(system, f"Landing tables of system {system}."),
                "schema": f"landing_{system}",
                "tables": [_table(ds) for ds in datasets_of(system)],
            }
        ],
    }
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    return HEADER + body


def _key_never_null(ds: Dataset) -> bool:
    """Every part of the natural key is a required field or a provenance column: never NULL once landed, so
    plain equality joins on the key are exact (the repeats macros match other keys null-safe)."""
    required = {f.name for f in ds.fields if f.required} | {"_source_file", "_file_sha256", "_line"}
    return all(part in required for part in ds.natural_key)


def _contract(ds: Dataset) -> dict:
    return {
        "system": ds.system,
        "name": ds.name,
        "natural_key": list(ds.natural_key),
        "key_never_null": _key_never_null(ds),
        "repeats": ds.repeats,
        "fields": [f.name for f in ds.fields],
        "extra": extra_column(ds),
        "money_fields": [f.name for f in ds.money_fields],
        "currency_field": ds.currency_field,
        "currency": ds.currency,
    }


def render_contracts_macro() -> str:
    """``landing_contracts()``: what dbt needs of the registry (keys, fields, money) as a Jinja list, for the
    macros that collapse repeated events and total money per file."""
    import json

    # JSON is a Jinja literal except for null (Jinja says none); every null here is a bare value after a key
    body = json.dumps([_contract(ds) for ds in DATASETS], indent=2).replace(": null", ": none")
    return (
        "{#- Generated from orchestration/datasets.py by `make generate` (orchestration/codegen.py): do not "
        "edit by hand. -#}\n"
        "{#- landing_contracts(): every landed dataset's natural key, contract fields, extra column and money "
        "fields. -#}\n"
        "{% macro landing_contracts() -%}\n"
        f"{{{{ return({body}) }}}}\n"
        "{%- endmacro %}\n"
    )


def generated_files() -> dict[Path, str]:
    """Every file this generator writes, with its text."""
    files = {sources_path(system): render_sources_yml(system) for system in systems()}
    files[CONTRACTS_MACRO] = render_contracts_macro()
    return files
