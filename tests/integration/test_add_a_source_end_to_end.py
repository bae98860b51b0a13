"""docs/ADDING_A_SOURCE.md followed end to end: a toy dataset added to a copy of the repository.

The copy (every file git knows, nothing of ``data/``) gets what the checklist names and nothing else: a registry
declaration listed in ``DATASETS``, ``make generate`` (``python -m orchestration.codegen``), a staging model and
its YAML, a fixture file and landing rows for the staging build test, a demo writer, the format's row in
``docs/FORMATS.md`` and the asset graph snapshot taken again. Then, run against the copy's code
(``PYTHONPATH``), the copy's own tests that hold every registered dataset to something (registry drift, dbt
sources, GX suites, docs, ingest of every fixture, the demo generator's coverage, the asset graph, the dbt staging
build of every dataset) pass with the toy among them, and its fixture lands and stages: no file outside the
checklist needed an edit by hand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.unit.test_adding_a_source import missing_paths, templates

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST = ROOT / "docs" / "ADDING_A_SOURCE.md"

REGISTRY_MODULE = '''"""A toy export: the dataset the source-adding test adds."""

from __future__ import annotations

from datetime import date

from orchestration.dataset_model import Dataset
from orchestration.registry.common import f

TOY_EVENTS = Dataset(
    system="toy",
    name="events",
    title="Toy events",
    description="A toy export of events (CSV), added by the source-adding test.",
    formats=("csv",),
    fields=(
        f("event_id", req=True, desc="event id"),
        f("occurred_at", type="timestamp", req=True, desc="when it happened"),
        f("kind", req=True, allowed=("open", "close"), desc="what happened"),
        f("note", desc="free text"),
    ),
    natural_key=("event_id",),
    owner="engineering",
    freshness_field="occurred_at",
    time_floor=date(2020, 1, 1),
)
'''

STAGING_MODEL = """with

source as (

    {{ deduplicated_landing('toy', 'events') }}

),

renamed as (

    select
        event_id,
        occurred_at,
        kind as event_kind,
        note as event_note,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at
    from source

)

select * from renamed
"""

STAGING_YAML = """version: 2

models:
  - name: stg_toy__events
    description: Toy events, one row per event id.
    config:
      meta:
        owner: engineering
    data_tests:
      - not_null_columns:
          name: not_null_stg_toy__events
          arguments:
            column_names: [event_id, occurred_at]
    columns:
      - name: event_id
        description: Event id.
        data_tests:
          - unique
      - name: occurred_at
        description: When it happened (UTC).
      - name: event_kind
        description: "`open` or `close`."
      - name: event_note
        description: Free text.
      - name: _source_file
        description: '{{ doc("col_source_file") }}'
      - name: _file_sha256
        description: '{{ doc("col_file_sha256") }}'
      - name: _line
        description: '{{ doc("col_line") }}'
      - name: _ingested_at
        description: '{{ doc("col_ingested_at") }}'
"""

FIXTURE = (
    "event_id,occurred_at,kind,note\n"
    "ev-1,2025-02-27T10:00:00Z,open,first\n"
    "ev-2,2025-02-27 11:30:00,CLOSE,\n"
    "ev-3,2025-02-28T08:15:00Z,open,third\n"
    'ev-4,2025-02-28T08:16:00.5Z,close,"quoted, with a comma"\n'
    "ev-5,2025-02-28T09:00:00+01:00,open,\n"
    "ev-6,2025-02-28T23:59:59Z,close,last\n"
)

LANDING_ROWS = """    "toy/events": [
        {"event_id": "ev-1", "occurred_at": datetime(2025, 2, 27, 10, 0), "kind": "open", "note": "first"},
        {"event_id": "ev-2", "occurred_at": datetime(2025, 2, 27, 11, 30), "kind": "close"},
    ],
"""

DEMO_WRITER = '''"""Toy events for the demo: one file, a few events a day (the source-adding test's writer)."""

from __future__ import annotations

from pathlib import Path

from roi_ledger_demo import _util as u
from roi_ledger_demo.carried import Carried
from roi_ledger_demo.world import World


def write_toy_events(world: World, out_dir: Path, carried: Carried) -> dict:
    rows = [
        [f"ev-{i:05d}", u.iso_z(world.start + i * 3 * 3600), "open" if i % 2 else "close", ""]
        for i in range(int((world.end - world.start) // (3 * 3600)))
    ]
    u.write_bytes(out_dir / "toy_events.csv", u.csv_bytes(("event_id", "occurred_at", "kind", "note"), rows))
    return {"files": 1, "records": len(rows)}
'''

#: The copy's tests that hold every registered dataset to something (run with the toy registered).
REGISTRY_TESTS = (
    "tests/unit/test_adding_a_source.py",
    "tests/unit/test_codegen.py",
    "tests/unit/test_dbt_sources.py",
    "tests/unit/test_docs.py",
    "tests/unit/test_quality_suites.py",
    "tests/unit/test_ingest.py",
    "tests/unit/test_landing_files.py",
    "tests/unit/test_demo_generator.py::test_every_registered_dataset_has_one_writer",
    "tests/unit/test_import_graph.py",
    "tests/test_definitions.py",
    "tests/integration/test_dbt_staging.py",
)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: {old!r} not found once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _copy_repository(dst: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for rel in (f.decode() for f in files if f):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


def _run(copy: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A command of the copy's own code: its packages first on the path, no setting of this run."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ROI_LEDGER_", "DAGSTER_"))}
    clean["PYTHONPATH"] = os.pathsep.join([str(copy), str(copy / "demo")])
    return subprocess.run(
        [sys.executable, *args], cwd=copy, env={**clean, **(env or {})}, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def toy_repo(tmp_path_factory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the copy is made from git's list of files")
    copy = tmp_path_factory.mktemp("repo")
    _copy_repository(copy)
    out = _run(
        copy, "-c", "import orchestration, roi_ledger_demo; print(orchestration.__file__, roi_ledger_demo.__file__)"
    )
    assert out.stdout.split() == [
        str(copy / "orchestration" / "__init__.py"),
        str(copy / "demo" / "roi_ledger_demo" / "__init__.py"),
    ], out.stderr
    manifest = _run(copy, "-m", "orchestration.dbt")  # make install's manifest, as in a working checkout
    assert manifest.returncode == 0, manifest.stdout[-3000:] + manifest.stderr[-3000:]
    return copy


def test_a_toy_dataset_added_by_the_checklist_alone(toy_repo):
    copy = toy_repo
    items = templates(CHECKLIST.read_text(encoding="utf-8"))

    # 1. the registry entry
    (copy / "orchestration" / "registry" / "toy.py").write_text(REGISTRY_MODULE, encoding="utf-8")
    _edit(
        copy / "orchestration" / "datasets.py",
        "from orchestration.registry.usage import",
        "from orchestration.registry.toy import TOY_EVENTS\nfrom orchestration.registry.usage import",
    )
    _edit(copy / "orchestration" / "datasets.py", "    SCENARIOS,\n)", "    SCENARIOS,\n    TOY_EVENTS,\n)")
    sys.path.insert(0, str(copy))  # the toy's Dataset, for the checklist's paths
    try:
        toy = _toy_dataset(copy)
    finally:
        sys.path.remove(str(copy))
    assert missing_paths(toy, items, copy) == [
        "dbt_project/models/staging/toy/_toy__sources.yml",
        "orchestration/quality/suites/landing__toy__events.json",
        "dbt_project/models/staging/toy/stg_toy__events.sql",
        "dbt_project/models/staging/toy/_toy__models.yml",
        "tests/fixtures/toy/events",
    ]

    # 2. make generate: the drift is named, then written
    check = _run(copy, "-m", "orchestration.codegen", "--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "_toy__sources.yml" in check.stdout and "landing__toy__events.json" in check.stdout
    # 3. the staging model and its YAML, 4. the fixture (and the staging build test's landing rows)
    staging = copy / "dbt_project" / "models" / "staging" / "toy"
    staging.mkdir(parents=True)
    (staging / "stg_toy__events.sql").write_text(STAGING_MODEL, encoding="utf-8")
    (staging / "_toy__models.yml").write_text(STAGING_YAML, encoding="utf-8")
    fixtures = copy / "tests" / "fixtures" / "toy" / "events"
    fixtures.mkdir(parents=True)
    (fixtures / "toy_events_2025-02.csv").write_text(FIXTURE, encoding="utf-8")
    _edit(
        copy / "tests" / "integration" / "test_dbt_staging.py",
        "LANDING_ROWS: dict[str, list[dict]] = {\n",
        "LANDING_ROWS: dict[str, list[dict]] = {\n" + LANDING_ROWS,
    )
    # 5. the demo writer
    (copy / "demo" / "roi_ledger_demo" / "toy.py").write_text(DEMO_WRITER, encoding="utf-8")
    _edit(
        copy / "demo" / "roi_ledger_demo" / "__init__.py",
        "from roi_ledger_demo import (\n",
        "from roi_ledger_demo import toy\nfrom roi_ledger_demo import (\n",
    )
    _edit(
        copy / "demo" / "roi_ledger_demo" / "__init__.py",
        '    "assumptions/scenarios": security.write_scenarios,\n',
        '    "assumptions/scenarios": security.write_scenarios,\n    "toy/events": toy.write_toy_events,\n',
    )
    # the format's row, and make generate again (the gates doc counts the new model's tests)
    with (copy / "docs" / "FORMATS.md").open("a", encoding="utf-8") as formats:
        formats.write("\n### toy/events\n\nCSV, one event per line (the source-adding test's toy).\n")
    generate = _run(copy, "-m", "orchestration.codegen")
    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert missing_paths(toy, items, copy) == []
    check = _run(copy, "-m", "orchestration.codegen", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    # 6. the asset graph snapshot taken again (the new ingest asset and staging model are in it)
    snapshot = _run(
        copy, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_definitions.py", env={"UPDATE_SNAPSHOTS": "1"}
    )
    assert snapshot.returncode == 0, snapshot.stdout[-3000:]
    assert "toy/events" in (copy / "tests" / "snapshots" / "asset_graph.json").read_text(encoding="utf-8")

    # the copy's own tests of every registered dataset pass with the toy among them
    tests = _run(copy, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *REGISTRY_TESTS)
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-2000:]
    assert (
        "toy/events"
        in _run(
            copy, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider", "tests/unit/test_dbt_sources.py"
        ).stdout
    )

    # and its fixture lands and stages through the generated source
    land = _run(copy, "-c", LAND_AND_STAGE, str(fixtures))
    assert land.returncode == 0, land.stdout[-3000:] + land.stderr[-3000:]
    con = duckdb.connect(land.stdout.strip().splitlines()[-1], read_only=True)
    try:
        staged = con.execute("SELECT event_id, event_kind FROM staging.stg_toy__events ORDER BY 1").fetchall()
    finally:
        con.close()
    assert staged == [
        ("ev-1", "open"),
        ("ev-2", "close"),
        ("ev-3", "open"),
        ("ev-4", "close"),
        ("ev-5", "open"),
        ("ev-6", "close"),
    ]


def _toy_dataset(copy: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("toy_registry", copy / "orchestration" / "registry" / "toy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TOY_EVENTS


#: Run in the copy: ingest the toy fixture into a fresh build database, then dbt builds its staging model.
LAND_AND_STAGE = """
import os, shutil, sys, tempfile
from datetime import datetime
from pathlib import Path

from dbt.cli.main import dbtRunner

from orchestration.datasets import BY_KEY
from orchestration.dbt_sources import DBT_PROJECT_DIR
from orchestration.ingest import engine

ds = BY_KEY["toy/events"]
work = Path(tempfile.mkdtemp())
raw = work / "raw" / "toy" / "events"
raw.mkdir(parents=True)
for p in Path(sys.argv[1]).iterdir():
    shutil.copy(p, raw / p.name)
db = work / "warehouse" / "roi.duckdb"
db.parent.mkdir()
con = engine.connect(db)
result = engine.ingest_dataset(con, work / "raw", ds, now=datetime(2025, 3, 1))
con.close()
assert result.landed_rows_total == 6, engine.dumps(result)
os.environ["ROI_LEDGER_DUCKDB_PATH"] = str(db)
run = dbtRunner().invoke(["build", "--select", "stg_toy__events", "--project-dir", str(DBT_PROJECT_DIR),
                          "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work / "target"),
                          "--log-path", str(work / "logs")])
assert run.success, run.exception
print(db)
"""
