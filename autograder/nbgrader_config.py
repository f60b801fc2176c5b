"""nbgrader settings for the course. Loaded by ``python -m autograder``, which adds the paths.

The layout maps onto nbgrader like this: the instructor's source notebooks are
``solutions/<id>/<id>.ipynb`` (nbgrader's "source"), and the learner notebooks that
``generate`` writes are ``chapters/<id>/<id>.ipynb`` (nbgrader's "release").
"""
c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "chapters"

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A submission whose test cells were deleted gets them back from the instructor's copy.
c.OverwriteCells.add_missing_cells = True

# Learner notebooks carry no outputs and no hidden tests.
c.ClearHiddenTests.enforce_metadata = True

# Grading runs each notebook in a sandboxed kernel (autograder/execute.py) in place of
# nbgrader's Execute step; nbgrader still restores the test cells and records the grades.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, IgnorePattern, LimitOutput,
    OverwriteCells, OverwriteKernelspec, SaveAutoGrades,
)

from autograder.execute import SandboxedExecute  # noqa: E402
from autograder.feedback import HideHiddenTests  # noqa: E402
from autograder.sanitize import SanitizeMetadata  # noqa: E402

# Untrusted metadata (renamed, duplicated or half-deleted grade cells) is cleaned before
# nbgrader restores the instructor's cells.
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, SanitizeMetadata,
                                      OverwriteCells, CheckCellMetadata]

c.Autograde.autograde_preprocessors = [SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# Feedback is rendered from a copy of the graded notebook without the hidden tests: their source
# becomes a placeholder and no traceback frame quotes them (autograder/feedback.py). The
# instructor's autograded notebook keeps everything.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# A generous per-cell limit: the smoke profile runs every cell in seconds.
c.SandboxedExecute.timeout = 120

# Warnings that PyTorch or matplotlib print to stderr are not the learner's fault;
# nbgrader scores a test cell that writes to stderr as 0 unless the line is ignored.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning\b"
