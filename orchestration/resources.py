"""The run settings as a Dagster resource: what every asset of the nightly job reads its paths and dates from.

Kept apart from :mod:`orchestration.settings` (plain paths and environment, no Dagster) so that the CLI's
preflight, which decides an empty night before any Dagster run, does not import Dagster, and so that the run lock
(:mod:`orchestration.runguard`) and the settings it reads do not import each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

from dagster import ConfigurableResource, InitResourceContext

from orchestration.runguard import run_session
from orchestration.settings import Paths, resolve_data_dir


class RoiSettings(ConfigurableResource):
    """Run settings shared by every asset of the nightly job."""

    data_dir: str | None = None
    """Data directory; default ``$ROI_LEDGER_DATA_DIR`` or ``./data``."""
    as_of: str | None = None
    """As-of date of the release (YYYY-MM-DD); default today (UTC)."""
    full_refresh: bool = False
    """Rebuild every incremental dbt model from everything landed (``roi-ledger run --full-refresh``), and run
    the night even when its fingerprint equals the last release's."""

    @classmethod
    def of_run(cls, run_config: dict | None) -> RoiSettings:
        """The settings a finished run used (for sensors, which see the run, not its resources)."""
        cfg = (run_config or {}).get("resources", {}).get("settings", {}).get("config", {})
        return cls(
            data_dir=cfg.get("data_dir") or str(resolve_data_dir()),
            as_of=cfg.get("as_of"),
            full_refresh=bool(cfg.get("full_refresh", False)),
        )

    @property
    def paths(self) -> Paths:
        return Paths(resolve_data_dir(self.data_dir))

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[RoiSettings]:
        """Hold the data directory's run lock for the whole run (:func:`orchestration.runguard.run_session`):
        runs the daemon launches get the same guard as the CLI's (which already holds it: then this is a
        no-op). A refusal fails the run once, before its first step, with its one-line message."""
        log = context.log.info if context.log is not None else print
        with run_session(self.paths, log):
            yield self

    @property
    def as_of_date(self) -> date:
        if self.as_of:
            return date.fromisoformat(self.as_of)
        from datetime import UTC, datetime

        return datetime.now(UTC).date()
