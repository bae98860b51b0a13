"""The repository is self-contained: a clone anywhere has every document it points to.

Documents, models, macros and code cite the project's own ``docs/`` (the method, portability, formats, gates); a
reference outside the repository (the workspace's ``../shared/`` notes it was first written from) would be a dead
link in every other clone.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: What points outside the repository: a parent of its root, or the workspace's shared notes by name.
OUTSIDE = re.compile(r"\.\./shared\b|\bshared/(?:ROI-METHOD|PORTABILITY|LAYOUT)\.md|\bshared/(?:formats|frameworks)/")
#: A document of the project's own named by its path, with an optional section number (``docs/METHOD.md section 2``).
DOC_MENTION = re.compile(r"\bdocs/([A-Za-z_]+\.md)(?: section (\d+))?")
#: A relative Markdown link target (no scheme, no anchor-only link).
MD_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")
#: Files whose text is not the project's prose or code: vendor samples keep their own words, and this test
#: spells out what it refuses.
SKIPPED = ("tests/fixtures/", "tests/unit/test_self_contained.py")


def tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    files = []
    for name in out.decode().split("\0"):
        if not name or name.startswith(SKIPPED):
            continue
        path = ROOT / name
        try:
            files.append((path, path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
    return files


def outside_references(text: str) -> list[str]:
    return OUTSIDE.findall(text)


def missing_doc_mentions(text: str, docs: Path) -> list[str]:
    """``docs/X.md`` mentions whose file, or whose ``section N`` heading (``## N.``), does not exist."""
    missing = []
    for name, section in DOC_MENTION.findall(text):
        doc = docs / name
        if not doc.is_file():
            missing.append(f"docs/{name}")
        elif section and not re.search(rf"^## {section}\. ", doc.read_text(encoding="utf-8"), re.MULTILINE):
            missing.append(f"docs/{name} section {section}")
    return missing


def broken_links(md: Path, text: str, root: Path) -> list[str]:
    """Relative Markdown links of ``md`` that leave ``root`` or name no file or folder in it."""
    broken = []
    for target in MD_LINK.findall(text):
        resolved = (md.parent / target.split("#", 1)[0]).resolve()
        if not resolved.is_relative_to(root) or not resolved.exists():
            broken.append(target)
    return broken


@pytest.fixture(scope="module")
def files() -> list[tuple[Path, str]]:
    return tracked_text_files()


def test_nothing_points_outside_the_repository(files):
    found = {str(p.relative_to(ROOT)): refs for p, text in files if (refs := outside_references(text))}
    assert not found, f"references outside the repository: {found}"


def test_every_cited_document_and_section_exists(files):
    found = {str(p.relative_to(ROOT)): m for p, text in files if (m := missing_doc_mentions(text, ROOT / "docs"))}
    assert not found, f"documents or sections cited but not in docs/: {found}"


def test_every_relative_markdown_link_resolves_inside_the_repository(files):
    found = {
        str(p.relative_to(ROOT)): b for p, text in files if p.suffix == ".md" and (b := broken_links(p, text, ROOT))
    }
    assert not found, f"broken relative links: {found}"


def test_the_checks_refuse_what_they_guard_against(tmp_path):
    assert outside_references("the method: ../shared/ROI-METHOD.md") == ["../shared"]
    assert outside_references("see shared/formats/okta.md") == ["shared/formats/"]
    assert outside_references("see docs/METHOD.md section 2") == []
    (tmp_path / "METHOD.md").write_text("# Method\n\n## 1. Ledgers\n\n## 2. Attribution\n", encoding="utf-8")
    assert missing_doc_mentions("docs/METHOD.md section 2, docs/METHOD.md", tmp_path) == []
    assert missing_doc_mentions("docs/METHOD.md section 7 and docs/NOPE.md", tmp_path) == [
        "docs/METHOD.md section 7",
        "docs/NOPE.md",
    ]
    md = tmp_path / "README.md"
    assert broken_links(md, "[m](METHOD.md) [web](https://x.org) [a](#top)", tmp_path) == []
    assert broken_links(md, "[gone](GONE.md) [up](../outside.md)", tmp_path) == ["GONE.md", "../outside.md"]
