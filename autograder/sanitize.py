"""Make a submission's nbgrader metadata trustworthy before nbgrader restores its cells.

A learner can edit cell metadata. nbgrader restores the source, points and type of every
cell whose grade_id it knows, but trips over cells whose metadata it does not expect
(a grade cell without a grade_id, a grade_id that is not in the gradebook, the same
grade_id twice). This step, run just before nbgrader's ``OverwriteCells``, keeps the
nbgrader metadata of the first cell for each grade_id the instructor's notebook has, and
turns every other cell that claims to be graded into a plain cell, which earns nothing.
``OverwriteCells.add_missing_cells`` then adds back any test cell that is missing.
"""
from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor


class SanitizeMetadata(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            known = {cell.name for cell in source.source_cells}
        seen: set[str] = set()
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id in known and grade_id not in seen:
                seen.add(grade_id)
                continue
            del cell.metadata["nbgrader"]
            for key in ("editable", "deletable"):
                cell.metadata.pop(key, None)
        return nb, resources
