"""The code samples of book/errata.md do what the page says: the article's fails, the fix runs."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO_ROOT

ERRATA = REPO_ROOT / "book" / "errata.md"


def sample(first_line: str) -> str:
    """The ```python block of errata.md whose first line is ``first_line``."""
    blocks = re.findall(r"```python\n(.*?)```", ERRATA.read_text(encoding="utf-8"), flags=re.DOTALL)
    found = [block for block in blocks if block.splitlines()[0] == first_line]
    assert len(found) == 1, f"errata.md should have one python block starting {first_line!r}"
    return found[0]


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "default"})


def test_the_articles_sample_fails_as_the_page_says():
    broken = sample("# the article's classifier (our rendition): it does not run")
    done = run(broken)
    assert done.returncode != 0
    assert "ImportError: cannot import name 'TransformerEncoder' from 'transformers'" in done.stderr, done.stderr[-2000:]
    # With the import fixed, the next error is the one the page quotes second.
    fixed_import = broken.replace("from transformers import", "from torch.nn import")
    setup = ("import torch\nx = torch.randint(0, 20, (64, 12)); y = (x == 1).any(dim=1).long()\n"
             "loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)\n")
    done = run(setup + fixed_import)
    assert "AttributeError: 'float' object has no attribute 'backward'" in done.stderr, done.stderr[-2000:]


def test_the_corrected_sample_runs_and_learns():
    done = run(sample("# corrected: runs, and the loss falls"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "", f"the corrected sample should print no warning: {done.stderr[-2000:]}"
    losses = [float(v) for v in re.findall(r"mean loss (\d+\.\d+)", done.stdout)]
    assert len(losses) == 5 and losses[-1] < 0.5 * losses[0], done.stdout
