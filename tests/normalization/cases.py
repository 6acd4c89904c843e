"""Gradient-check cases for snippets.normalization (collected by tests/cases.py)."""

import numpy as np

from tests.gradcheck import Case

CASES: list[Case] = [
    # no running statistics: the generic tests call batch_norm many times and nothing is written
    Case("batch_norm", lambda r: (r.normal(size=(5, 3)) * 2 + 1, r.normal(size=3), r.normal(size=3)), wrt=(0, 1, 2)),
    Case(
        "batch_norm",
        lambda r: (r.normal(size=(2, 3, 2, 2)), r.normal(size=3), r.normal(size=3)),
        wrt=(0, 1, 2),
        kwargs={"eps": 0.1},
        label="nchw-eps",
    ),
    # layer_norm: (N, D) with weight and bias; and (N, L, H, W) over the last two dims
    Case(
        "layer_norm",
        lambda r: (r.normal(size=(4, 5)) * 2 + 1, 5, r.normal(size=5), r.normal(size=5)),
        wrt=(0, 2, 3),
    ),
    Case(
        "layer_norm",
        lambda r: (r.normal(size=(2, 3, 2, 3)), (2, 3), r.normal(size=(2, 3)), r.normal(size=(2, 3))),
        wrt=(0, 2, 3),
        kwargs={"eps": 0.1},
        label="2d-eps",
    ),
    # rms_norm: (N, D) with a gain and the default eps; (N, L, H, W) over two dims with eps given
    Case("rms_norm", lambda r: (r.normal(size=(4, 5)) + 0.5, 5, r.normal(size=5)), wrt=(0, 2)),
    Case(
        "rms_norm",
        lambda r: (r.normal(size=(2, 3, 2, 3)), (2, 3), r.normal(size=(2, 3))),
        wrt=(0, 2),
        kwargs={"eps": 0.1},
        label="2d-eps",
    ),
    # group_norm: (N, C, L) in 2 groups; (N, C, H, W) in 3 groups with eps given
    Case(
        "group_norm",
        lambda r: (r.normal(size=(3, 4, 5)) * 2 + 1, 2, r.normal(size=4), r.normal(size=4)),
        wrt=(0, 2, 3),
    ),
    Case(
        "group_norm",
        lambda r: (r.normal(size=(2, 6, 2, 3)), 3, r.normal(size=6), r.normal(size=6)),
        wrt=(0, 2, 3),
        kwargs={"eps": 0.1},
        label="nchw-eps",
    ),
    # instance_norm: (N, C, H, W) with weight and bias; adain: content and style of other sizes
    Case(
        "instance_norm",
        lambda r: (r.normal(size=(2, 3, 2, 3)) * 2 + 1, r.normal(size=3), r.normal(size=3)),
        wrt=(0, 1, 2),
    ),
    Case("adain", lambda r: (r.normal(size=(2, 3, 4)), r.normal(size=(2, 3, 2, 3)) * 2 + 1), wrt=(0, 1)),
    # weight_norm: a (out, in) weight with one length per row; a conv weight over the whole tensor
    Case("weight_norm", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 1))), wrt=(0, 1)),
    Case(
        "weight_norm",
        lambda r: (r.normal(size=(2, 3, 2, 2)), np.array(r.normal())),
        wrt=(0, 1),
        kwargs={"axis": None},
        label="whole",
    ),
]
