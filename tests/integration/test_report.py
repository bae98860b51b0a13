"""The release report (orchestration/report): written at every publish beside the release's snapshot and as
``published/report/index.html``; its figures are the published marts' exactly; it opens from disk in a real
browser (Debian's headless Chromium) with the network cut, shows the five sections with their charts, asks
nothing of the network and prints to PDF; an old release's report is built again from its snapshot, byte for
byte; what is not a release is refused."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from orchestration import report
from orchestration.cli import EXIT_OK, main, print_outcome
from orchestration.ingest.engine import sha256_file
from orchestration.report import figures
from orchestration.settings import Paths
from tests.conftest import REPO, release_records

SECTIONS = ("portfolio", "efficiency", "productivity", "defensive", "trust")
#: Where the browser test leaves its screenshots and PDF (CI keeps the folder as the run's artefacts).
ARTIFACTS = Path(os.environ.get("ROI_LEDGER_TEST_ARTIFACTS", REPO / ".test-artifacts")) / "report"


class Tables(HTMLParser):
    """Every ``<table data-table>``: its attributes and, per row, each cell's column and exact value."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict] = {}
        self._table: dict | None = None
        self._row: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "table" and "data-table" in a:
            self._table = {**a, "rows": []}
            self.tables[a["data-table"]] = self._table
        elif tag == "tr" and self._table is not None:
            self._row = {}
        elif tag == "td" and self._row is not None and "data-column" in a:
            self._row[a["data-column"]] = None if a.get("data-null") else a["data-value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._table is not None and self._row:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def parse_tables(html: str) -> dict[str, dict]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def same(text: str | None, value) -> bool:
    """The cell's exact text against the published value, each compared as its own type."""
    if text is None or value is None:
        return text is None and value is None
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, Decimal):
        return Decimal(text) == value
    if isinstance(value, float):
        return float(text) == value
    if isinstance(value, int):
        return int(text) == value
    if isinstance(value, date):
        return text == value.isoformat()
    return text == str(value)


@pytest.fixture(scope="module")
def published(published_demo) -> tuple[Paths, dict, str]:
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    paths = Paths(data_dir)
    latest = release_records(data_dir)[0]
    return paths, latest, paths.published_report.read_text(encoding="utf-8")


def test_every_publish_writes_its_report_beside_its_snapshot_and_as_the_current_one(published, capsys):
    paths, latest, html = published
    kept = report.release_report(paths, latest["release_id"])
    assert kept.with_suffix(".duckdb").exists() and kept.read_bytes() == paths.published_report.read_bytes()
    assert kept.stat().st_ino == paths.published_report.stat().st_ino  # one file, two names
    assert f'data-release-id="{latest["release_id"]}"' in html and latest["published_sha256"] in html
    for section in SECTIONS:
        assert f'<section id="{section}" data-section="{section}"' in html
    # nothing the page needs is fetched: no script, stylesheet, image or font from anywhere
    assert "<script" not in html and "<link" not in html and "<img" not in html and "url(" not in html
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert "https://" not in html
    # `roi-ledger run` (and `make demo`) end with the report's path
    print_outcome(paths, {"status": "ok", "checks": [], "release": latest})
    assert f"report: {paths.published_report} (opens offline in a browser)" in capsys.readouterr().out


def test_the_report_figures_are_the_published_marts_exactly(published, capsys):
    paths, _, html = published
    tables = parse_tables(html)
    con = duckdb.connect(str(paths.published_db), read_only=True)
    try:
        checked = 0
        for tid, table in tables.items():
            if "data-mart" not in table:
                continue
            key = table["data-key"].split(",")
            assert table["rows"], tid
            for row in table["rows"]:
                cols = list(row)
                where = " AND ".join(f"{k} IS NOT DISTINCT FROM ?" for k in key)
                found = con.execute(
                    f"SELECT {', '.join(cols)} FROM {table['data-mart']} WHERE {where}",
                    [row[k] for k in key],
                ).fetchall()
                assert len(found) == 1, (tid, {k: row[k] for k in key})
                for col, value in zip(cols, found[0], strict=True):
                    assert same(row[col], value), (tid, col, row[col], value)
                    checked += 1
        assert checked > 5000
        # the tables of one mart hold every row they say they hold
        quarter = con.execute("SELECT max(quarter_start) FROM marts.fct_roi_portfolio").fetchone()[0]
        n = con.execute("SELECT count(*) FROM marts.fct_roi_portfolio WHERE quarter_start = ?", [quarter])
        assert len(tables["portfolio"]["rows"]) == n.fetchone()[0] > 10
        for tid, mart in (("scenarios", "fct_roi_scenarios"), ("efficiency_rows", "fct_efficiency_roi")):
            assert len(tables[tid]["rows"]) == con.execute(f"SELECT count(*) FROM marts.{mart}").fetchone()[0]
        # the sums: every month's money summed here, independently, to the last digit
        months = {r["month"]: r for r in tables["efficiency_months"]["rows"]}
        expected = con.execute(
            "SELECT month, sum(net_cash), sum(net_pnl), sum(one_time_cost) FROM marts.fct_efficiency_roi "
            "WHERE currency = 'USD' GROUP BY ALL"
        ).fetchall()
        assert len(months) == len(expected) == 12
        for month, net_cash, net_pnl, one_time in expected:
            got = months[month.isoformat()]
            assert (Decimal(got["net_cash"]), Decimal(got["net_pnl"])) == (net_cash, net_pnl)
            assert Decimal(got["one_time_cost"]) == one_time
        files = {r["dataset"]: r for r in tables["ingest"]["rows"]}
        for dataset, landed, accepted in con.execute(
            "SELECT dataset, count(*) FILTER (WHERE status = 'landed'), sum(rows_accepted) FROM audit.ingested_files "
            "GROUP BY ALL"
        ).fetchall():
            assert (int(files[dataset]["files_landed"]), int(files[dataset]["rows_accepted"])) == (landed, accepted)
    finally:
        con.close()
    # every mart row carries the trace command of that very row, and the command finds it
    command = (
        f"roi-ledger trace --data-dir {paths.data_dir} --mart fct_roi_scenarios --key "
        f"scenario_id={tables['scenarios']['rows'][0]['scenario_id']}"
    )
    assert command in html
    first = re.search(r'<table id="t-portfolio".*?<code>(roi-ledger trace [^<]*)</code>', html, re.S)
    assert main([*shlex.split(unescape(first.group(1)))[1:], "--json"]) == EXIT_OK
    traced = json.loads(capsys.readouterr().out)
    assert traced["mart"] == "fct_roi_portfolio" and traced["total_lines"] > 0


def test_an_old_release_report_is_built_again_from_its_snapshot_byte_for_byte(published, tmp_path, capsys):
    paths, latest, _ = published
    out = tmp_path / "again.html"
    args = ["report", "--data-dir", str(paths.data_dir), "--release", latest["release_id"], "--output", str(out)]
    assert main(args) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"report: {out}"
    assert out.read_bytes() == report.release_report(paths, latest["release_id"]).read_bytes()
    # and from the snapshot alone: the published file gone, the build database gone (no recorded hash to show)
    alone = Paths(tmp_path / "alone")
    alone.release_snapshots.mkdir(parents=True)
    snapshot = paths.release_snapshots / f"{latest['release_id']}.duckdb"
    shutil.copyfile(snapshot, alone.release_snapshots / snapshot.name)
    assert main(["report", "--data-dir", str(alone.data_dir), "--release", latest["release_id"]]) == EXIT_OK
    kept = report.release_report(alone, latest["release_id"])
    assert kept.exists() and not alone.published_report.exists()  # an old release never becomes the current one
    assert parse_tables(kept.read_text()) == parse_tables(out.read_text())


def test_what_is_not_a_release_is_refused(published, tmp_path, capsys):
    paths, _, _ = published
    assert main(["report", "--data-dir", str(paths.data_dir), "--release", "r20000101T000000-nope"]) == 1
    err = capsys.readouterr().err
    assert "release r20000101T000000-nope: no snapshot at" in err and "roi-ledger releases" in err
    assert main(["report", "--data-dir", str(tmp_path / "empty")]) == 1
    assert "no published file at" in capsys.readouterr().err
    blank = tmp_path / "blank.duckdb"
    duckdb.connect(str(blank)).execute("CREATE SCHEMA audit; CREATE TABLE audit.releases (status VARCHAR)").close()
    with pytest.raises(ValueError, match=f"{blank}: not a published release file .*created_at"):
        figures.load(blank)
    duckdb.connect(str(blank)).execute("ALTER TABLE audit.releases ADD COLUMN created_at TIMESTAMP").close()
    with pytest.raises(ValueError, match=r"no published release record in audit\.releases"):
        figures.load(blank)
    (tmp_path / "notes.duckdb").write_text("not a database\n")
    (alone := Paths(tmp_path / "text")).release_snapshots.mkdir(parents=True)
    shutil.copyfile(tmp_path / "notes.duckdb", alone.release_snapshots / "r1.duckdb")
    assert main(["report", "--data-dir", str(alone.data_dir), "--release", "r1"]) == 1
    assert "r1.duckdb: not a published release file" in capsys.readouterr().err
    assert not report.release_report(alone, "r1").exists()


def test_a_release_published_without_its_report_removes_the_stale_one(published, tmp_path):
    """``ROI_LEDGER_REPORT=off``: the current report would show an older release than the published file."""
    paths, _, _ = published
    copy = Paths(tmp_path / "copy")
    copy.published_report.parent.mkdir(parents=True)
    shutil.copyfile(paths.published_report, copy.published_report)
    report.point_at(copy, None)
    assert not copy.published_report.exists()
    # and a report beside a snapshot that retention removed goes with it, as a half-written one does
    copy.release_snapshots.mkdir(parents=True)
    (copy.release_snapshots / "r1.duckdb").write_bytes(b"")
    for name in ("r1.html", "r0.html", ".r2.html.tmp"):
        (copy.release_snapshots / name).write_text("x")
    assert [p.name for p in report.prune(copy)] == ["r0.html", ".r2.html.tmp"]
    assert sorted(p.name for p in copy.release_snapshots.iterdir()) == ["r1.duckdb", "r1.html"]


# ------------------------------------------------------------------------------------------- a real browser


def chromium() -> str:
    """Debian's Chromium: installed by the test setup when missing (as root with apt-get, as CI runs)."""
    found = shutil.which("chromium")
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, capture_output=True, check=False)
        found = shutil.which("chromium")
    if not found:
        pytest.fail("the report's browser test needs Chromium: apt-get install chromium (Debian's package)")
    return found


#: Chromium on a machine with no network: the background connections it makes at start are refused otherwise
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_the_report_opens_offline_in_chromium_with_every_section_and_chart(published):
    from playwright.sync_api import sync_playwright

    paths, latest, html = published
    page_file = paths.published_report.resolve()
    expected_charts = html.count('<figure class="chart"')
    assert expected_charts >= 10
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []

    def route(r) -> None:
        requests.append(r.request.url)
        return r.continue_() if r.request.url == page_file.as_uri() else r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            context.route("**/*", route)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            assert page.title() == f"AI ROI ledger: release {latest['release_id']}"
            for section in SECTIONS:
                loc = page.locator(f"section#{section}")
                assert loc.is_visible() and loc.locator("h2").inner_text()
                loc.screenshot(path=str(ARTIFACTS / f"{section}.png"))
                assert (ARTIFACTS / f"{section}.png").stat().st_size > 10_000
            charts = page.locator("figure.chart")
            assert charts.count() == expected_charts
            for i in range(charts.count()):
                chart = charts.nth(i)
                name = chart.get_attribute("data-chart")
                box = chart.locator("svg").bounding_box()
                assert box and box["width"] > 200 and box["height"] > 100, name
                marks = chart.locator(
                    "svg g[class^='mark-'] path, svg g[class^='mark-'] line, svg g[class^='mark-'] rect"
                )
                assert marks.count() > 0, name
                assert chart.locator("svg").get_attribute("role") == "img" and chart.locator("svg").get_attribute(
                    "aria-label"
                )
            # the navigation reaches each section
            page.get_by_role("link", name="Trust").click()
            assert page.evaluate("location.hash") == "#trust"
            pdf = page.pdf(path=str(ARTIFACTS / "report.pdf"), print_background=True)
            assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 5
            assert not errors
        finally:
            browser.close()
    assert requests == [page_file.as_uri()], requests  # the page itself, nothing else
    (ARTIFACTS / "requests.json").write_text(json.dumps(requests, indent=2))


def test_the_published_hash_in_the_report_is_the_file_it_was_built_from(published):
    paths, latest, html = published
    assert sha256_file(paths.published_db) == latest["published_sha256"]
    assert f"<dd>{latest['published_sha256']}</dd>" in html


def test_the_report_tables_key_their_rows_by_the_marts_trace_keys_and_its_exposure_names_what_it_reads(
    published, dbt_manifest
):
    """Each mart table's key is its mart's ``meta.trace_key`` (so each row's trace command finds that row), and
    exposure ``release_report`` depends on exactly the marts and audit sources orchestration/report reads."""
    _, _, html = published
    manifest = json.loads(dbt_manifest.read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    read = set()
    for table in parse_tables(html).values():
        if "data-mart" in table:
            name = table["data-mart"].split(".", 1)[1]
            assert table["data-key"].split(",") == models[name]["config"]["meta"]["trace_key"], name
            read.add(models[name]["unique_id"])
    source = (REPO / "orchestration" / "report" / "figures.py").read_text()
    read |= {models[m]["unique_id"] for m in re.findall(r"\bmarts\.(\w+)", source)}
    audit = set(re.findall(r"\baudit\.(\w+)", source)) - {"quarantine"}  # no dbt source: not for BI roles
    read |= {f"source.ai_roi_ledger.audit.{t}" for t in audit}
    exposure = manifest["exposures"]["exposure.ai_roi_ledger.release_report"]
    assert exposure["type"] == "dashboard" and set(exposure["depends_on"]["nodes"]) == read
