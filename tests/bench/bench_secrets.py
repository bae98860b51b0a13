"""Secret redaction benchmark (``make bench``): the SQL redaction over typical short strings in DuckDB.

Reported as a ratio against a plain ``SELECT`` of the same strings in the same command, never as a
pass/fail time. The strings are what landed columns hold (ids, emails, model names, ARNs, timestamps,
git SHAs, hashes, short free text), with one value in 10,000 carrying a secret.

Usage: ``python -m tests.bench.bench_secrets [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import time

import duckdb

from orchestration.ingest.secrets import redact_sql, redaction_kinds_sql

# Typical landed values, built in SQL from the row number so the table costs nothing to generate.
_VALUES = """
CASE i % 12
  WHEN 0 THEN 'user' || (i % 5000) || '@example.com'
  WHEN 1 THEN 'chatcmpl-' || md5(i::VARCHAR)[1:24]
  WHEN 2 THEN 'arn:aws:iam::1234567' || lpad((i % 99999)::VARCHAR, 5, '0') || ':user/dev-' || (i % 700)
  WHEN 3 THEN strftime(TIMESTAMP '2026-01-01' + to_seconds(i), '%Y-%m-%dT%H:%M:%SZ')
  WHEN 4 THEN md5(i::VARCHAR) || md5((i + 1)::VARCHAR)
  WHEN 5 THEN sha1(i::VARCHAR)
  WHEN 6 THEN 'gpt-4o-mini-2024-07-18'
  WHEN 7 THEN 'Deploy service ' || (i % 300) || ' to production (#' || i || ')'
  WHEN 8 THEN '00u' || md5(i::VARCHAR)[1:17]
  WHEN 9 THEN (i % 100000)::VARCHAR || '.' || (i % 97)::VARCHAR
  WHEN 10 THEN '{"team": "platform-' || (i % 40) || '", "env": "prod"}'
  ELSE 'User login to Okta'
END
"""
_SECRET = "'note AKIAIOSFODNN7EXAMPLE ' || i"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE t AS SELECT CASE WHEN i % 10000 = 7 THEN {_SECRET} ELSE {_VALUES} END AS v "
        f"FROM range({args.rows}) r(i)"
    )
    timings = {}
    for name, expr in (("plain", "v"), ("redacted", redact_sql("v"))):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TABLE o AS SELECT v, {expr} AS r FROM t")
            best = min(best, time.perf_counter() - t0)
        timings[name] = best
    changed, kinds = con.execute(
        f"SELECT count(*) FILTER (WHERE v IS DISTINCT FROM r), sum(len({redaction_kinds_sql('v', 'r')})) FROM o"
    ).fetchone()
    print(f"rows: {args.rows:,}; values changed: {changed:,}; secrets counted: {kinds:,}")
    print(
        f"plain SELECT: {timings['plain']:.2f} s; with redaction: {timings['redacted']:.2f} s; "
        f"ratio {timings['redacted'] / timings['plain']:.1f}x "
        f"({(timings['redacted'] - timings['plain']) / args.rows * 1e9:.0f} ns per value)"
    )


if __name__ == "__main__":
    main()
