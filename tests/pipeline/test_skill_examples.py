"""Every Python example of the kitsu-api skill, and the seed's "Key Gadget patterns" snippet,
executed against a live foxtrack started by the ``tracker`` fixture.

The fenced ``python`` blocks of one markdown file run in order in one namespace (like a console
session). A block may be preceded by ``<!-- setup: <python> -->``, run first and not shown. A
block that defines ``test_*`` functions is a documented pytest example: it is run by pytest in a
subprocess (with the foxtrack plugin) instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from foxtrack.testing.plugin import Tracker

ROOT = Path(__file__).resolve().parents[2]
SKILL = ROOT / "plugins" / "kitsu" / "skills" / "kitsu-api"
DOCS = sorted([SKILL / "SKILL.md", *(SKILL / "references").glob("*.md")])
BLOCK = re.compile(r"(?:<!--\s*setup:(?P<setup>.*?)-->\s*\n)?```python\n(?P<code>.*?)```", re.S)
SEED_SKILL = ROOT.parent / "shared" / "seed" / "kitsu-api-SKILL.md"

GADGET_SNIPPET = '''\
# Gadget entity-level usage
project = Project.from_env() # loads from env vars
shot = project.shots.get(name="sq170_sh0224")
task = shot.tasks.fetch("Anim3D")
task.comments.new(comment="...", preview=["/path/to/img.png"], set_main_preview=True)
'''


def blocks(path: Path) -> list[tuple[str, str]]:
    return [((m.group("setup") or "").strip(), m.group("code")) for m in BLOCK.finditer(path.read_text())]


def test_every_reference_has_examples() -> None:
    assert DOCS and all(blocks(doc) for doc in DOCS)


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_skill_examples_run(doc: Path, tracker: Tracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    namespace: dict[str, object] = {"__name__": f"skill_{doc.stem}"}
    for index, (setup, code) in enumerate(blocks(doc)):
        if re.search(r"^def test_", code, re.M):
            run_documented_test(code, tmp_path / f"test_doc_{doc.stem}_{index}.py")
            continue
        try:
            if setup:
                exec(compile(setup, f"{doc.name}[{index}:setup]", "exec"), namespace)
            exec(compile(code, f"{doc.name}[{index}]", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"example {index} of {doc.name} failed:\n{code}") from error


def run_documented_test(code: str, path: Path) -> None:
    path.write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                            cwd=path.parent, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gadget_snippet_matches_the_seed() -> None:
    if not SEED_SKILL.exists():
        pytest.skip("the seed skill is not beside the repo")
    text = SEED_SKILL.read_text()
    start = text.index("Key Gadget patterns:")
    snippet = text[text.index("```python\n", start) + len("```python\n"):]
    assert snippet[: snippet.index("```")] == GADGET_SNIPPET


def test_gadget_snippet_runs_unchanged(tracker: Tracker) -> None:
    """The seed's snippet, verbatim. Its preview path is absolute, so the test puts an image there
    (and removes it), skipping where it cannot write that path."""
    from PIL import Image

    from foxtrack.client import Project

    image = Path("/path/to/img.png")
    created = not image.exists()
    try:
        image.parent.mkdir(parents=True, exist_ok=True)
        if created:
            Image.new("RGB", (64, 36), "purple").save(image)
    except OSError:
        pytest.skip("cannot create /path/to/img.png here")
    try:
        namespace: dict[str, object] = {"Project": Project}
        exec(compile(GADGET_SNIPPET, "gadget-snippet", "exec"), namespace)
    finally:
        if created:
            image.unlink(missing_ok=True)
            for parent in (image.parent, image.parent.parent):
                try:
                    parent.rmdir()
                except OSError:
                    break
    comment = tracker.project().shots.get(name="sq170_sh0224").tasks.fetch("Anim3D").comments.last()
    assert comment is not None and comment.text == "..." and comment.previews[0]["name"] == "img"
    import gazu

    shot = gazu.shot.get_shot(tracker.ids["sq170_sh0224"])
    assert shot["preview_file_id"] == comment.previews[0]["id"]
