"""Every term's standalone file runs on its own: numpy only, no `snippets` package.

For each term module the generated file is executed in a fresh interpreter in which importing
`snippets` is impossible. There it runs the doctest of every public function (each one has an
example, enforced by tests/test_catalog.py) and evaluates every gradient case of that module
(forward and backward); the results must equal the package's, bit for bit, since it is the same code.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from site_tools.catalog import load_terms
from snippets._standalone import standalone_source
from tests.cases import CASES
from tests.gradcheck import as_outputs

TERMS = load_terms()

RUNNER = r'''
import ast, doctest, json, sys
import numpy as np
sys.modules["snippets"] = None  # any `import snippets` in the file now fails
source = open(sys.argv[1], encoding="utf-8").read()
namespace = {"__name__": "standalone"}
exec(compile(source, sys.argv[1], "exec"), namespace)
failures = 0
for name in namespace["__all__"]:
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(namespace[name], name, globs=dict(namespace)):
        failures += runner.run(test).failed
cases = ast.literal_eval(sys.argv[2])  # a repr: keeps tuples (axis=(0, 2)) as tuples
inputs = np.load(sys.argv[3], allow_pickle=False)
results = {}
for i, (fn, n_args, kwargs) in enumerate(cases):
    args = [inputs[f"{i}_{k}"] for k in range(n_args)]
    out = namespace[fn](*args, **kwargs)
    outs = out if isinstance(out, tuple) else (out,)
    grads = namespace[fn + "_backward"](*[np.ones(np.shape(o)) for o in outs], *args, **kwargs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for k, v in enumerate((*outs, *grads)):
        results[f"{i}_{k}"] = np.asarray(v)
np.savez(sys.argv[4], **results)
print(json.dumps({"doctest_failures": failures}))
'''


@pytest.mark.parametrize("slug", sorted(TERMS))
def test_standalone_file_runs_without_the_package(slug: str, tmp_path: Path) -> None:
    term = TERMS[slug]
    module = importlib.import_module(term.module)
    path = tmp_path / (term.module.rsplit(".", 1)[1] + ".py")
    path.write_text(standalone_source(term.module), encoding="utf-8")

    # only numpy and the standard library are imported
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= {"numpy", "__future__"} | set(sys.stdlib_module_names), imported

    cases = [c for c in CASES if c.fn in module.__all__]
    rng = np.random.default_rng(0)
    inputs, spec = {}, []
    for i, case in enumerate(cases):
        args = case.make(rng)
        for k, a in enumerate(args):
            inputs[f"{i}_{k}"] = np.asarray(a)
        spec.append([case.fn, len(args), case.kwargs])
    np.savez(tmp_path / "inputs.npz", **inputs)

    result = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(path), repr(spec),
         str(tmp_path / "inputs.npz"), str(tmp_path / "outputs.npz")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"doctest_failures": 0}, result.stdout

    outputs = np.load(tmp_path / "outputs.npz")
    import snippets

    for i, case in enumerate(cases):
        args = [inputs[f"{i}_{k}"] for k in range(spec[i][1])]
        outs = as_outputs(getattr(snippets, case.fn)(*args, **case.kwargs))
        grads = getattr(snippets, case.fn + "_backward")(*[np.ones(np.shape(o)) for o in outs], *args, **case.kwargs)
        for k, expected in enumerate((*outs, *as_outputs(grads))):
            np.testing.assert_array_equal(outputs[f"{i}_{k}"], expected, err_msg=f"{case.id}, output {k}")


def test_the_standalone_runner_really_blocks_the_package(tmp_path: Path) -> None:
    """The isolation is real: a file that imports snippets fails under the same runner."""
    path = tmp_path / "bad.py"
    path.write_text("from snippets import sigmoid\n__all__ = []\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(path), "[]", "x", "y"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr or "ImportError" in result.stderr, result.stderr
