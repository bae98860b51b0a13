"""Pure argument builders and release helpers (no Dagster run, no dbt)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from orchestration.cli import build_parser
from orchestration.dbt import PARTIAL_PARSE, dbt_build_args, dbt_vars, share_partial_parse
from orchestration.publish import fingerprint
from orchestration.settings import RoiSettings, resolve_data_dir


def test_dbt_build_args_pass_vars_as_sorted_json():
    args = dbt_build_args({"b": 1, "as_of": "2026-10-31"})
    assert args[0] == "build"
    assert args[1] == "--vars"
    assert json.loads(args[2]) == {"as_of": "2026-10-31", "b": 1}
    assert args[2] == json.dumps({"as_of": "2026-10-31", "b": 1}, sort_keys=True)


def test_dbt_vars_take_the_run_as_of_date():
    assert dbt_vars(RoiSettings(data_dir="/tmp/x", as_of="2026-01-31")) == {"as_of": "2026-01-31"}


def test_the_nights_parse_is_handed_from_layer_to_layer(tmp_path):
    share_partial_parse(tmp_path, "staging", before=True)  # the first layer of a first night: nothing to hand
    assert not (tmp_path / "staging" / PARTIAL_PARSE).exists()
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / PARTIAL_PARSE).write_bytes(b"night 1")
    share_partial_parse(tmp_path, "staging", before=False)
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / PARTIAL_PARSE).write_bytes(b"an older night")
    share_partial_parse(tmp_path, "marts", before=True)  # the layer's own older parse is replaced
    assert (tmp_path / "marts" / PARTIAL_PARSE).read_bytes() == b"night 1"
    assert sorted(p.name for p in tmp_path.rglob("*.tmp")) == []


def test_fingerprint_changes_with_inputs_code_and_date():
    files = [{"dataset": "billing/focus", "source_file": "billing/focus/a.csv", "file_sha256": "ab"}]
    base = fingerprint(files, "code1", date(2026, 1, 1))
    assert base == fingerprint(list(files), "code1", date(2026, 1, 1))
    assert base != fingerprint([{**files[0], "file_sha256": "cd"}], "code1", date(2026, 1, 1))
    assert base != fingerprint(files, "code2", date(2026, 1, 1))
    assert base != fingerprint(files, "code1", date(2026, 1, 2))
    params = [{"model": "scenario_model", "seed": 1, "iterations": 100_000, "model_version": "v"}]
    with_model = fingerprint(files, "code1", date(2026, 1, 1), params)
    assert with_model != base  # the scenario model's seed and iterations are part of the release
    assert with_model == fingerprint(files, "code1", date(2026, 1, 1), [dict(params[0])])
    assert with_model != fingerprint(files, "code1", date(2026, 1, 1), [{**params[0], "seed": 2}])
    assert with_model != fingerprint(files, "code1", date(2026, 1, 1), [{**params[0], "iterations": 10_000}])


def test_data_dir_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("ROI_LEDGER_DATA_DIR", raising=False)
    assert resolve_data_dir(None).name == "data"
    monkeypatch.setenv("ROI_LEDGER_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(None) == (tmp_path / "env").resolve()
    assert resolve_data_dir(tmp_path / "arg") == (tmp_path / "arg").resolve()


@pytest.mark.parametrize("argv", [
    ["run", "--as-of", "31/10/2026"],
    ["generate", "--months", "0"],
    ["generate", "--scale", "huge"],
    ["frobnicate"],
])
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
