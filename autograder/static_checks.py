"""A static scan of answer cells for code that tampers with grading.

A correct answer to any exercise in this course is ordinary code: numbers, models, and (chapter 12)
files and the answer's own objects. Code that
replaces functions in other modules, reaches into the interpreter or the kernel, defines
its own equality, or hides what it runs (``exec``, ``__import__``) is never needed, and
it is exactly what an attack on the hidden tests looks like. Each finding zeroes the
exercise whose answer cell holds it and is reported with its line, so that an instructor
can read it; the other exercises are graded as usual.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

# Names whose mere use in an answer cell is a finding.
FORBIDDEN_NAMES = {
    "exec": "runs code from a string", "eval": "runs code from a string", "compile": "builds code from a string",
    "__import__": "imports by string", "globals": "edits the notebook's namespace",
    "get_ipython": "reaches into the kernel", "__builtins__": "edits the built-ins",
}
# Built-ins that are ordinary on the answer's own objects (a checkpoint restores its fields with
# ``setattr``, reads them with ``vars``) but tampering on a module (``setattr(F, "softmax", ...)``)
# or on the notebook's namespace (``vars()`` with no argument): a finding when their first argument
# is missing or is rooted in an imported name, as assignments to attributes are.
MODULE_EDITING_NAMES = {"setattr": "replaces attributes", "delattr": "deletes attributes",
                        "vars": "edits a namespace"}
# Modules an exercise never needs.
FORBIDDEN_MODULES = {
    "builtins", "ctypes", "gc", "inspect", "importlib", "IPython", "ipykernel", "socket", "subprocess",
    "multiprocessing", "signal", "threading", "urllib", "http", "requests", "pickle", "marshal", "sys",
    "shutil", "nbgrader", "sqlite3", "sqlalchemy", "unittest", "pytest",
}
# ``os`` is allowed (a checkpoint answer makes its folder with ``os.makedirs``), but not what it has
# for controlling processes, the kernel's file descriptors or its environment.
OS_PROCESS_CONTROL = {
    "_exit", "abort", "fork", "forkpty", "kill", "killpg", "system", "popen", "execl", "execle", "execlp",
    "execlpe", "execv", "execve", "execvp", "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv",
    "spawnve", "spawnvp", "spawnvpe", "posix_spawn", "posix_spawnp", "setsid", "setpgid", "dup", "dup2",
    "close", "closerange", "chdir", "fchdir", "chroot", "putenv", "unsetenv", "register_at_fork", "nice",
    "setuid", "setgid", "sched_setaffinity",
}
# Attributes that reach into PyTorch's dispatch or the interpreter.
FORBIDDEN_ATTRIBUTES = {
    "_C", "overrides", "DisableTorchFunction", "_disable_torch_function", "TorchFunctionMode", "__dict__",
    "__class__", "__globals__", "__code__", "__closure__", "__builtins__", "__subclasses__", "__mro__",
    "f_globals", "f_locals", "f_back", "settrace", "setprofile", "modules", "_getframe", "_exit",
    # What could switch off or step around ``forbid``'s modes: TorchScript and custom operators run
    # composite operators without meeting the torch-function layer; these pop the mode stacks.
    "jit", "library", "_python_dispatch", "_disable_current_modes", "_pop_mode", "_pop_mode_temporarily",
    "TorchDispatchMode", "_push_mode", "_ops", "_dynamo", "_dispatch",
    # PyTorch's own Python reference implementations of the built-ins (softmax, layer_norm, ...)
    "_refs", "_decomp", "_prims",
}
# Forbidden attributes that are also the names of ordinary methods: allowed when called.
CALLABLE_ATTRIBUTES = {"modules"}
# Methods that change what equality, truth or type checks mean.
FORBIDDEN_METHODS = {
    "__eq__", "__ne__", "__bool__", "__hash__", "__torch_function__", "__torch_dispatch__", "__array__",
    "__array_function__", "__array_ufunc__", "__getattr__", "__getattribute__", "__instancecheck__",
    "__subclasscheck__", "__class_getitem__", "__init_subclass__", "__del__", "__float__", "__index__",
    "__lt__", "__le__", "__gt__", "__ge__", "__abs__", "__sub__", "__rsub__",
}


@dataclass(frozen=True)
class Finding:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def _parse(source: str):
    """The cell's syntax tree with IPython magics and shell lines blanked, or None if it does not parse."""
    lines = [("pass  # " + line) if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def imported_names(source: str) -> set[str]:
    """The names that a cell's import statements bind (``import torch.nn.functional as F`` binds ``F``)."""
    tree = _parse(source)
    if tree is None:
        return set()
    return {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}


def _chain_root(expression):
    """``a`` for ``a``, ``a.b.c`` and ``a.b[0]``; None for anything else (a call, a literal, ...)."""
    while isinstance(expression, (ast.Attribute, ast.Subscript)):
        expression = expression.value
    return expression.id if isinstance(expression, ast.Name) else None


def _rebound_locally(tree, modules: set[str]) -> set[str]:
    """Names that the cell binds to something of its own (``copy = model.clone()``, a loop variable, a
    parameter), which are then not the notebook's modules inside this cell."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _chain_root(node.value) not in modules:
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            targets = []
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
            targets = []
        else:
            targets = []
        bound.update(_bound_names(targets))
    return bound


def _written_attributes(targets) -> list[ast.Attribute]:
    """The attribute an assignment writes into: ``a.b.c`` in ``a.b.c[i] = ...``, but not
    ``torch.topk`` in ``keep[torch.topk(x, k).indices] = True`` (an index is only read)."""
    found: list[ast.Attribute] = []
    for target in targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            found += _written_attributes(target.elts)
            continue
        node = target.value if isinstance(target, ast.Starred) else target
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute):  # the outermost one: the rest of its chain has the same root
            found.append(node)
    return found


def _bound_names(targets) -> set[str]:
    """The plain names an assignment binds: ``a`` and ``b`` in ``a, *b = ...``; not ``F`` in ``F.x = ...``."""
    names: set[str] = set()
    for target in targets:
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Starred):
            names |= _bound_names([target.value])
        elif isinstance(target, (ast.Tuple, ast.List)):
            names |= _bound_names(target.elts)
    return names


def scan(source: str, notebook_modules: Iterable[str] = ()) -> list[Finding]:
    """Findings in one answer cell's source (an unparsable cell is left to the kernel to report).

    ``notebook_modules``: the names that the notebook's other cells import (``torch``, ``F``, ...),
    which an answer cell uses without importing them again. Names that alias them
    (``m = F``, ``t = torch.nn``) count as modules too.
    """
    findings = [Finding(i + 1, "IPython magic or shell command") for i, line in enumerate(source.split("\n"))
                if line.lstrip().startswith(("%", "!"))]
    tree = _parse(source)
    if tree is None:
        return findings
    imported: set[str] = set(notebook_modules)
    imported -= _rebound_locally(tree, imported)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if module.split(".")[0] in FORBIDDEN_MODULES:
                    findings.append(Finding(node.lineno, f"imports {module}"))
                elif (FORBIDDEN_ATTRIBUTES - CALLABLE_ATTRIBUTES).intersection(module.split(".")):
                    findings.append(Finding(node.lineno, f"imports {module}"))  # torch._C, torch.jit, ...
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.name in FORBIDDEN_ATTRIBUTES - CALLABLE_ATTRIBUTES or alias.name in FORBIDDEN_NAMES
                            or (node.module == "os" and alias.name in OS_PROCESS_CONTROL)):
                        findings.append(Finding(node.lineno, f"imports {alias.name} from {node.module}"))
            for alias in node.names:
                imported.add((alias.asname or alias.name).split(".")[0])
    # Aliases of modules: ``m = F`` or ``t = torch.nn`` make ``m.softmax = ...`` an edit of a module.
    aliases = [(target.id, node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
               for target in node.targets if isinstance(target, ast.Name)]
    while True:
        new = {name for name, value in aliases if name not in imported and _chain_root(value) in imported}
        if not new:
            break
        imported |= new
    # ``model.modules()`` (nn.Module's method) is how a model walks its layers; ``sys.modules`` is a
    # dict that is never called. A called ``.modules`` is therefore allowed.
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    os_names = {(alias.asname or alias.name) for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names if alias.name == "os"}

    def on_module(expression) -> bool:
        """Whether an expression is (an attribute or item of) an imported name, or starts from something
        other than a plain name (a call such as ``type(x)``)."""
        while isinstance(expression, (ast.Attribute, ast.Subscript)):
            expression = expression.value
        return not isinstance(expression, ast.Name) or expression.id in imported

    # The calls of setattr, delattr and vars whose first argument is the answer's own object.
    own_object_calls = {id(node.func) for node in ast.walk(tree)
                        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in MODULE_EDITING_NAMES and node.args and not on_module(node.args[0])}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr in CALLABLE_ATTRIBUTES and id(node) in called:
            continue
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            findings.append(Finding(line, f"uses {node.id} ({FORBIDDEN_NAMES[node.id]})"))
        elif isinstance(node, ast.Name) and node.id in MODULE_EDITING_NAMES and id(node) not in own_object_calls:
            findings.append(Finding(line, f"uses {node.id} on a module or the namespace ({MODULE_EDITING_NAMES[node.id]})"))
        elif isinstance(node, ast.Attribute) and node.attr == "__dict__" and not on_module(node.value):
            continue  # an object's own fields: checkpoint.__dict__.update(state)
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            findings.append(Finding(line, f"uses .{node.attr}"))
        elif (isinstance(node, ast.Attribute) and node.attr in OS_PROCESS_CONTROL and isinstance(node.value, ast.Name)
              and node.value.id in os_names):
            findings.append(Finding(line, f"uses os.{node.attr} (controls processes)"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")
              and len(node.args) >= 2):
            name = node.args[1]
            # (a name built at run time is not flagged: getattr(F, activation.lower()) is ordinary code)
            if isinstance(name, ast.Constant) and name.value in FORBIDDEN_ATTRIBUTES:
                findings.append(Finding(line, f"uses .{name.value} through {node.func.id}"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in FORBIDDEN_METHODS:
            findings.append(Finding(line, f"defines {node.name}"))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            findings.append(Finding(line, f"declares {'global' if isinstance(node, ast.Global) else 'nonlocal'} names"))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for sub in _written_attributes(targets):
                if _chain_root(sub) in imported:
                    findings.append(Finding(line, f"replaces {ast.unparse(sub)} in an imported module"))
    return sorted(set(findings), key=lambda f: (f.line, f.what))
