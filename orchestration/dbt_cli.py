"""dbt's own command line, with log lines made only for loggers that write them (what ``roi-ledger-dbt`` runs).

dbt renders each event as a line for every logger (``dbt_common.events.logger._Logger.write_line``: for the
JSON lines dagster-dbt reads and for ``dbt.log``, the event turned into a dict, dumped as JSON and scrubbed of
secret environment values) and only then lets the logger's level drop it. Most of a build's events are
debug-level (each statement sent, each connection opened, reused or closed) and both loggers are at info level
here, so most of that work was thrown away: profiled on the marts layer of the large bench's new-day night,
making lines took 2.1 s of the 14.4 s dbt's threads held Python's lock. Here a line is made only when the logger
would write it; the lines written are the same, byte for byte (``tests/unit/test_dbt_cli.py``).

The check mirrors dbt's own (``dbt_common.events.logger.send_to_logger``: print events go out as errors, so
``--quiet`` keeps them; ``test`` is debug); an event level it does not know goes the original way (which raises,
as before). dbt-core and dbt-common are pinned (``constraints.txt``); the test fails if the method's code changes.
"""

from __future__ import annotations

import logging
import sys

#: Python's level for each dbt event level, as ``send_to_logger`` maps them.
PYTHON_LEVELS = {
    "test": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def lines_only_when_written() -> None:
    """Make ``_Logger.write_line`` skip events its logger's level would drop (idempotent)."""
    from dbt_common.events import logger as dbt_logger

    original = dbt_logger._Logger.write_line
    if getattr(original, "_roi_ledger", False):
        return

    def write_line(self, msg) -> None:
        log = self._python_logger
        level = "error" if dbt_logger._is_print_event(msg) else msg.info.level
        if log is not None and level in PYTHON_LEVELS and not log.isEnabledFor(PYTHON_LEVELS[level]):
            return
        original(self, msg)

    write_line._roi_ledger = True  # type: ignore[attr-defined]
    write_line.original = original  # type: ignore[attr-defined]
    dbt_logger._Logger.write_line = write_line


def main() -> int:
    lines_only_when_written()
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    return cli()


if __name__ == "__main__":
    sys.exit(main())
