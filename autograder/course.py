"""The course's nbgrader set-up: where things are, and generation of the learner chapters."""
from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = Path(__file__).resolve().parent / "nbgrader_config.py"
WORK_DIR = REPO_ROOT / "autograder" / "work"
# Seconds allowed for one whole submission (0: no budget); a chapter takes well under a minute
# in the smoke profile. The execution step, the settings and the command line all read it here.
DEFAULT_BUDGET = 300

# nbgrader runs the `alembic` and `jupyter` executables by name: make sure the ones
# installed next to this interpreter are found even when the virtual environment is
# not activated.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


def chapter_ids(root: Path = REPO_ROOT) -> list[str]:
    """Every chapter that has a source notebook ``solutions/<id>/<id>.ipynb``, in order."""
    return sorted(p.parent.name for p in (root / "solutions").glob("*/*.ipynb")
                  if p.stem == p.parent.name)


def check_chapter(chapter_id: str, root: Path = REPO_ROOT) -> None:
    if chapter_id not in chapter_ids(root):
        known = ", ".join(chapter_ids(root)) or "none"
        raise SystemExit(f"unknown chapter {chapter_id!r}; chapters with a source notebook: {known}")


def base_config() -> Config:
    """The settings in ``autograder/nbgrader_config.py``."""
    loader = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent))
    return loader.load_config()


def nbgrader_api(config: Config):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel(logging.WARNING)
    return api


def generate(ids: list[str] | None = None, *, root: Path = REPO_ROOT) -> list[Path]:
    """Write ``chapters/<id>/<id>.ipynb`` from ``solutions/<id>/<id>.ipynb`` with nbgrader.

    ``root`` is the course folder; tests pass a scratch copy to compare a fresh
    generation with the committed chapters. The gradebook that nbgrader insists on
    writing during generation goes to a temporary folder.
    """
    ids = ids or chapter_ids(root)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        config = base_config()
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.db_url = f"sqlite:///{scratch}/gradebook.db"
        api = nbgrader_api(config)
        for chapter_id in ids:
            check_chapter(chapter_id, root)
            result = api.generate_assignment(chapter_id, force=True)
            if not result["success"]:
                raise RuntimeError(f"nbgrader could not generate {chapter_id}:\n{result.get('error') or result.get('log')}")
            target = root / "chapters" / chapter_id / f"{chapter_id}.ipynb"
            if not target.is_file():
                raise RuntimeError(f"nbgrader reported success but wrote no {target}")
            written.append(target)
    return written


def fresh_generation(destination: Path, root: Path = REPO_ROOT) -> Path:
    """Generate every chapter into a copy of the course at ``destination``; returns its root."""
    shutil.copytree(root / "solutions", destination / "solutions")
    generate(root=destination)
    return destination
