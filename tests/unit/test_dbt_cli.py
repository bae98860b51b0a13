"""dbt's command line as ``roi-ledger-dbt`` runs it (orchestration/dbt_cli.py): log lines made only for loggers
that write them, the same lines written, and the launcher running it."""

from __future__ import annotations

import inspect
import io
import itertools
import subprocess
import sys

import pytest
from dbt_common.events import logger as dbt_logger
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.logger import LineFormat, LoggerConfig
from dbt_common.events.types import Note, PrintEvent, RetryExternalCall

from orchestration import childguard, dbt_cli

_names = itertools.count()


def _messages() -> list:
    return [
        msg_from_base_event(Note(msg="an info note")),
        msg_from_base_event(Note(msg="a debug note"), level=EventLevel.DEBUG),
        msg_from_base_event(RetryExternalCall(attempt=1, max=3)),
        msg_from_base_event(Note(msg="a warning"), level=EventLevel.WARN),
        msg_from_base_event(Note(msg="an error"), level=EventLevel.ERROR),
        msg_from_base_event(PrintEvent(msg="printed whatever the level")),
    ]


def _logger(fmt: LineFormat, level: EventLevel) -> tuple[dbt_logger._Logger, io.StringIO]:
    out = io.StringIO()
    config = LoggerConfig(name=f"test_dbt_cli_{next(_names)}", line_format=fmt, level=level, output_stream=out)
    cls = dbt_logger._JsonLogger if fmt == LineFormat.Json else dbt_logger._TextLogger
    return cls(config), out


@pytest.fixture
def patched():
    before = dbt_logger._Logger.write_line
    dbt_cli.lines_only_when_written()
    yield dbt_logger._Logger.write_line
    dbt_logger._Logger.write_line = before


@pytest.mark.parametrize("fmt", [LineFormat.Json, LineFormat.DebugText, LineFormat.PlainText])
@pytest.mark.parametrize("level", [EventLevel.DEBUG, EventLevel.INFO, EventLevel.WARN, EventLevel.ERROR])
def test_the_same_lines_are_written(patched, fmt, level):
    messages = _messages()
    plain, plain_out = _logger(fmt, level)
    fast, fast_out = _logger(fmt, level)
    for msg in messages:
        patched.original(plain, msg)
        patched(fast, msg)
    assert fast_out.getvalue() == plain_out.getvalue()
    assert "printed whatever the level" in fast_out.getvalue()  # print events go out as errors
    assert ("a debug note" in fast_out.getvalue()) == (level == EventLevel.DEBUG)


def test_a_line_is_made_only_for_an_event_the_logger_writes(patched, monkeypatch):
    made: list[str] = []
    real = dbt_logger._JsonLogger.create_line
    monkeypatch.setattr(
        dbt_logger._JsonLogger, "create_line", lambda self, msg: made.append(msg.info.msg) or real(self, msg)
    )
    info, _ = _logger(LineFormat.Json, EventLevel.INFO)
    for msg in _messages():
        patched(info, msg)
    assert made == ["an info note", "a warning", "an error", "printed whatever the level"]
    made.clear()
    for msg in _messages():
        patched.original(info, msg)
    assert len(made) == len(_messages())  # dbt's own method makes every line, then drops the debug ones


def test_patching_twice_wraps_once(patched):
    dbt_cli.lines_only_when_written()
    assert dbt_logger._Logger.write_line is patched


def test_dbt_still_makes_its_lines_the_way_the_patch_assumes():
    """The patch mirrors dbt-common's write_line and send_to_logger (pinned in constraints.txt): revisit it when
    they change."""
    source = inspect.getsource(dbt_logger._Logger.write_line)
    assert "line = self.create_line(msg)" in source
    assert 'level = "error"' in source and "_is_print_event(msg)" in source
    assert "send_to_logger(self._python_logger, level, line)" in source
    levels = inspect.getsource(dbt_logger.send_to_logger)
    for level in dbt_cli.PYTHON_LEVELS:
        assert f'level == "{level}"' in levels


def test_the_launcher_runs_dbt_through_it(monkeypatch):
    monkeypatch.delenv(childguard.DBT_EXECUTABLE_ENV, raising=False)
    assert childguard.real_dbt() == [sys.executable, "-m", "orchestration.dbt_cli"]
    monkeypatch.setenv(childguard.DBT_EXECUTABLE_ENV, "/opt/dbt/bin/dbt")
    assert childguard.real_dbt() == ["/opt/dbt/bin/dbt"]
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.dbt_cli", "--version"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "Core" in done.stdout + done.stderr
