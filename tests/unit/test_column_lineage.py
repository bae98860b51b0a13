"""Column lineage for the dbt docs: traced through CTEs, joins and `select *`, and written into the site."""

from __future__ import annotations

import json

from orchestration.column_lineage import MARKER, annotate, column_sources

SCHEMA = {
    "db": {
        "staging": {
            "stg_focus": {"billed_cost": "DECIMAL", "ai_system_id": "VARCHAR", "month": "DATE"},
            "stg_systems": {"ai_system_id": "VARCHAR", "owner": "VARCHAR"},
        }
    }
}
SQL = """
with lines as (select * from db.staging.stg_focus),
systems as (select * from db.staging.stg_systems),
joined as (
    select lines.ai_system_id, systems.owner as owner_team, sum(lines.billed_cost) as cost, count(*) as n
    from lines join systems on lines.ai_system_id = systems.ai_system_id
    group by 1, 2
)
select * from joined
"""


def test_columns_trace_through_ctes_joins_and_star():
    out = column_sources(SQL, ["ai_system_id", "owner_team", "cost", "n"], SCHEMA)
    assert out["cost"] == ["staging.stg_focus.billed_cost"]
    assert out["owner_team"] == ["staging.stg_systems.owner"]
    assert out["ai_system_id"] == ["staging.stg_focus.ai_system_id"]
    assert out["n"] == []  # count(*) reads no particular column


def test_annotate_writes_lineage_into_the_manifest_and_a_static_site(tmp_path):
    manifest = {
        "nodes": {
            "model.p.fct": {
                "resource_type": "model",
                "compiled_code": SQL,
                "columns": {"cost": {"name": "cost", "description": "Total cost."}},
            }
        }
    }
    catalog = {
        "nodes": {
            "model.p.fct": {
                "metadata": {"database": "db", "schema": "marts", "name": "fct"},
                "columns": {c: {"type": "X"} for c in ("ai_system_id", "owner_team", "cost", "n")},
            }
        },
        "sources": {
            f"source.p.{t}": {
                "metadata": {"database": "db", "schema": "staging", "name": t},
                "columns": {c: {"type": v} for c, v in cols.items()},
            }
            for t, cols in SCHEMA["db"]["staging"].items()
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    (tmp_path / "index.html").write_text('<script>m="MANIFEST.JSON INLINE DATA";c="CATALOG.JSON INLINE DATA"</script>')
    for _ in range(2):  # idempotent: a second pass replaces, never appends
        annotate(tmp_path)
    cols = json.loads((tmp_path / "manifest.json").read_text())["nodes"]["model.p.fct"]["columns"]
    assert cols["cost"]["description"] == "Total cost." + MARKER + "`staging.stg_focus.billed_cost`"
    assert cols["owner_team"]["meta"]["column_lineage"] == ["staging.stg_systems.owner"]
    assert "n" not in cols  # nothing to say
    site = (tmp_path / "static_index.html").read_text()
    assert "INLINE DATA" not in site and "stg_systems.owner" in site
    assert json.loads((tmp_path / "column_lineage.json").read_text())["_unparsed"] == {}


def test_unparseable_sql_is_reported_not_guessed(tmp_path):
    from orchestration.column_lineage import compute

    manifest = {"nodes": {"model.p.bad": {"resource_type": "model", "compiled_code": "select from where (("}}}
    catalog = {
        "nodes": {
            "model.p.bad": {
                "metadata": {"database": "db", "schema": "m", "name": "bad"},
                "columns": {"x": {"type": "INT"}},
            }
        }
    }
    out = compute(manifest, catalog)
    assert "model.p.bad" in out["_unparsed"] and "model.p.bad" not in out
