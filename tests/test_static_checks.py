"""The tamper scan flags what reaches into the interpreter, and not what ordinary model code does."""
from __future__ import annotations

import pytest

from autograder.static_checks import scan

ORDINARY = {
    "walk the layers to initialise them": "for module in self.modules():\n    pass",
    "nanoGPT's initialisation": "self.apply(self._init_weights)",
    "named modules": "for name, module in self.named_modules():\n    pass",
    "parameters": "for name, p in self.named_parameters():\n    torch.nn.init.normal_(p, std=0.02)",
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
