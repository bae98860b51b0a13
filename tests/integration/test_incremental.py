"""Incremental builds equal full refreshes (issue 11, item 3).

The published demo (night 1: every model built in full) gets a night of new files: LiteLLM requests with new
ids and identical copies of requests already landed (collapsed: the kept copy stays), OpenAI usage buckets
restated by a later export (the ``latest`` rule moves the kept copy to the new file) and a FOCUS file restated
at its own path (a restatement rebuilds its staging model). Night 2 builds incrementally (its state says so:
the test fails when the increment was not taken), then ``roi-ledger run --full-refresh`` rebuilds everything
from the same landing; every staging, intermediate and mart table holds the same rows both ways (money and
text exactly, floats to 1e-9 relative).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_OK, main
from tests.conftest import AS_OF
from tests.tools.compare_builds import differences


def _state(con: duckdb.DuckDBPyConnection, model: str) -> dict:
    row = con.execute(f"SELECT batch, previous_batch, rebuilt, consumed FROM increments.{model}__state").fetchone()
    return {"batch": row[0], "previous_batch": row[1], "rebuilt": row[2], "consumed": json.loads(row[3])}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _new_litellm_file(raw: Path) -> int:
    """Three new requests (new ids) and two identical copies of requests landed before: returns new rows."""
    source = sorted((raw / "usage" / "litellm_spend_logs").glob("*.csv"))[-1]
    reader = csv.reader(io.StringIO(source.read_text(encoding="utf-8")))
    header = next(reader)
    rows = [r for _, r in zip(range(5), reader, strict=False)]
    fresh = [[f"inc-{r[0]}", *r[1:]] for r in rows[:3]]
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows([header, *fresh, *rows[3:5]])
    (raw / "usage" / "litellm_spend_logs" / "litellm_spend_logs_extra.csv").write_text(out.getvalue(), encoding="utf-8")
    return len(fresh)


def _restated_openai_buckets(raw: Path) -> None:
    """A later export repeating one day's buckets with other token counts (``latest``: its copies count)."""
    source = sorted((raw / "usage" / "openai_usage").glob("openai_usage_completions_*.json"))[-1]
    page = json.loads(source.read_text(encoding="utf-8"))
    bucket = next(b for b in page["data"] if b["results"])
    for result in bucket["results"]:
        result["input_tokens"] += 1000
        result["output_tokens"] += 7
    page["data"] = [bucket]
    (raw / "usage" / "openai_usage" / "openai_usage_completions_zz_restated.json").write_text(
        json.dumps(page), encoding="utf-8"
    )


def _restate_focus_file(raw: Path) -> None:
    """The same FOCUS file again at its own path, its last charge line dropped (a vendor restatement)."""
    path = sorted((raw / "billing" / "focus").glob("*.csv"))[-1]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


@pytest.fixture(scope="module")
def incremental_night(published_demo, module_tmp) -> tuple[Path, Path, int]:
    shared, rc, _ = published_demo
    assert rc == EXIT_OK
    data_dir = module_tmp("incremental") / "data"
    shutil.copytree(shared, data_dir)
    raw = data_dir / "raw"
    new_rows = _new_litellm_file(raw)
    _restated_openai_buckets(raw)
    _restate_focus_file(raw)
    assert main(["run", "--data-dir", str(data_dir), "--as-of", AS_OF.isoformat()]) == EXIT_OK
    snapshot = data_dir.parent / "incremental.duckdb"
    shutil.copyfile(data_dir / "warehouse" / "roi.duckdb", snapshot)
    return data_dir, snapshot, new_rows


def test_a_night_of_new_files_builds_incrementally(incremental_night):
    """Night 2 took the increment where its files allow it (the equality below is not between two full builds)
    and rebuilt where they do not (a restated FOCUS file)."""
    _, snapshot, new_rows = incremental_night
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        litellm = _state(con, "stg_usage__litellm_spend_logs")
        assert not litellm["rebuilt"] and litellm["previous_batch"] is not None
        # the new file's 5 lines: 3 new keys, 2 keys landed before (both of their copies are in scope)
        assert _count(con, "increments.stg_usage__litellm_spend_logs__scope") == new_rows + 2 * 2
        assert not _state(con, "stg_usage__openai_usage")["rebuilt"]
        attributed = _state(con, "int_usage__attributed")
        assert not attributed["rebuilt"]
        assert attributed["consumed"]["usage/litellm_spend_logs"] == litellm["batch"]
        assert _count(con, "increments.int_usage__attributed__changes") > 0
        assert not _state(con, "fct_ai_usage")["rebuilt"]
        # observed identity keys: the files of the LiteLLM and OpenAI scopes again (the new LiteLLM file among
        # them); no Okta or GitHub file is computed again
        assert not _state(con, "int_identity__activity_keys")["rebuilt"]
        files = dict(
            con.execute(
                "SELECT source_dataset, count(*) FROM increments.int_identity__activity_keys__scope GROUP BY ALL"
            ).fetchall()
        )
        assert set(files) == {"usage/litellm_spend_logs", "usage/openai_usage"}
        assert (
            _count(
                con,
                "increments.int_identity__activity_keys__scope WHERE _source_file LIKE '%litellm_spend_logs_extra.csv'",
            )
            == 1
        )
        assert not _state(con, "int_identity__iam_keys")["rebuilt"]
        assert _count(con, "increments.int_identity__iam_keys__scope") == 0
        assert _state(con, "stg_billing__focus")["rebuilt"], "a restated file rebuilds its staging model"
        # the identical copies are listed beside the copies they collapse into, by an incremental build
        assert not _state(con, "fct_landing_repeats")["rebuilt"]
        assert (
            _count(
                con,
                "marts.fct_landing_repeats WHERE _source_file LIKE '%litellm_spend_logs_extra.csv' "
                "AND copy_status = 'collapsed'",
            )
            == 2
        )
        # the new requests are in the marts, the identical copies counted once
        assert _count(con, "staging.stg_usage__litellm_spend_logs WHERE request_id LIKE 'inc-%'") == new_rows
    finally:
        con.close()


def test_the_release_file_is_patched_and_equals_a_whole_copy(incremental_night, tmp_path):
    """Night 2's release file started as night 1's and patched the incremental tables (kept the others it
    could): it holds exactly what a release file written whole from the same build database holds."""
    from orchestration import publish, publish_delta
    from orchestration.dbt import dbt_project
    from orchestration.settings import Paths

    data_dir, _, _ = incremental_night
    paths = Paths(data_dir)
    pub = duckdb.connect(str(paths.published_db), read_only=True)
    try:
        written = dict(
            pub.execute("SELECT table_schema || '.' || table_name, written FROM audit.published_increments").fetchall()
        )
    finally:
        pub.close()
    assert written["staging.stg_usage__litellm_spend_logs"] == "patched"
    assert written["marts.fct_ai_usage"] == "patched"
    assert written["staging.stg_billing__focus"] == "copied"  # it rebuilt
    # started as a copy of the last release, it is still read-only and readable by BI accounts, as a first is
    assert stat.S_IMODE(paths.published_db.stat().st_mode) == publish.PUBLISHED_MODE
    build = duckdb.connect(str(paths.build_db), read_only=True)
    try:
        rec = publish.last_release(build)
        recorded = publish_delta.recorded_published_stat(build)
    finally:
        build.close()
    # its stat, recorded once it was in place, vouches for it: the next night reads no byte of it to trust it
    assert recorded == publish_delta.PublishedStat(publish_delta.file_stat(paths.published_db), rec["published_sha256"])
    whole = tmp_path / "whole.duckdb"
    manifest = dbt_project().manifest_path
    publish._build_published_file(paths, whole, rec, publish.column_policies(manifest), publish.pseudonym_key(paths))
    assert differences(paths.published_db, whole, schemas=("staging", "marts")) == {}


def test_incremental_and_full_refresh_builds_hold_the_same_rows(incremental_night):
    data_dir, snapshot, _ = incremental_night
    assert main(["run", "--data-dir", str(data_dir), "--as-of", AS_OF.isoformat(), "--full-refresh"]) == EXIT_OK
    build = data_dir / "warehouse" / "roi.duckdb"
    con = duckdb.connect(str(build), read_only=True)
    try:
        assert _state(con, "stg_usage__litellm_spend_logs")["rebuilt"]
        assert _state(con, "fct_ai_usage")["rebuilt"]
    finally:
        con.close()
    assert differences(snapshot, build) == {}


def test_the_equality_check_sees_a_changed_row(incremental_night, tmp_path):
    """The comparison above is not vacuous: one cent more on one usage row is a difference."""
    _, snapshot, _ = incremental_night
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(snapshot, changed)
    con = duckdb.connect(str(changed))
    con.execute(
        "UPDATE marts.fct_ai_usage SET cost_amount = cost_amount + 0.01 "
        "WHERE usage_key = (SELECT min(usage_key) FROM marts.fct_ai_usage)"
    )
    con.close()
    assert list(differences(snapshot, changed)) == ['"marts"."fct_ai_usage"']


def _marts_args(data_dir: Path) -> dict:
    from orchestration.settings import Paths

    return json.loads((Paths(data_dir).dbt_target / "marts" / "run_results.json").read_text())["args"]


def test_models_built_by_other_code_are_named(incremental_night, tmp_path):
    """What decides a full refresh: the incremental models whose state another code version wrote."""
    from orchestration.dbt import built_by_other_code

    _, snapshot, _ = incremental_night
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        recorded = con.execute("SELECT DISTINCT code_version FROM increments.fct_ai_usage__state").fetchall()
    finally:
        con.close()
    assert len(recorded) == 1 and recorded[0][0]
    assert built_by_other_code(snapshot, recorded[0][0]) == []
    stale = built_by_other_code(snapshot, "other code")
    assert {"stg_usage__litellm_spend_logs", "int_usage__attributed", "fct_ai_usage"} <= set(stale)
    assert stale == sorted(stale)
    assert built_by_other_code(tmp_path / "none.duckdb", "other code") == []  # a first night: nothing built yet


def test_a_night_of_new_code_rebuilds_with_one_full_refresh(incremental_night, module_tmp, monkeypatch):
    """New code (another code checksum) rebuilds every incremental model; the night tells dbt so
    (``--full-refresh``: CREATE TABLE AS) instead of deleting and inserting every row through each model's
    scope. Night 2 above, of the same code, built incrementally (its states say so)."""
    from orchestration import dbt as roi_dbt

    data_dir = module_tmp("new-code") / "data"
    shutil.copytree(incremental_night[0], data_dir)
    build = data_dir / "warehouse" / "roi.duckdb"
    assert roi_dbt.built_by_other_code(build, roi_dbt.code_checksum(roi_dbt.dbt_project().manifest_path)) == []
    _new_litellm_file(data_dir / "raw")  # new requests: the night runs (its files changed)
    (data_dir / "raw" / "usage" / "litellm_spend_logs" / "litellm_spend_logs_extra.csv").rename(
        data_dir / "raw" / "usage" / "litellm_spend_logs" / "litellm_spend_logs_new_code.csv"
    )
    monkeypatch.setattr(roi_dbt, "code_checksum", lambda _manifest: "new code")
    assert main(["run", "--data-dir", str(data_dir), "--as-of", AS_OF.isoformat()]) == EXIT_OK
    assert _marts_args(data_dir).get("full_refresh") is True
    con = duckdb.connect(str(build), read_only=True)
    try:
        for model in ("stg_usage__litellm_spend_logs", "fct_ai_usage"):
            state = con.execute(f"SELECT code_version, rebuilt FROM increments.{model}__state").fetchone()
            assert state == ("new code", True), model
    finally:
        con.close()


KEY_TEST = "unique_incremental_stg_usage__litellm_spend_logs_request_id"


def _key_test(db: Path, target: Path) -> tuple[int, str]:
    """Run night 2's LiteLLM key test alone on ``db``: (failing keys, its compiled SQL)."""
    from dbt.cli import main as dbt_main

    from orchestration.settings import DBT_PROJECT_DIR

    result = dbt_main.dbtRunner().invoke(
        [
            "test",
            "--select",
            KEY_TEST,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--quiet",
        ]
    )
    assert result.exception is None
    (node,) = [r for r in result.result if r.node.name == KEY_TEST]  # (the project's on-run-start hook besides)
    return node.failures or 0, (node.node.compiled_code or "")


def test_the_key_test_of_an_increment_checks_the_rows_it_wrote(incremental_night, tmp_path, monkeypatch):
    """`unique_incremental` as it ran in night 2 (the last published release is night 1's, which vouched for
    the LiteLLM requests staged before): it looks up only the keys of the requests night 2 staged, and finds
    one of them staged again on another line. A key repeated among the rows night 1's release vouched for is
    that release's `unique` test's to find; with nothing to vouch for them (no release records the batch
    before), every row is checked again and it is found too."""
    _, snapshot, _ = incremental_night
    db = tmp_path / "warehouse" / "roi.duckdb"  # the build database's own file name: its views stay valid
    db.parent.mkdir()
    shutil.copyfile(snapshot, db)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "DELETE FROM audit.releases WHERE release_id = (SELECT release_id FROM audit.releases "
            "WHERE status = 'published' ORDER BY created_at DESC LIMIT 1)"
        )  # back before night 2's
        stg = "staging.stg_usage__litellm_spend_logs"
        for written in ("LIKE", "NOT LIKE"):  # one request night 2 staged, one night 1 did: each on a new line
            con.execute(
                f"INSERT INTO {stg} SELECT * REPLACE (_line + 1000000 AS _line) FROM {stg} WHERE request_id "
                f"= (SELECT min(request_id) FROM {stg} WHERE request_id {written} 'inc-%')"
            )
    finally:
        con.close()
    monkeypatch.setenv("ROI_LEDGER_DUCKDB_PATH", str(db))
    failures, sql = _key_test(db, tmp_path / "scoped")
    assert "stg_usage__litellm_spend_logs__scope" in sql
    assert failures == 1
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE audit.releases SET published_batches = NULL")
    finally:
        con.close()
    failures, sql = _key_test(db, tmp_path / "whole")
    assert "__scope" not in sql
    assert failures == 2
