"""Time the numpy snippets against PyTorch (and scipy where PyTorch has no equivalent).

Everything runs on one CPU thread in one process. Before any timing, both sides' outputs are
compared with ``np.allclose``, so that the two timings measure the same work. Each case is then
warmed up (one call per side), and timed ``--repeats`` times per side, interleaved (ours,
reference, reference, ours, ...), so that a slow phase of the machine (the cores are shared) hits
both sides alike. Each row reports the median and the minimum of those runs for both sides, and
the two ratios ours / reference: ``ratio`` (medians) and ``ratio_min`` (minima).

Backward cases: ours is the package's ``f_backward(grad_out, x, ...)``, which recomputes what it
needs from the forward *input*; the reference is ``torch.autograd.grad`` on a graph built once
outside the timed region, i.e. PyTorch's backward kernels alone, fed the values autograd saved.

The allocator. A call that returns a 40 MB array pays for fresh memory: the kernel maps and zeroes
its pages on first touch (page faults), which can cost as much as the arithmetic. Whether a result
gets fresh pages depends on the C allocator's state, not on the code: glibc serves a block from
its heap (pages already touched) or maps it anew, by a threshold that it moves by itself as
blocks are freed (between 128 KiB and 32 MiB), and it keeps or returns the heap's free top by
another. The same 16 MB result of ``batch_norm`` thus measured 1.6x or 8x slower than PyTorch's,
depending on what ran before it. ``--allocator`` pins that state for the whole run, for both sides
(numpy and PyTorch both allocate through malloc), with glibc's ``mallopt``:

- ``fresh`` (the default, and the published table): both thresholds pinned at glibc's initial
  128 KiB. Every block of 128 KiB or more is mapped fresh when allocated and returned when freed,
  so every call pays the page faults of the memory it returns (its result, and its large
  temporaries), at every repeat, whatever ran before. Chosen because it is deterministic, because
  it is what glibc does anyway for every block of 32 MiB or more (all the 10^7-element rows), and
  because both sides return a new array at every call (no ``out=`` in the snippets' API), so the
  cost of fresh memory is part of what a caller pays on either side.
- ``warm``: no block is ever mapped or returned (``M_MMAP_MAX = 0``, no trimming): after the
  warm-up no call pays page faults, and the ratios compare arithmetic and memory traffic alone.
- ``system``: glibc's own moving thresholds (the unpinned state the 1.6x / 8x came from).

The page faults of each call are counted (``getrusage``) and published per row as
``ours / reference`` (the median over the timed runs), so the table shows which state each side
was in. numpy maps its buffers of 4 MB and more with transparent huge pages (one fault per 2 MB);
PyTorch does not (one fault per 4 kB page): for a fresh 40 MB result that is ~20 faults against
~10,000.

    python -m benchmarks.snippets_vs_reference                  # full sizes, a few minutes
    python -m benchmarks.snippets_vs_reference --quick          # small sizes, 3 repeats
    python -m benchmarks.snippets_vs_reference -k gelu --allocator warm
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # one BLAS / OpenMP thread; must be set before numpy (or torch) is first imported
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse
import contextlib
import ctypes
import ctypes.util
import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:  # page-fault counts (POSIX); elsewhere they are reported as unknown
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: make `snippets` importable
    sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "snippets.json"
TITLE = "numpy snippets vs PyTorch / scipy (CPU, one thread)"
COLUMNS = [
    ["case", "Case"],
    ["dtype", "dtype"],
    ["shape", "Shape"],
    ["ours_ms", "Ours, median (ms)"],
    ["reference_ms", "Reference, median (ms)"],
    ["ratio", "Ratio of medians"],
    ["ours_min_ms", "Ours, min (ms)"],
    ["reference_min_ms", "Reference, min (ms)"],
    ["ratio_min", "Ratio of minima"],
    ["page_faults", "Page faults per call (ours / reference)"],
    ["note", "Note"],
]
# allclose tolerances per dtype: a few hundred ulps of float32 covers the different summation
# orders of the reductions (rows of up to 4096 terms); float64 the same in its own precision
TOLERANCE = {"float32": (1e-4, 1e-6), "float64": (1e-10, 1e-12)}


@dataclass
class Case:
    """One timed pair: ``ours()`` and ``reference()`` compute the same thing."""

    case: str
    dtype: str
    shape: str
    ours: Callable[[], Any]
    reference: Callable[[], Any]
    note: str = ""
    rtol: float | None = None
    atol: float | None = None


def _numpy(value: Any) -> list[np.ndarray]:
    """Outputs as a flat list of numpy arrays (tensors detached, tuples flattened)."""
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _numpy(v)]
    if hasattr(value, "detach"):
        return [value.detach().numpy()]
    return [np.asarray(value)]


def check(case: Case) -> str | None:
    """None if both sides agree to the case's tolerance, else a description of the mismatch."""
    rtol, atol = TOLERANCE[case.dtype]
    rtol, atol = case.rtol or rtol, case.atol or atol
    ours, ref = _numpy(case.ours()), _numpy(case.reference())
    if len(ours) != len(ref):
        return f"{len(ours)} outputs vs {len(ref)}"
    for k, (a, b) in enumerate(zip(ours, ref)):
        if a.shape != b.shape:
            return f"output {k}: shape {a.shape} vs {b.shape}"
        if not np.allclose(a, b, rtol=rtol, atol=atol):
            return f"output {k}: max |diff| = {np.max(np.abs(a.astype(np.float64) - b)):.3g}"
    return None


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else -1


@dataclass
class Timing:
    """Interleaved timings of one case: milliseconds and page faults per call, for each side."""

    ours_ms: list[float]
    reference_ms: list[float]
    ours_faults: list[int]
    reference_faults: list[int]

    def summary(self) -> dict[str, Any]:
        ours_med, ref_med = statistics.median(self.ours_ms), statistics.median(self.reference_ms)
        ours_min, ref_min = min(self.ours_ms), min(self.reference_ms)
        faults = "?" if resource is None else (
            f"{statistics.median(self.ours_faults):.0f} / {statistics.median(self.reference_faults):.0f}")
        return {
            "ours_ms": round(ours_med, 3), "reference_ms": round(ref_med, 3),
            "ratio": round(ours_med / ref_med, 2),
            "ours_min_ms": round(ours_min, 3), "reference_min_ms": round(ref_min, 3),
            "ratio_min": round(ours_min / ref_min, 2),
            "page_faults": faults,
        }


def time_pair(ours: Callable[[], Any], reference: Callable[[], Any], repeats: int) -> Timing:
    """Wall time (ms) and minor page faults of each call: one warm-up call per side, then
    ``repeats`` calls per side, interleaved (ours first in even rounds, the reference first in odd
    ones). Each result is freed before the next call, as a loop that discards it would."""
    ours(), reference()
    timing = Timing([], [], [], [])
    sides = {"ours": (ours, timing.ours_ms, timing.ours_faults),
             "reference": (reference, timing.reference_ms, timing.reference_faults)}
    for r in range(repeats):
        order = ("ours", "reference") if r % 2 == 0 else ("reference", "ours")
        for name in order:
            fn, times, faults = sides[name]
            faults_before = _minor_faults()
            start = time.perf_counter()
            out = fn()
            times.append(1e3 * (time.perf_counter() - start))
            faults.append(_minor_faults() - faults_before)
            del out  # free the result before the other side runs
    return timing


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4
ALLOCATOR_MODES: dict[str, dict[str, Any]] = {
    "fresh": {
        "mallopt": {"M_MMAP_THRESHOLD": 128 * 1024, "M_TRIM_THRESHOLD": 128 * 1024},
        "effect": "every block of 128 KiB or more is mapped fresh when allocated and returned when "
                  "freed: every call pays the page faults of the memory it returns, at every repeat",
        "why": "deterministic (no row depends on what ran before it); what glibc does by itself for "
               "blocks of 32 MiB or more, i.e. for every 10^7-element row; and both sides return a new "
               "array at every call, so fresh memory is part of what a caller pays on either side",
    },
    "warm": {
        "mallopt": {"M_MMAP_MAX": 0, "M_TRIM_THRESHOLD": 2**31 - 1},
        "effect": "no block is mapped or returned to the system: after the warm-up no call pays page faults",
        "why": "compares arithmetic and memory traffic alone",
    },
    "system": {
        "mallopt": {},
        "effect": "glibc's adaptive thresholds, as they move during the run",
        "why": "unpinned, for comparison: rows then depend on what ran before them",
    },
}


def configure_allocator(mode: str) -> dict[str, Any]:
    """Pin glibc's allocator in ``mode`` (see ALLOCATOR_MODES and the module docstring); the
    description returned goes into the results. Elsewhere than on glibc nothing is changed."""
    spec = ALLOCATOR_MODES[mode]
    info = {"mode": mode, **spec}
    if not spec["mallopt"]:
        return info
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        info["mode"] = f"{mode} requested, but mallopt is unavailable (not glibc): system default"
        return info
    params = {"M_TRIM_THRESHOLD": _M_TRIM_THRESHOLD, "M_MMAP_THRESHOLD": _M_MMAP_THRESHOLD,
              "M_MMAP_MAX": _M_MMAP_MAX}
    for name, value in spec["mallopt"].items():
        if mallopt(ctypes.c_int(params[name]), ctypes.c_int(value)) != 1:
            raise RuntimeError(f"mallopt({name}, {value}) failed")
    return info


def _torch_name(fn: Any) -> str:
    """torch.sigmoid / F.gelu, as a reader would write it."""
    module = "F" if "functional" in getattr(fn, "__module__", "") else "torch"
    return f"{module}.{fn.__name__}"


def build_cases(torch: Any, quick: bool) -> list[Case]:
    """The benchmark cases, with their inputs created once (seeded)."""
    import scipy.special
    import torch.nn.functional as F

    import snippets as S

    rng = np.random.default_rng(0)
    side = 256 if quick else 4096
    ce_n, ce_c = (1024, 100) if quick else (65_536, 1_000)
    n_act = 10**5 if quick else 10**7
    bn_n, bn_c = (256, 64) if quick else (4096, 1024)
    seq_t, seq_n, seq_i, seq_h = (5, 8, 32, 32) if quick else (100, 64, 256, 256)

    def t(a: np.ndarray, grad: bool = False) -> Any:
        tensor = torch.from_numpy(a)
        return tensor.requires_grad_(True) if grad else tensor

    def grad_of(fn: Callable[..., Any], inputs: list[np.ndarray], grad_out: np.ndarray | None) -> Callable[[], Any]:
        """torch.autograd.grad of fn(*inputs) on a graph built once: times the backward alone."""
        leaves = [t(a, grad=True) for a in inputs]
        out = fn(*leaves)
        g = None if grad_out is None else t(grad_out)
        return lambda: torch.autograd.grad(out, leaves, g, retain_graph=True)

    cases: list[Case] = []
    for dt in (np.float32, np.float64):
        name = np.dtype(dt).name
        x = rng.normal(scale=3.0, size=(side, side)).astype(dt)
        xt = t(x)
        shape = f"{side}x{side}"
        cases += [
            Case("softmax", name, shape, lambda x=x: S.softmax(x, axis=-1),
                 lambda xt=xt: torch.softmax(xt, dim=-1), "torch.softmax"),
            Case("log_softmax", name, shape, lambda x=x: S.log_softmax(x, axis=-1),
                 lambda xt=xt: torch.log_softmax(xt, dim=-1), "torch.log_softmax"),
            Case("logsumexp vs scipy", name, shape, lambda x=x: S.logsumexp(x, axis=-1),
                 lambda x=x: scipy.special.logsumexp(x, axis=-1), "scipy.special.logsumexp"),
            Case("logsumexp vs torch", name, shape, lambda x=x: S.logsumexp(x, axis=-1),
                 lambda xt=xt: torch.logsumexp(xt, dim=-1), "torch.logsumexp"),
        ]

    # cross-entropy: float32 only (a float64 copy of 65,536 x 1,000 logits and its temporaries
    # would take several GB)
    logits = rng.normal(scale=3.0, size=(ce_n, ce_c)).astype(np.float32)
    target = rng.integers(0, ce_c, size=ce_n)
    shape = f"{ce_n}x{ce_c}"
    cases += [
        Case("cross_entropy forward", "float32", shape, lambda: S.cross_entropy(logits, target),
             lambda: F.cross_entropy(t(logits), t(target)), "F.cross_entropy, integer targets"),
        Case("cross_entropy backward", "float32", shape,
             lambda: S.cross_entropy_backward(np.float32(1.0), logits, target),
             grad_of(lambda z: F.cross_entropy(z, t(target)), [logits], None),
             "torch.autograd.grad of F.cross_entropy"),
    ]

    for dt in (np.float32, np.float64):
        name = np.dtype(dt).name
        x = rng.normal(scale=3.0, size=n_act).astype(dt)
        g = rng.normal(size=n_act).astype(dt)
        xt = t(x)
        shape = f"{n_act:.0e}".replace("e+0", "e") if not quick else str(n_act)
        # every elementwise activation of the package (the activation-function page shows their
        # relative cost from these rows)
        activations = (("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu),
                       ("leaky_relu", F.leaky_relu), ("gelu", F.gelu), ("silu", F.silu))
        for act, tfn in activations:
            fwd, bwd = getattr(S, act), getattr(S, f"{act}_backward")
            cases += [
                Case(f"{act} forward", name, shape, lambda fwd=fwd, x=x: fwd(x),
                     lambda tfn=tfn, xt=xt: tfn(xt), _torch_name(tfn),
                     # torch's float32 gelu computes x/2 (1 + erf(x/sqrt 2)), which cancels in the
                     # left tail: 1.2e-3 relative error at x = -3.45 (ours: 6e-8, both against a
                     # float64 evaluation); the comparison allows that much
                     rtol=2e-3 if (act, name) == ("gelu", "float32") else None),
                Case(f"{act} backward", name, shape, lambda bwd=bwd, g=g, x=x: bwd(g, x),
                     grad_of(tfn, [x], g), f"torch.autograd.grad of {_torch_name(tfn)}"),
            ]

    for dt in (np.float32, np.float64):
        name = np.dtype(dt).name
        x = rng.normal(loc=1.0, scale=2.0, size=(bn_n, bn_c)).astype(dt)
        gamma = rng.normal(size=bn_c).astype(dt)
        beta = rng.normal(size=bn_c).astype(dt)
        g = rng.normal(size=(bn_n, bn_c)).astype(dt)
        shape = f"{bn_n}x{bn_c}"

        def torch_bn(z: Any, w: Any, b: Any) -> Any:
            return F.batch_norm(z, None, None, w, b, training=True, eps=1e-5)

        cases += [
            Case("batch_norm forward", name, shape,
                 lambda x=x, gamma=gamma, beta=beta: S.batch_norm(x, gamma, beta, training=True),
                 lambda x=x, gamma=gamma, beta=beta: torch_bn(t(x), t(gamma), t(beta)),
                 "F.batch_norm, training=True, no running statistics",
                 # float32: both sides sum 4096 rows per channel in different orders, so the means
                 # differ by ~1e-6 relative; scaled by gamma / std that is up to ~2e-5 absolute
                 atol=1e-4 if dt == np.float32 else None),
            Case("batch_norm backward", name, shape,
                 lambda x=x, gamma=gamma, beta=beta, g=g: S.batch_norm_backward(g, x, gamma, beta),
                 grad_of(torch_bn, [x, gamma, beta], g),
                 "torch.autograd.grad of F.batch_norm (dx, dgamma, dbeta)",
                 # float32 sums over 4096 rows in a different order: relative error ~1e-5 of the
                 # per-channel sums, which dx takes as a difference of terms of size ~1
                 rtol=1e-3 if dt == np.float32 else None, atol=1e-4 if dt == np.float32 else None),
        ]

    # LSTM: the package has the sequence forward `lstm` (a Python loop over time steps around one
    # vectorised step) but no backward for a whole sequence, so only the forward is timed
    lstm_ref = torch.nn.LSTM(seq_i, seq_h)
    scale = 1 / np.sqrt(seq_h)
    weights = [rng.uniform(-scale, scale, size=s).astype(np.float32)
               for s in ((4 * seq_h, seq_i), (4 * seq_h, seq_h), (4 * seq_h,), (4 * seq_h,))]
    with torch.no_grad():
        for p, w in zip((lstm_ref.weight_ih_l0, lstm_ref.weight_hh_l0, lstm_ref.bias_ih_l0,
                         lstm_ref.bias_hh_l0), weights):
            p.copy_(t(w))
    x_seq = rng.normal(size=(seq_t, seq_n, seq_i)).astype(np.float32)
    h0 = rng.normal(scale=0.5, size=(seq_n, seq_h)).astype(np.float32)
    c0 = rng.normal(scale=0.5, size=(seq_n, seq_h)).astype(np.float32)

    def torch_lstm() -> Any:
        with torch.no_grad():
            out, (h_t, c_t) = lstm_ref(t(x_seq), (t(h0)[None], t(c0)[None]))
        return out, h_t[0], c_t[0]

    cases.append(Case(
        "lstm forward", "float32", f"T={seq_t}, N={seq_n}, I=H={seq_h}",
        lambda: (lambda out, hc: (out, *hc))(*S.lstm(x_seq, h0, c0, *weights)), torch_lstm,
        "torch.nn.LSTM (whole sequence); no sequence backward in the package",
        rtol=1e-4, atol=1e-5,
    ))
    return cases


def _fmt_ms(ms: float) -> str:
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def print_table(rows: list[dict[str, Any]]) -> None:
    header = [label for _, label in COLUMNS]
    body = [[_fmt_ms(row[key]) if key.endswith("_ms") else str(row[key]) for key, _ in COLUMNS]
            for row in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *body]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())


def machine_info(torch: Any) -> dict[str, Any]:
    import scipy

    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
    }


# Why a ratio above 2.0 remains (measured with a profiler, see the issue); appended to the note of
# a row whose ratio is above 2.0. Keyed by case name: the reason is the same in both dtypes.
REASONS: dict[str, str] = {
    "softmax": "numpy makes a separate pass over the array per step (max, subtract, exp, sum, "
               "divide); torch does each row in one fused kernel",
    "log_softmax": "numpy makes a separate pass per step (max, subtract, exp, sum, subtract); "
                   "torch does each row in one fused kernel",
    "cross_entropy forward": "log-softmax as separate numpy passes over 65M values, plus one more "
                             "for the label-smoothing sum; torch fuses log_softmax per row",
    "cross_entropy backward": "recomputes the softmax from the logits in separate numpy passes; "
                              "torch's backward reads its saved log-softmax",
    "sigmoid forward": "the overflow-free two-branch formula as seven numpy passes (|x|, negate, "
                       "exp, compare, max, add, divide) over cache-sized blocks; torch evaluates it "
                       "in one fused vectorised kernel",
    "sigmoid backward": "recomputes e = exp(-|x|) from x (1 - sigmoid(x) would lose precision near "
                        "1) and forms grad * e / (1 + e)^2 in seven passes over cache-sized blocks; "
                        "torch multiplies grad by its saved output in one kernel",
    "tanh backward": "recomputes sech^2 from x as 4u / (1 + u)^2 with u = exp(-2|x|) (accurate "
                     "where 1 - tanh^2 cancels), nine passes over cache-sized blocks; torch "
                     "computes grad * (1 - y^2) from its saved output in one kernel",
    "relu backward": "three vectorised passes (compare, integer mask, bitwise AND) and one for the "
                     "NaN check; torch's threshold_backward is one fused select",
    "leaky_relu forward": "two vectorised passes (slope * x, then the max of the two); torch's "
                          "kernel is one fused select",
    "leaky_relu backward": "three vectorised passes (sign, max with the slope, product with grad); "
                           "torch's leaky_relu_backward is one fused select",
    "gelu forward": "numpy has no erf: the normal tail is a rational function of |x| times "
                    "exp(-x^2/2), evaluated in float64 even for float32 input (1e-7 relative "
                    "accuracy needs it), about fifteen passes (powers, one matrix product for both "
                    "polynomials, exp, divide) over cache-sized blocks; torch calls a vectorised "
                    "float32 erf in one fused kernel",
    "gelu backward": "the same float64 rational tail and Gaussian density plus the sign logic, "
                     "about twenty passes over cache-sized blocks; torch computes erf and exp from "
                     "its saved input in one fused float32 kernel",
    "silu forward": "the overflow-free sigmoid (seven passes) and the clipped product, over "
                    "cache-sized blocks; torch fuses it in one kernel",
    "silu backward": "(n d + x e) / d^2 with e = exp(-|x|), d = 1 + e (no 1 - sigmoid "
                     "cancellation): thirteen passes over cache-sized blocks; torch fuses the "
                     "derivative in one kernel",
    "batch_norm forward": "one numpy pass per step (shift, centre, square, two means, scale, shift) "
                          "over 4M values; torch computes the statistics and output in fused "
                          "per-channel kernels",
    "batch_norm backward": "recomputes mean and variance from x (the signature takes x, not saved "
                           "statistics), then one numpy pass per step; torch reuses its saved "
                           "statistics in one fused kernel",
    "lstm forward": "a Python loop over 100 steps of separate numpy ops; numpy's OpenBLAS matrix "
                    "products are ~2x slower here than torch's MKL on one thread",
    "logsumexp vs torch": "max, subtract, exp, argmax and sum are separate numpy passes (the "
                          "argmax finds the term log1p leaves out); torch makes fewer passes",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Each row: median and minimum of the interleaved runs of both sides, their ratios, and "
               "the page faults per call; see the module docstring for the allocator modes.")
    parser.add_argument("--quick", action="store_true", help="small sizes and 3 repeats (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per side (default 9, quick 3)")
    parser.add_argument("--allocator", choices=sorted(ALLOCATOR_MODES), default="fresh",
                        help="how glibc's allocator is pinned for the run (default: fresh)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    parser.add_argument("-k", dest="only", default=None, help="only the cases whose name contains this")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 9)
    allocator = configure_allocator(args.allocator)

    import torch

    torch.set_num_threads(1)
    try:  # imported as a module, numpy's BLAS may already have started its threads: cap them
        from threadpoolctl import threadpool_limits

        limits: Any = threadpool_limits(1)
    except ImportError:
        limits = contextlib.nullcontext()

    rows: list[dict[str, Any]] = []
    failed = []
    with limits:
        cases = build_cases(torch, args.quick)
        if args.only:
            cases = [c for c in cases if args.only in c.case]
        for case in cases:
            mismatch = check(case)
            if mismatch:
                failed.append(f"{case.case} ({case.dtype}): {mismatch}")
                print(f"MISMATCH {failed[-1]}", file=sys.stderr)
                continue
            summary = time_pair(case.ours, case.reference, repeats).summary()
            note = case.note
            reason = REASONS.get(case.case)
            if reason and max(summary["ratio"], summary["ratio_min"]) > 2.0:
                note = f"{note}; {reason}"
            rows.append({"case": case.case, "dtype": case.dtype, "shape": case.shape, **summary, "note": note})
            print(f"  {case.case} ({case.dtype}): median {_fmt_ms(summary['ours_ms'])} vs "
                  f"{_fmt_ms(summary['reference_ms'])} ms ({summary['ratio']}x), min "
                  f"{_fmt_ms(summary['ours_min_ms'])} vs {_fmt_ms(summary['reference_min_ms'])} ms "
                  f"({summary['ratio_min']}x), faults {summary['page_faults']}", file=sys.stderr, flush=True)

    print_table(rows)
    result = {
        "title": TITLE,
        "machine": machine_info(torch),
        "timing": {
            "repeats": repeats,
            "method": "one warm-up call per side, then the two sides alternately (ours first in even "
                      "rounds, the reference first in odd ones); median and minimum per side, and "
                      "ratio = median / median, ratio_min = min / min",
        },
        "allocator": allocator,
        "columns": COLUMNS,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    if failed:
        print(f"{len(failed)} case(s) skipped: the two sides disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
