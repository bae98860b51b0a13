"""The floor a night is compared with (``make bench``): one DuckDB SQL statement over the LiteLLM files.

It reads every LiteLLM spend log file of ``DIR/raw`` (CSV and JSON lines, gzip or not), keeps each ``request_id``
once, joins the API key to the identity that holds it in the identity inventory, and writes cost (exact decimal),
tokens and requests per day x identity x model to one Parquet file, with DuckDB's memory limit set as the pipeline
sets it. No contract check, no quarantine, no provenance, no gates: the least any tool could do with the largest
dataset of a night, so that ``night / floor`` says what the pipeline's guarantees cost.

Usage: ``python -m tests.bench.floor DIR OUT.parquet`` (prints one JSON line: seconds, rows, input bytes).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

LITELLM = "usage/litellm_spend_logs"
INVENTORY = "iam/identity_inventory"
#: The LiteLLM fields the floor reads, all as text (cast in the statement, as the contract would).
FIELDS = ("request_id", "api_key", "spend", "total_tokens", "startTime", "model")


def files(raw: Path, dataset: str, suffixes: tuple[str, ...]) -> list[str]:
    return sorted(str(p) for p in (raw / dataset).rglob("*") if p.is_file() and p.name.endswith(suffixes))


def floor_sql(raw: Path, out: Path) -> tuple[str, list]:
    """The one statement and its parameters (pure: the file lists are parameters, never spliced into SQL)."""
    csvs = files(raw, LITELLM, (".csv", ".csv.gz"))
    jsonl = files(raw, LITELLM, (".jsonl", ".jsonl.gz", ".ndjson", ".log"))
    inventory = files(raw, INVENTORY, (".csv", ".csv.gz"))
    parts, params = [], []
    if csvs:
        parts.append(
            f"SELECT {', '.join(FIELDS)} FROM read_csv(?, header = true, all_varchar = true, union_by_name = true)"
        )
        params.append(csvs)
    if jsonl:
        cols = "{" + ", ".join(f"'{f}': 'VARCHAR'" for f in FIELDS) + "}"
        parts.append(f"SELECT {', '.join(FIELDS)} FROM read_json(?, format = 'newline_delimited', columns = {cols})")
        params.append(jsonl)
    if not parts:
        raise SystemExit(f"no LiteLLM files under {raw / LITELLM}")
    params.append(inventory)
    sql = f"""
    COPY (
        WITH requests AS ({" UNION ALL ".join(parts)}),
        once AS (
            SELECT * FROM requests
            QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY startTime) = 1
        ),
        keys AS (
            SELECT record_id AS identity_id, unnest(string_split(api_key_refs, ';')) AS key_ref
            FROM read_csv(?, header = true, all_varchar = true)
            WHERE record_type = 'identity' AND api_key_refs IS NOT NULL
        )
        SELECT CAST(left(once.startTime, 10) AS DATE) AS usage_date, keys.identity_id, once.model,
               sum(CAST(once.spend AS DECIMAL(38, 18))) AS cost, sum(CAST(once.total_tokens AS BIGINT)) AS tokens,
               count(*) AS requests
        FROM once LEFT JOIN keys ON keys.key_ref = once.api_key
        GROUP BY ALL
    ) TO '{out}' (FORMAT parquet)
    """
    return sql, params


def run(data_dir: Path, out: Path, memory_limit: str) -> dict:
    import duckdb

    raw = data_dir / "raw"
    sql, params = floor_sql(raw, out)
    size = sum(Path(f).stat().st_size for group in params for f in group)
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(out.parent / "floor.tmp")})
    t0 = time.perf_counter()
    try:
        con.execute(sql, params)
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(out)]).fetchone()[0]
    finally:
        con.close()
    return {"seconds": time.perf_counter() - t0, "rows": rows, "input_bytes": size}


def main() -> int:
    from orchestration.settings import memory_cap_bytes

    data_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    print(json.dumps(run(data_dir, out, f"{memory_cap_bytes() // 10**6}MB")))  # the whole cap
    return 0


if __name__ == "__main__":
    sys.exit(main())
