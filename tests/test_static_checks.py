"""The tamper scan flags what reaches into the interpreter, and not what ordinary model code does."""
from __future__ import annotations

import pytest

from autograder.static_checks import scan

ORDINARY = {
    "walk the layers to initialise them": "for module in self.modules():\n    pass",
    "nanoGPT's initialisation": "self.apply(self._init_weights)",
    "named modules": "for name, module in self.named_modules():\n    pass",
    "parameters": "for name, p in self.named_parameters():\n    torch.nn.init.normal_(p, std=0.02)",
    # A checkpoint answer (chapter 12) reads and restores its own objects' fields and makes a folder.
    "vars of an own object": "state = {k: v for k, v in vars(run.data).items()}",
    "setattr on an own object": "for key, value in state.items():\n    setattr(run.data, key, value)",
    "__dict__ of an own object": "run.data.__dict__.update(state['data'])",
    "os.makedirs": "import os\nos.makedirs(os.path.dirname(path) or '.', exist_ok=True)",
    # Swapping a layer of one's own model (chapter 09's LoRA) reaches it through items and attributes.
    "setattr on a layer of an own model": "setattr(model.bert.encoder.layer[0].attention.self, 'query', wrapped)",
}
TAMPERING = {
    "sys.modules through another module": "import numpy as np\ntorch_module = np.sys.modules['torch']",
    "a saved reference to .modules": "table = torch.sys.modules\nfor name in table(): pass",
    "getattr with 'modules'": "table = getattr(np.sys, 'modules')",
}


@pytest.mark.parametrize("source", ORDINARY.values(), ids=ORDINARY.keys())
def test_ordinary_model_code_is_not_flagged(source):
    assert scan(source) == []


@pytest.mark.parametrize("source", TAMPERING.values(), ids=TAMPERING.keys())
def test_reaching_for_sys_modules_is_flagged(source):
    assert any("modules" in finding.what for finding in scan(source)), scan(source)


MODULE_TAMPERING = {
    "setattr on a module": ("import torch.nn.functional as F\nsetattr(F, 'softmax', lambda x, dim: x)", "setattr"),
    "setattr on a module's attribute": ("import torch\nsetattr(torch.testing, 'assert_close', print)", "setattr"),
    "delattr on a module": ("import torch\ndelattr(torch, 'allclose')", "delattr"),
    "vars of a module": ("import torch\nvars(torch)['allclose'] = print", "vars"),
    "vars of the namespace": ("vars()['assert_close'] = print", "vars"),
    "setattr on a call's result": ("setattr(type(x), '__eq__', lambda a, b: True)", "setattr"),
    "a module's __dict__": ("import torch\ntorch.__dict__['allclose'] = print", "__dict__"),
    "setattr on an item of a module": ("import torch\nsetattr(torch.nn.modules.__dict__['linear'], 'F', None)", "setattr"),
    "os.fork": ("import os\nos.fork()", "os.fork"),
    "os.kill through an alias": ("import os as o\no.kill(o.getpid(), 9)", "os.kill"),
    "os.system": ("import os\nos.system('ls')", "os.system"),
    "from os import _exit": ("from os import _exit\n_exit(0)", "_exit"),
}


@pytest.mark.parametrize("source, what", MODULE_TAMPERING.values(), ids=MODULE_TAMPERING.keys())
def test_editing_modules_and_controlling_processes_is_flagged(source, what):
    assert any(what in finding.what for finding in scan(source)), scan(source)


# What the given cells of a chapter import; an answer cell uses these names without importing them.
NOTEBOOK_MODULES = {"torch", "F", "nn", "np"}
EDITS_OF_THE_NOTEBOOKS_MODULES = {
    "a module imported by another cell": "torch.allclose = lambda *a, **k: True",
    "an alias of it": "m = F\nm.softmax = lambda x, dim: x",
    "an alias of a submodule": "t = torch.testing\nt.assert_close = print",
    "setattr on an alias": "t = torch.nn\nsetattr(t, 'Linear', None)",
    "deleting a function": "del torch.allclose",
    "inside a tuple target": "a, F.softmax = 1, print",
}
ORDINARY_WITH_THE_NOTEBOOKS_MODULES = {
    "an index computed with torch": "keep[torch.topk(scores, 3).indices] = True",
    "an own variable named like a module": "np = model.clone()\nnp.weight = w",
    "a parameter named like a module": "def f(F):\n    F.x = 1\n    return F",
    "an own attribute": "self.weight = nn.Parameter(torch.zeros(3))",
}


@pytest.mark.parametrize("source", EDITS_OF_THE_NOTEBOOKS_MODULES.values(), ids=EDITS_OF_THE_NOTEBOOKS_MODULES.keys())
def test_editing_a_module_that_another_cell_imported_is_flagged(source):
    assert scan(source, NOTEBOOK_MODULES), source
    assert not scan(source.replace("torch", "mine").replace("F", "G")), "an own object's attributes are ordinary"


@pytest.mark.parametrize("source", ORDINARY_WITH_THE_NOTEBOOKS_MODULES.values(),
                         ids=ORDINARY_WITH_THE_NOTEBOOKS_MODULES.keys())
def test_ordinary_code_using_the_notebooks_modules_is_not_flagged(source):
    assert scan(source, NOTEBOOK_MODULES) == []


def test_the_grader_scans_answers_against_every_module_the_notebook_imports():
    """The grader's execution step gives the scan the imports of every cell of the submission."""
    import nbformat

    from autograder.execute import SandboxedExecute

    def cell(source, **nbgrader):
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": nbgrader} if nbgrader else {})

    nb = nbformat.v4.new_notebook(cells=[
        cell("import torch"),
        cell("torch.allclose = lambda *a, **k: True", solution=True, grade=False, grade_id="answer"),
        cell("assert torch.allclose(torch.ones(1), torch.zeros(1))", solution=False, grade=True, grade_id="test", points=1),
    ])
    assert SandboxedExecute._scan(None, nb) == {2: ["answer: line 1: replaces torch.allclose in an imported module"]}
