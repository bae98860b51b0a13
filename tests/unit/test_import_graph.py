"""The package's import graph: no cycles, and the CLI's early paths stay light.

A cycle is two modules that each need the other to exist first: it works only while one of the imports stays
inside a function, and it ties the two together for every later change. Deferred imports count here as much as
module-level ones.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "orchestration"


def module_names(root: Path, package: str) -> dict[str, Path]:
    out = {}
    for path in (root / package).rglob("*.py"):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def import_graph(modules: dict[str, Path], package: str) -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere in its text (a name imported from a package that is
    a module counts as that module)."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(package):
                targets = [resolve(f"{node.module}.{a.name}") or resolve(node.module) for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [resolve(a.name) for a in node.names if a.name.startswith(package)]
            else:
                continue
            graph[module].update(t for t in targets if t and t != module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_has_no_import_cycle():
    graph = import_graph(module_names(ROOT, PACKAGE), PACKAGE)
    assert graph[f"{PACKAGE}.cli"], "the graph reads imports (the CLI imports modules of the package)"
    assert cycles(graph) == []


def test_no_module_imports_the_entry_point():
    """``orchestration.cli`` is the command line: what it calls lives in modules of their own."""
    graph = import_graph(module_names(ROOT, PACKAGE), PACKAGE)
    assert sorted(m for m, targets in graph.items() if f"{PACKAGE}.cli" in targets) == []


def test_a_cycle_is_found_however_deep_the_import(tmp_path):
    pkg = tmp_path / "toy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from toy.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from toy import c\n")
    (pkg / "c.py").write_text("import toy.a\n")
    (pkg / "d.py").write_text("from toy.a import f\n")
    graph = import_graph(module_names(tmp_path, "toy"), "toy")
    assert cycles(graph) == [["toy.a", "toy.b", "toy.c"]]
    (pkg / "c.py").write_text("")
    assert cycles(import_graph(module_names(tmp_path, "toy"), "toy")) == []


def test_the_cli_and_its_preflight_import_no_dagster():
    """An empty night is decided by the preflight before any Dagster run (about a second): importing Dagster
    alone would cost half a second more."""
    code = (
        "import sys, orchestration.cli, orchestration.preflight; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_dbt', 'dbt')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_demo_package_has_no_import_cycle():
    graph = import_graph(module_names(ROOT / "demo", "roi_ledger_demo"), "roi_ledger_demo")
    assert graph["roi_ledger_demo"], "the graph reads the demo's imports"
    assert cycles(graph) == []


def test_the_pipeline_ships_without_the_demo():
    """The demo generator is a package of its own (demo/): of the runtime package only the CLI's ``generate``
    command imports it, inside the command (it says how to install it when it is missing)."""
    importers = {}
    for module, path in module_names(ROOT, PACKAGE).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            and any(
                name.split(".")[0] == "roi_ledger_demo"
                for name in ([n.module or ""] if isinstance(n, ast.ImportFrom) else [a.name for a in n.names])
            )
        ]
        if found:
            importers[module] = [n.col_offset > 0 for n in found]
    assert importers == {f"{PACKAGE}.cli": [True]}
    assert not (ROOT / PACKAGE / "demo").exists()
