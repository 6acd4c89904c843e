"""Bad input, one rule for the whole package (CONTRIBUTING.md, "Bad input"), checked generically.

For every public function the calls in its own doctest examples are re-run with one float
spoiled at a time: the first element of each float array argument (also inside lists, tuples
and dicts of arrays), each float scalar argument, and each float hyperparameter left at its
default, becomes +inf, -inf, NaN or a huge finite value (1e300 in float64, 1e30 in float32:
its square overflows), with the same shape, dtype and container. Every call runs under
``warnings.simplefilter("error")``. It passes when it

- returns (any value: NaN and +-inf are often the right answer) and has not modified an input, or
- raises ``ValueError`` or ``TypeError`` whose message names one of the function's parameters.

Anything else fails: a ``RuntimeWarning`` (an exception here), ``FloatingPointError``,
``LinAlgError``, ``ZeroDivisionError``, ``OverflowError``, ``IndexError``, or an error that does
not say which argument was wrong. An exception raised inside a callable that the example itself
passes in (a ``lambda`` evaluated at the spoiled point) belongs to that callable and is let
through, as PyTorch lets the user's errors through.

The examples are the test's input, so a function without a doctest call fails, and so does one
whose calls have no float to spoil, unless ``NO_FLOAT_INPUT`` says why it takes none.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import doctest
import inspect
import io
import re
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import snippets

PACKAGE_DIR = str(Path(snippets.__file__).parent)
EXAMPLE_FILE = "<doctest example>"  # the file name the examples are compiled under

# Functions whose every argument is a size, a shape, integer labels, a generator or a callable:
# there is no float in them to spoil. Each entry says what the function takes instead.
NO_FLOAT_INPUT = {
    "causal_mask": "a sequence length",
    "sinusoidal_positional_encoding": "a sequence length and a model width",
    "fan_in_and_fan_out": "a weight shape",
    "conv_output_size": "integer sizes, kernel, stride, padding and dilation",
    "categorical_mle": "integer labels and a class count",
    "iterations_per_epoch": "sample and batch counts",
    "batch_indices": "sample and batch counts and a generator",
    "grid_search": "a callable and lists of candidate values to try",
    "one_hot": "integer class indices and a class count",
    "kfold_indices": "a sample count, a fold count and a generator",
    "stratified_kfold_indices": "integer class labels and a fold count",
    "iterate_minibatches": "sample and batch counts and a generator",
    "balanced_class_weights": "integer class labels",
    "oversample_indices": "integer class labels and a generator",
    "hard_vote": "integer class labels",
    "bagging_indices": "a sample count, a model count and a generator",
    "float16_range": "the name of a floating-point format",
    "broadcast_shapes": "shapes: tuples of integer sizes",
    "t5_relative_position_bucket": "integer relative positions, a flag and bucket counts",
    "skipgram_pairs": "integer token ids and a window size",
    "cooccurrence_matrix": "integer token ids, a vocabulary size, a window size and a flag",
    "greedy_decode": "a callable (the model) and integer token ids and lengths",
    "word_error_rate": "two lists of words",
    "modified_precision": "token sequences and an n-gram order",
    "brevity_penalty": "two integer lengths",
    "tokenize": "a string and a mode name",
    "build_vocab": "lists of string tokens and a count",
    "encode": "string tokens and a vocabulary",
    "decode": "integer token ids and a vocabulary",
    "learn_bpe": "word counts and a merge count",
    "bpe_encode": "a word and a list of merges",
    "ngram_counts": "a list of tokens and an order",
    "teacher_forcing_inputs": "integer token ids and a token id",
    "receptive_field": "integer kernel sizes, strides, dilations and paddings",
}

# The one documented exception to "never modify an input" (batch_norm's docstring, as PyTorch):
# these arguments are updated in place, so they are passed writable and not compared.
MODIFIED_IN_PLACE = {"batch_norm": {"running_mean", "running_var"}}


def spoilers(dtype: np.dtype) -> dict[str, float]:
    """The values a float is replaced by: the non-finite ones, and one whose square overflows."""
    huge = 1e300 if np.dtype(dtype) == np.float64 else 1e30
    return {"+inf": np.inf, "-inf": -np.inf, "nan": np.nan, "huge": huge}


@dataclass(frozen=True)
class Call:
    """One call of the function in a doctest example: the source of its argument list (as a call
    of ``_capture``) and the namespace the examples before it built."""

    source: str
    namespace: dict[str, Any]


def _capture(*args: Any, **kwargs: Any) -> tuple[tuple, dict]:
    return args, kwargs


def calls_of(name: str) -> list[Call]:
    """Every call of ``name`` in its docstring's examples, each with the setup that precedes it."""
    fn = getattr(snippets, name)
    namespace: dict[str, Any] = dict(vars(inspect.getmodule(fn)))  # doctest's globals
    namespace["_capture"] = _capture
    calls = []
    for example in doctest.DocTestParser().get_examples(inspect.getdoc(fn) or ""):
        found = [
            node
            for node in ast.walk(ast.parse(example.source))
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == name
        ]
        if example.exc_msg is None:  # an example that expects an exception has no call to re-run
            for node in found:
                capture = ast.Call(ast.Name("_capture", ast.Load()), node.args, node.keywords)
                calls.append(Call(ast.unparse(ast.fix_missing_locations(capture)), dict(namespace)))
        # run the example so that later ones see the names it defines, as doctest does
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("error")
            try:
                exec(compile(example.source, EXAMPLE_FILE, "exec"), namespace)
            except Exception:
                if example.exc_msg is None:
                    raise
    return calls


def evaluate(call: Call) -> tuple[tuple, dict]:
    """Fresh arguments for a call: its argument list evaluated again (new arrays, a new rng)."""
    return eval(compile(call.source, EXAMPLE_FILE, "eval"), dict(call.namespace))


def _float_array(value: Any) -> np.ndarray | None:
    """``value`` as an array if it is a non-empty float ndarray, or a list or tuple of floats."""
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind == "f" and value.size else None
    if isinstance(value, (list, tuple)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                arr = np.asarray(value)
        except (ValueError, TypeError, Warning):  # ragged, or not numbers
            return None
        return arr if arr.dtype.kind == "f" and arr.size else None
    return None


def places(value: Any, path: str) -> Iterator[tuple[str, np.dtype, Callable[[float], Any]]]:
    """Every float in one argument that can be spoiled: ``(where, dtype, put)``, where ``put(v)``
    builds a copy of ``value`` with ``v`` at ``where`` (same shape, dtype and container type)."""
    arr = _float_array(value)
    if arr is not None:
        def put(v: float, arr: np.ndarray = arr, value: Any = value) -> Any:
            out = np.array(arr, copy=True)
            out.flat[0] = v
            if isinstance(value, np.ndarray):
                return out
            return tuple(out.tolist()) if isinstance(value, tuple) else out.tolist()

        yield f"{path}[0]" if arr.ndim else path, arr.dtype, put
    elif isinstance(value, (float, np.floating)):
        yield path, np.dtype(type(value)) if isinstance(value, np.floating) else np.dtype(np.float64), (
            lambda v, kind=type(value): kind(v)
        )
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            for where, dtype, put_item in places(item, f"{path}[{i}]"):
                def put(v: float, i: int = i, put_item: Callable = put_item, value: Any = value) -> Any:
                    items = list(value)
                    items[i] = put_item(v)
                    return type(value)(items)

                yield where, dtype, put
    elif isinstance(value, dict):
        for key, item in value.items():
            for where, dtype, put_item in places(item, f"{path}[{key!r}]"):
                def put(v: float, key: Any = key, put_item: Callable = put_item, value: Any = value) -> Any:
                    return {**value, key: put_item(v)}

                yield where, dtype, put


def _read_only(value: Any) -> Any:
    """``value`` with every ndarray in it made read-only (a view), so an in-place write raises."""
    if isinstance(value, np.ndarray):
        view = value.view()
        view.setflags(write=False)
        return view
    if isinstance(value, (list, tuple)):
        return type(value)(_read_only(v) for v in value)
    if isinstance(value, dict):
        return {k: _read_only(v) for k, v in value.items()}
    return value


def _same(a: Any, b: Any) -> bool:
    """Deep equality of arguments, NaN equal to NaN; generators and callables are not compared."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    if isinstance(a, np.random.Generator) or callable(a):
        return True
    return a == b


def _raised_in_example(error: BaseException) -> bool:
    """True if ``error`` was raised in code the example passed in (its own lambda), after the
    package called it: the last frame that is the package's or the example's is the example's."""
    frames = [f.filename for f in traceback.extract_tb(error.__traceback__)
              if f.filename == EXAMPLE_FILE or f.filename.startswith(PACKAGE_DIR)]
    return len(frames) > 1 and frames[-1] == EXAMPLE_FILE and PACKAGE_DIR in "".join(frames)


@dataclass(frozen=True)
class Outcome:
    where: str
    spoiler: str
    result: str  # "returned", "ValueError", "TypeError", "in the example's callable", or "FAIL: ..."


def attempt(fn: Callable, arguments: dict[str, Any], named: re.Pattern) -> str:
    """Call ``fn`` with ``arguments`` under warnings-as-errors and classify what happened."""
    bound = inspect.signature(fn).bind_partial()
    bound.arguments.update(arguments)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fn(*bound.args, **bound.kwargs)
        except (ValueError, TypeError) as error:
            if _raised_in_example(error):
                return "in the example's callable"
            if named.search(str(error)):
                return type(error).__name__
            return f"FAIL: {type(error).__name__} naming no parameter: {error}"
        except Exception as error:  # noqa: BLE001 - any other exception is what this test looks for
            if _raised_in_example(error):
                return "in the example's callable"
            frame = traceback.extract_tb(error.__traceback__)[-1]
            return f"FAIL: {type(error).__name__}: {error} ({Path(frame.filename).name}:{frame.lineno})"
    return "returned"


def run(name: str) -> tuple[list[Call], list[Outcome]]:
    """Re-run every doctest call of ``name`` with each of its floats spoiled in turn."""
    fn = getattr(snippets, name)
    signature = inspect.signature(fn)
    named = re.compile(r"\b(" + "|".join(map(re.escape, signature.parameters)) + r")\b")
    in_place = MODIFIED_IN_PLACE.get(name, set())
    calls, outcomes = calls_of(name), []
    for k, call in enumerate(calls):
        template = signature.bind(*evaluate(call)[0], **evaluate(call)[1])
        template.apply_defaults()  # float hyperparameters at their defaults are spoiled too
        spots = [(arg, where, dtype) for arg, value in template.arguments.items()
                 for where, dtype, _ in places(value, arg)]
        for arg, where, dtype in spots:
            for label, bad in spoilers(dtype).items():
                args, kwargs = evaluate(call)
                fresh = signature.bind(*args, **kwargs)
                fresh.apply_defaults()
                arguments = dict(fresh.arguments)
                put = next(p for w, _, p in places(arguments[arg], arg) if w == where)
                arguments[arg] = put(bad)
                arguments = {a: v if a in in_place else _read_only(v) for a, v in arguments.items()}
                before = {a: copy.deepcopy(v) for a, v in arguments.items() if a not in in_place and not callable(v)}
                result = attempt(fn, arguments, named)
                if result == "returned" and not all(_same(v, arguments[a]) for a, v in before.items()):
                    result = "FAIL: returned, but modified an input"
                outcomes.append(Outcome(f"call {k + 1}, {where}", label, result))
    return calls, outcomes


def test_no_float_input_lists_only_public_functions() -> None:
    assert set(NO_FLOAT_INPUT) <= set(snippets.__all__)


def test_the_mechanism_quiets_bad_input_only() -> None:
    # @propagates_nonfinite: the same values either way; numpy's warnings are off only when an
    # argument is NaN, infinite or beyond DOCUMENTED_RANGE, so that in range a warning still
    # exposes a bug (here: exp overflowing for an in-range input, which a stable formula avoids)
    from snippets._validate import DOCUMENTED_RANGE, propagates_nonfinite

    @propagates_nonfinite
    def naive_exp_sum(x: np.ndarray, scale: float = 1.0) -> np.floating:
        return np.sum(np.exp(scale * np.asarray(x)))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="overflow"):
            naive_exp_sum([1000.0])  # 1000 <= DOCUMENTED_RANGE: the bug is reported
        for bad in ([np.inf], [np.nan], [2 * DOCUMENTED_RANGE], {"x": [1.0, -np.inf]}):
            x = bad["x"] if isinstance(bad, dict) else bad
            with np.errstate(all="ignore"):
                expected = np.sum(np.exp(np.asarray(x)))
            np.testing.assert_array_equal(naive_exp_sum(x), expected)
        assert naive_exp_sum([1.0], scale=np.inf) == np.inf  # a bad scalar counts too
    assert naive_exp_sum.__doc__ is None and naive_exp_sum.__name__ == "naive_exp_sum"


@pytest.mark.parametrize("name", snippets.__all__)
def test_bad_floats_give_a_value_or_a_clear_error(name: str) -> None:
    calls, outcomes = run(name)
    assert calls, f"{name} has no doctest call to re-run with bad input: add an example that calls it"
    if name in NO_FLOAT_INPUT:
        assert not outcomes, f"{name} is in NO_FLOAT_INPUT ({NO_FLOAT_INPUT[name]}) but has floats to spoil: remove it"
        return
    assert outcomes, f"{name}'s doctest calls have no float to spoil: add an example with one, or list it in NO_FLOAT_INPUT"
    failures = [f"{o.where} = {o.spoiler}: {o.result[6:]}" for o in outcomes if o.result.startswith("FAIL")]
    assert not failures, f"{name}: {len(failures)} of {len(outcomes)} spoiled calls failed:\n" + "\n".join(failures)
