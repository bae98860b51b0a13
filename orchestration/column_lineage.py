"""Column-level lineage for the dbt docs site (``make docs``).

dbt's own docs show model-level lineage only. After ``dbt docs generate`` this module traces every column of
every model back to the columns of the relations it reads (sqlglot over the compiled SQL, with the catalog's
column types so ``select *`` expands), then:

- writes ``column_lineage.json`` beside the manifest: ``{model: {column: ["schema.relation.column", ...]}}``;
- adds each column's upstream columns to its description and to ``meta.column_lineage`` in ``manifest.json``,
  so the docs site shows them on every column;
- rewrites ``static_index.html`` (one self-contained file: the site with the manifest and catalog inline), as
  ``dbt docs generate --static`` does, so the site opens without a server.

A model sqlglot cannot parse is listed under ``"_unparsed"`` with the reason rather than guessed at.

Usage: ``python -m orchestration.column_lineage dbt_project/target``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify

DIALECT = "duckdb"
MARKER = "\n\n**Column lineage:** "


def catalog_schema(catalog: dict[str, Any]) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """sqlglot's schema mapping {database: {schema: {table: {column: type}}}} from dbt's catalog."""
    out: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for node in [*catalog.get("nodes", {}).values(), *catalog.get("sources", {}).values()]:
        md = node["metadata"]
        out.setdefault(md["database"], {}).setdefault(md["schema"], {})[md["name"]] = {
            c.lower(): v["type"] for c, v in node["columns"].items()
        }
    return out


def _leaf_name(node) -> str | None:
    source = node.source
    if not isinstance(source, exp.Table):
        return None
    column = node.name.split(".")[-1].strip('"')
    return f"{source.db}.{source.name}.{column}" if source.db else f"{source.name}.{column}"


def column_sources(sql: str, columns: list[str], schema: dict) -> dict[str, list[str]]:
    """For each output column, the upstream relation columns it is computed from (pure: tested)."""
    expr = qualify(
        sqlglot.parse_one(sql, dialect=DIALECT), schema=schema, dialect=DIALECT, validate_qualify_columns=False
    )
    out: dict[str, list[str]] = {}
    for column in columns:
        try:
            root = lineage(column.lower(), expr, schema=schema, dialect=DIALECT)
        except (sqlglot.errors.SqlglotError, KeyError, ValueError):
            out[column] = []
            continue
        out[column] = sorted({name for n in root.walk() if not n.downstream if (name := _leaf_name(n))})
    return out


def compute(manifest: dict[str, Any], catalog: dict[str, Any]) -> dict[str, Any]:
    schema = catalog_schema(catalog)
    result: dict[str, Any] = {"_unparsed": {}}
    for uid, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model" or uid not in catalog.get("nodes", {}):
            continue
        sql = node.get("compiled_code")
        if not sql:
            continue
        columns = list(catalog["nodes"][uid]["columns"])
        try:
            result[uid] = column_sources(sql, columns, schema)
        except sqlglot.errors.SqlglotError as e:
            result["_unparsed"][uid] = str(e).splitlines()[0][:300]
    return result


def annotate(target: Path) -> dict[str, Any]:
    manifest_path, catalog_path = target / "manifest.json", target / "catalog.json"
    manifest = json.loads(manifest_path.read_text())
    catalog = json.loads(catalog_path.read_text())
    lineage_map = compute(manifest, catalog)
    for uid, cols in lineage_map.items():
        if uid.startswith("_"):
            continue
        node_columns = manifest["nodes"][uid].setdefault("columns", {})
        for column, sources in cols.items():
            if not sources:
                continue
            spec = node_columns.setdefault(column, {"name": column, "description": "", "meta": {}, "tags": []})
            text = ", ".join(f"`{s}`" for s in sources)
            spec["description"] = (spec.get("description") or "").split(MARKER)[0] + MARKER + text
            spec.setdefault("meta", {})["column_lineage"] = sources
    manifest_text = json.dumps(manifest)
    manifest_path.write_text(manifest_text)
    (target / "column_lineage.json").write_text(json.dumps(lineage_map, indent=1, sort_keys=True) + "\n")
    index = target / "index.html"
    if index.exists():
        html = index.read_text()
        html = html.replace('"MANIFEST.JSON INLINE DATA"', manifest_text)
        html = html.replace('"CATALOG.JSON INLINE DATA"', catalog_path.read_text())
        (target / "static_index.html").write_text(html)
    return lineage_map


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("target", type=Path, help="dbt target directory holding manifest.json and catalog.json")
    args = p.parse_args(argv)
    result = annotate(args.target)
    models = [k for k in result if not k.startswith("_")]
    traced = sum(1 for k in models for v in result[k].values() if v)
    print(
        f"column lineage: {traced} columns of {len(models)} models traced to their upstream columns "
        f"({len(result['_unparsed'])} models sqlglot could not parse); "
        f"{args.target / 'static_index.html'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
