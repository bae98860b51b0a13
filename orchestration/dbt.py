"""dbt inside Dagster: one cached DbtProject, @dbt_assets split by layer selector, and the translator.

The manifest is prepared by ``make manifest``, the CLI and the test fixtures (:func:`prepare_manifest`),
never at import: loading definitions must not run dbt. dbt tests of ``error`` severity become blocking
asset checks (dagster-dbt's default); ``warn`` tests show as warnings and never block.
"""

import importlib.metadata
import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec, Failure
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from orchestration import engine_spark, engines
from orchestration.childguard import PARENT_PID_ENV
from orchestration.nightgate import code_checksum
from orchestration.resources import RoiSettings
from orchestration.settings import (
    AS_OF_ENV,
    CONNECTION_LIMIT_ENV,
    DBT_PROJECT_DIR,
    DUCKDB_PATH_ENV,
    connect_duckdb,
    duckdb_memory_limit,
)

#: Layers, each its own @dbt_assets (its own step): staging, the spine and the ledgers in one `dbt build` (with
#: the seeds they read: `dbt build` loads a seed only when the selection holds it), then, after the scenario model
#: (a Python asset between the two), the scenario marts and the portfolio that read its output. Two steps, not
#: one per folder: each step is a dbt process that starts, loads the project and writes its artifacts (about 5 s
#: a step whatever the data), and one build lets dbt's threads start a mart as soon as its own staging parents
#: pass their tests; a failing test still skips everything downstream of it (dbt build's own rule).
LAYER_SELECTORS: dict[str, str] = {
    "marts": "path:models/staging path:models/intermediate path:models/marts path:seeds",
    "portfolio": "path:models/portfolio",
}
#: Staging models: each runs after the night gate.
STAGING_PATH = "models/staging"
#: dbt's indirect selection for the layers' tests: `buildable` runs a test in the step that builds the last of
#: its parents (a relationships test from a portfolio model to a marts model runs with the portfolio), where
#: dbt's default `eager` would run it early, against a table the run has not built yet.
INDIRECT_SELECTION = "buildable"


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, target_path=Path("target"))


def prepare_manifest(*, quiet: bool = True) -> Path:
    """Run ``dbt parse`` in process so that ``dbt_project/target/manifest.json`` exists and is current."""
    from dbt.cli.main import dbtRunner

    project = dbt_project()
    env_before = os.environ.get(DUCKDB_PATH_ENV)
    os.environ.setdefault(DUCKDB_PATH_ENV, str(project.project_dir / "target" / "parse_only.duckdb"))
    args = [
        "parse",
        "--project-dir",
        str(project.project_dir),
        "--profiles-dir",
        str(project.project_dir),
        "--target-path",
        str(project.project_dir / "target"),
    ]
    if quiet:
        args = ["--quiet", *args]
    try:
        res = dbtRunner().invoke(args)
    finally:
        if env_before is None:
            os.environ.pop(DUCKDB_PATH_ENV, None)
    if not res.success:
        raise RuntimeError(f"dbt parse failed: {res.exception}")
    return project.manifest_path


def dbt_vars(code_version: str | None = None) -> dict[str, Any]:
    """dbt ``--vars`` for a run (pure: tested): the code's checksum (:func:`orchestration.nightgate.code_checksum`),
    with which an incremental model built by other code is rebuilt (``dbt_project/macros/increments.sql``). It
    changes only with the code, so dbt's partial parsing holds from one night to the next."""
    return {} if code_version is None else {"code_version": code_version}


#: Level of dbt's log file (``dbt.log`` beside each layer's artifacts): a line per node and its result. dbt's
#: default, debug, also writes every statement it sends (8 MB on a new-day night of the large bench), and making
#: those records cost about 1.2 s of the 21 s dbt spends on the marts layer; each node's compiled and run SQL
#: stay in the target folder either way. ``DBT_LOG_LEVEL_FILE`` set in the environment wins (debug to investigate).
DBT_FILE_LOG_LEVEL = "info"
FILE_LOG_LEVEL_ENV = "DBT_LOG_LEVEL_FILE"


def dbt_env(settings: RoiSettings, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Environment of a run's dbt (pure: tested): the as-of date (:data:`AS_OF_ENV`, not a var: see there) and
    the level of its log file (:data:`DBT_FILE_LOG_LEVEL`, unless ``environ`` sets one)."""
    return {
        AS_OF_ENV: settings.as_of_date.isoformat(),
        FILE_LOG_LEVEL_ENV: environ.get(FILE_LOG_LEVEL_ENV, DBT_FILE_LOG_LEVEL),
    }


#: dbt unit tests check the SQL's logic on fixed inputs, not the night's data: dbt's own advice is to run them
#: in development and CI, not in production builds. They run once per test session
#: (``tests/integration/test_dbt_unit_tests.py``), not in each of the night's layers (about 25 s a night).
NIGHTLY_EXCLUDED_RESOURCE_TYPES = ("unit_test",)


#: Schema of the incremental models' states (``dbt_project/macros/increments.sql``: ``increments_schema``).
INCREMENTS_SCHEMA = "increments"


def built_by_other_code(db_path: Path, code_version: str | None) -> list[str]:
    """The incremental models of the build database ``db_path`` whose state says other code built them (their
    ``code_version``), sorted; empty when there is no database or no state yet (a first night), or the code is
    the same. Such a model rebuilds from everything landed whatever dbt is told; told ``--full-refresh``, dbt
    writes it with one CREATE TABLE AS, where the incremental path deletes every row and inserts them all again
    through its scope (dbt 180 s against 103 s for the marts layer of the large bench: a new release of this
    project costs the night a first night's dbt, no more)."""
    if code_version is None or not db_path.is_file():
        return []

    con = connect_duckdb(db_path, read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                "AND table_schema = ? AND table_name LIKE '%\\_\\_state' ESCAPE '\\' ORDER BY 1",
                [INCREMENTS_SCHEMA],
            ).fetchall()
        ]
        stale = []
        for table in tables:
            versions = con.execute(f'SELECT code_version FROM {INCREMENTS_SCHEMA}."{table}"').fetchall()
            if any(v[0] != code_version for v in versions):
                stale.append(table.removesuffix("__state"))
        return stale
    finally:
        con.close()


def dbt_build_args(vars_: Mapping[str, Any], *, full_refresh: bool = False, target: str = "duckdb") -> list[str]:
    """Arguments of the ``dbt build`` each layer runs; @dbt_assets adds the selection (pure: tested).
    ``full_refresh``: incremental models are rebuilt from everything landed (``roi-ledger run --full-refresh``);
    ``target``: the build engine (:mod:`orchestration.engines`)."""
    excluded = [a for t in NIGHTLY_EXCLUDED_RESOURCE_TYPES for a in ("--exclude-resource-type", t)]
    return [
        "build",
        "--vars",
        json.dumps(dict(vars_), sort_keys=True),
        *excluded,
        *(["--full-refresh"] if full_refresh else []),
        *engines.dbt_target_args(target),
    ]


#: The night gate (:mod:`orchestration.nightgate`): every staging model depends on it, so that a night it stops
#: skips every dbt layer.
NIGHT_GATE_KEY = AssetKey(["release", "night_fingerprint"])


class RoiDbtTranslator(DagsterDbtTranslator):
    """Asset keys ``<schema>/<model>``; groups per layer; owners from ``meta.owner``; staging models run after
    the night gate."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest.get("nodes", {}).get(unique_id) or {}
        if node.get("resource_type") == "model" and node.get("original_file_path", "").startswith(STAGING_PATH):
            spec = spec.merge_attributes(deps=[NIGHT_GATE_KEY])
        return spec

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get("schema")
            return AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dbt_resource_props.get("config", {}).get("schema") or "dbt"
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        meta = {**dbt_resource_props.get("config", {}).get("meta", {}), **dbt_resource_props.get("meta", {})}
        owner = meta.get("owner")
        if owner:
            return [owner if ("@" in owner or owner.startswith("team:")) else f"team:{owner}"]
        return super().get_owners(dbt_resource_props)


def _selected_nodes(manifest: Mapping[str, Any], selector: str) -> bool:
    prefixes = [s.removeprefix("path:") for s in selector.split()]
    return any(
        n["resource_type"] in ("model", "seed") and any(n["original_file_path"].startswith(p) for p in prefixes)
        for n in manifest.get("nodes", {}).values()
    )


PARTIAL_PARSE = "partial_parse.msgpack"


def share_partial_parse(dbt_target: Path, layer: str, *, before: bool) -> None:
    """One dbt parse per night instead of one per layer. Each layer has its own target directory, and dbt
    parses the whole project again (about 19 s against 7 s) whenever the vars or the profile differ from its
    saved parse: the first layer of a night parses, then its saved parse is handed to the next layers
    (``before``: copy the night's latest parse into the layer's target; after: keep the layer's as the latest).
    dbt itself checks that a saved parse still matches, so a stale one costs a full parse, never a wrong one."""
    shared, own = dbt_target / PARTIAL_PARSE, dbt_target / layer / PARTIAL_PARSE
    source, destination = (shared, own) if before else (own, shared)
    if source.is_file():
        destination.parent.mkdir(parents=True, exist_ok=True)
        tmp = destination.with_suffix(".tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, destination)


def build_dbt_assets(layer: str, selector: str, manifest_path: Path) -> AssetsDefinition:
    @dbt_assets(
        manifest=manifest_path,
        select=selector,
        name=f"dbt_{layer}",
        dagster_dbt_translator=RoiDbtTranslator(),
        project=dbt_project(),
    )
    def _layer(context: AssetExecutionContext, dbt: DbtCliResource, settings: RoiSettings):
        paths = settings.paths
        paths.ensure()
        # dbt runs as a subprocess that inherits the environment: the profile reads the database path here.
        os.environ[DUCKDB_PATH_ENV] = str(paths.build_db)
        os.environ[CONNECTION_LIMIT_ENV] = duckdb_memory_limit()
        os.environ.setdefault("DBT_INDIRECT_SELECTION", INDIRECT_SELECTION)
        os.environ[PARENT_PID_ENV] = str(os.getpid())  # dbt's launcher dies with this process
        share_partial_parse(paths.dbt_target, layer, before=True)
        os.environ.update(dbt_env(settings))
        vars_ = dbt_vars(code_checksum(dbt_project().manifest_path))
        name = engines.engine()
        url = None
        if name == "duckdb":
            stale = built_by_other_code(paths.build_db, vars_.get("code_version"))
        elif name == "spark":
            engine_spark.require_java()
            os.environ.update(engine_spark.profile_env(paths.warehouse, os.environ.get(engine_spark.MASTER_ENV)))
            written = engine_spark.write_inputs(paths.build_db, layer)
            context.log.info(f"dbt {layer} on spark: {written} input statement(s) for the session")
            stale = []
        else:
            url = engines.postgres_url()
            os.environ.update(engines.profile_env(url))
            copied = engines.push(paths.build_db, url, layer, paths.warehouse)
            context.log.info(f"dbt {layer} on {name}: {len(copied)} input table(s) copied to the server")
            stale = []  # the incremental macros themselves rebuild what other code built
        if stale and not settings.full_refresh:
            context.log.info(
                f"dbt {layer}: {len(stale)} incremental model(s) built by other code "
                f"({', '.join(stale[:5])}{', ...' if len(stale) > 5 else ''}): full refresh"
            )
        switched = engines.engine_changed(paths.warehouse, name)
        if switched:
            context.log.info(f"dbt {layer}: the last night built on another engine than {name}: full refresh")
        # Spark's Parquet tables take no DELETE: every night there is a full build (orchestration/engine_spark.py).
        full_refresh = settings.full_refresh or bool(stale) or switched or name == "spark"
        invocation = dbt.cli(
            dbt_build_args(vars_, full_refresh=full_refresh, target=name),
            context=context,
            target_path=paths.dbt_target / layer,
            raise_on_error=False,
        )
        yield from invocation.stream()
        share_partial_parse(paths.dbt_target, layer, before=False)
        if url is not None:
            pulled = engines.pull(paths.build_db, url, paths.warehouse)
            context.log.info(f"dbt {layer} on {name}: {pulled} table(s) mirrored into the build database")
        elif name == "spark":
            pulled = engine_spark.pull(paths.build_db, engines.BUILT_SCHEMAS)
            context.log.info(f"dbt {layer} on spark: {pulled} table(s) mirrored into the build database")
        engines.record_engine(paths.warehouse, name)
        results = invocation.get_artifact("run_results.json").get("results", [])
        errors = [r for r in results if r.get("status") == "error"]
        if errors:
            raise Failure(
                description=f"dbt {layer}: {len(errors)} node(s) errored",
                metadata={"errors": [f"{r['unique_id']}: {(r.get('message') or '')[:300]}" for r in errors]},
            )
        # Failed tests need nothing here: they are blocking asset checks, which stop the release.

    return _layer


def all_dbt_assets() -> list[AssetsDefinition]:
    project = dbt_project()
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {project.manifest_path}: run `make manifest` (or "
            f"`python -m orchestration.dbt`) before loading the Dagster definitions"
        )
    manifest = json.loads(project.manifest_path.read_text())
    return [
        build_dbt_assets(layer, sel, project.manifest_path)
        for layer, sel in LAYER_SELECTORS.items()
        if _selected_nodes(manifest, sel)
    ]


def dbt_executable() -> str:
    """dbt under its launcher, ``roi-ledger-dbt`` (:mod:`orchestration.childguard`: dbt and whatever it starts
    die with the run, even a run killed with SIGKILL), installed beside the Python interpreter with this
    package; plain dbt where the launcher is not installed (an environment not reinstalled since)."""
    bindir = Path(sys.executable).parent
    for name in ("roi-ledger-dbt", "dbt"):
        if (bindir / name).exists():
            return str(bindir / name)
    return shutil.which("roi-ledger-dbt") or shutil.which("dbt") or "dbt"


class SubprocessDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without the dbt adapter it builds in the run's own process before each invocation, and
    without a dbt process started to read dbt's version.

    dagster-dbt (dbt Core) imports dbt into the calling process and loads the project and profile again for every
    ``cli()`` call, to hand the invocation an adapter that only ``fetch_row_counts`` and ``fetch_column_metadata``
    use. The pipeline uses neither: dbt runs as a subprocess and the release's row counts come from the published
    file. Nor does it start dbt once just to read its version (``dbt --version``, about 1.5 s). Measured on the
    large bench's new-day night: the night's first dbt step reached its dbt command in 1.55 s instead of 2.76 s
    without the adapter, the portfolio step 0.65 s sooner."""

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        """dbt's version without starting dbt (dagster-dbt runs ``dbt --version`` once per process: 1.5 s of the
        night's first dbt step): the dbt-core installed with this interpreter, when the executable is the one
        installed beside it (the launcher runs that dbt); else dagster-dbt's own answer."""
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version


def dbt_resource() -> DbtCliResource:
    return SubprocessDbtCliResource(
        project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )


if __name__ == "__main__":
    print(prepare_manifest(quiet=False))
