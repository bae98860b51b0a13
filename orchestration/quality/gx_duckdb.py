"""Great Expectations 1.x on DuckDB: the persisted-connection fix, the read-only engine and the context.

**The trap.** GX's SQL execution engine opens a connection per query (``with engine.connect() as c``) and
hands back the cursor result after that ``with`` block has closed the connection. Through duckdb-engine the
result dies with its connection, so every metric resolves to nothing and *every expectation fails*, with
an empty result and no exception: a suite that can never pass, on good data as on bad. GX already keeps one
connection open (a ``StaticPool`` engine and a connection reused for every query) for the dialects in the
private tuple ``sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS`` (SQLite, SQL Server, ...);
:func:`enable_persisted_connection` adds DuckDB to it. This is the only place the project touches GX
internals. It was verified against ``great_expectations==1.24.1`` (pinned in ``constraints.txt``);
``tests/unit/test_quality_gx_duckdb.py`` validates a known-good batch (must pass) and a known-bad batch (must
fail) through this real SQL path, so an upgrade that moves or renames the setting fails the tests instead of
silently failing (or passing) every gate.

**Read-only.** The build database has one writer (the step running before the checks). Validation opens it
read-only and :func:`close_datasource` closes every connection afterwards: DuckDB refuses, in one process,
a read-write connection while a read-only one to the same file is still open.

**The context** is ephemeral (nothing written beside the project), with analytics and progress bars off;
only the validation results store (``DIR/audit/gx/<run_id>/``) and the Data Docs site
(``DIR/audit/data_docs/``) write files.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.settings import duckdb_memory_limit

if TYPE_CHECKING:
    from great_expectations.data_context import EphemeralDataContext
    from great_expectations.datasource.fluent import SQLDatasource

#: The GX version the persisted-connection setting was verified against (see the module docstring).
VERIFIED_GX_VERSION = "1.24.1"
DATA_DOCS_SITE = "roi_ledger"


class DuckDBDialect(StrEnum):
    """The DuckDB member of GX's persisted-connection dialects.

    GX reads ``.value`` of each member (``connection_string.startswith(d.value)``, which picks the
    ``StaticPool``) and compares the engine's dialect name with ``==`` (which keeps one connection): a
    ``StrEnum`` member satisfies both, as GX's own ``GXSqlDialect`` members do.
    """

    DUCKDB = "duckdb"


def enable_persisted_connection() -> None:
    """Make GX keep one DuckDB connection open for a whole validation (idempotent).

    Raises when the private names moved (a GX upgrade): validating without the setting would report every
    expectation as failed.
    """
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine_module

    dialects = getattr(engine_module, "_PERSISTED_CONNECTION_DIALECTS", None)
    if dialects is None or not hasattr(engine_module, "_dialect_requires_persisted_connection"):
        import great_expectations

        raise RuntimeError(
            f"great_expectations {great_expectations.__version__}: _PERSISTED_CONNECTION_DIALECTS is gone from "
            f"sqlalchemy_execution_engine (verified on {VERIFIED_GX_VERSION}); DuckDB validation would fail "
            "every expectation. Re-check orchestration/quality/gx_duckdb.py against the new version."
        )
    if not any(d == DuckDBDialect.DUCKDB.value for d in dialects):
        engine_module._PERSISTED_CONNECTION_DIALECTS = (*dialects, DuckDBDialect.DUCKDB)


def duckdb_url(db_path: Path) -> str:
    return f"duckdb:///{Path(db_path).resolve()}"


def engine_kwargs(*, read_only: bool = True) -> dict[str, Any]:
    """SQLAlchemy ``create_engine`` kwargs for the build database: read-only, the pipeline's memory cap."""
    return {"connect_args": {"read_only": read_only, "config": {"memory_limit": duckdb_memory_limit()}}}


def ephemeral_context(results_dir: Path, docs_dir: Path) -> EphemeralDataContext:
    """An ephemeral GX context whose validation results go to ``results_dir`` (JSON, one file per
    validation) and whose Data Docs site is ``docs_dir``; suites and definitions live in memory."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    memory = {"class_name": "InMemoryStoreBackend"}
    config = DataContextConfig(
        stores={
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": memory},
            "validation_results_store": {
                "class_name": "ValidationResultsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(results_dir),
                    "suppress_store_backend_id": True,
                },
            },
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": memory},
            "validation_definition_store": {"class_name": "ValidationDefinitionStore", "store_backend": memory},
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def add_build_datasource(context: EphemeralDataContext, db_path: Path, name: str = "build") -> SQLDatasource:
    """The build database as a GX SQL datasource, read-only, with GX's persisted connection."""
    enable_persisted_connection()
    return context.data_sources.add_sql(name, connection_string=duckdb_url(db_path), kwargs=engine_kwargs())


def close_datasource(datasource: SQLDatasource) -> None:
    """Close every DuckDB connection GX holds for ``datasource``: the execution engine's persisted one and
    the pool of the engine GX used to test the connection."""
    execution_engine = datasource.get_execution_engine()
    persisted = getattr(execution_engine, "_connection", None)  # the connection the setting above keeps
    if persisted is not None:
        persisted.close()
        execution_engine._connection = None
    execution_engine.close()
    datasource.get_engine().dispose()
