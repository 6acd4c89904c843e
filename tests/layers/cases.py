"""Gradient-check cases for snippets.layers (collected by tests/cases.py)."""

from tests.gradcheck import Case

CASES: list[Case] = []

# linear: the bias is passed so that all three gradients are checked; x has two leading axes
CASES += [
    Case("linear", lambda r: (r.normal(size=(2, 3, 4)), r.normal(size=(5, 4)), r.normal(size=5)), wrt=(0, 1, 2)),
]

# embedding: indices (2, 4) drawn from 5 ids, so some repeat; only the weight is differentiable
CASES += [
    Case("embedding", lambda r: (r.integers(0, 5, size=(2, 4)), r.normal(size=(5, 3))), wrt=(1,)),
]

# conv2d: non-square kernels and images, several channels; stride and padding both > 1 and unequal
CASES += [
    Case("conv2d", lambda r: (r.normal(size=(2, 3, 5, 4)), r.normal(size=(2, 3, 3, 2)), r.normal(size=2)), wrt=(0, 1, 2)),
    Case(
        "conv2d",
        lambda r: (r.normal(size=(1, 2, 7, 6)), r.normal(size=(3, 2, 3, 3)), r.normal(size=3)),
        wrt=(0, 1, 2),
        kwargs={"stride": (2, 3), "padding": (1, 2)},
        label="stride-padding",
    ),
]

# residual_block: x (3, 4), branch 4 -> 5 -> 4; normal pre-activations are almost surely clear of relu's kink
CASES += [
    Case(
        "residual_block",
        lambda r: (r.normal(size=(3, 4)), r.normal(size=(5, 4)), r.normal(size=5), r.normal(size=(4, 5)), r.normal(size=4)),
        wrt=(0, 1, 2, 3, 4),
    ),
]

# pooling: max pooling on a permutation of 0..size-1 (distinct values 1 apart: no ties for the finite
# differences to straddle); overlapping windows (stride < kernel) with padding, and the default tiling
CASES += [
    Case("max_pool2d", lambda r: (r.permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5).astype(float),), kwargs={"kernel_size": 2}),
    Case(
        "max_pool2d",
        lambda r: (r.permutation(1 * 3 * 7 * 6).reshape(1, 3, 7, 6).astype(float),),
        kwargs={"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1)},
        label="overlap-padding",
    ),
    Case("avg_pool2d", lambda r: (r.normal(size=(2, 2, 6, 5)),), kwargs={"kernel_size": 2}),
    Case(
        "avg_pool2d",
        lambda r: (r.normal(size=(1, 3, 7, 6)),),
        kwargs={"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1)},
        label="overlap-padding",
    ),
]

# depthwise: 3 channels, non-square kernel, unequal stride and padding; separable: the same
# depthwise step followed by a 1x1 mix of the 3 channels into 4
CASES += [
    Case(
        "depthwise_conv2d",
        lambda r: (r.normal(size=(2, 3, 6, 5)), r.normal(size=(3, 1, 3, 2)), r.normal(size=3)),
        wrt=(0, 1, 2),
        kwargs={"stride": (2, 1), "padding": (1, 2)},
    ),
    Case(
        "depthwise_separable_conv2d",
        lambda r: (r.normal(size=(2, 3, 6, 5)), r.normal(size=(3, 1, 3, 2)), r.normal(size=(4, 3, 1, 1))),
        wrt=(0, 1, 2),
        kwargs={"stride": (2, 1), "padding": (1, 2)},
    ),
]

# conv_transpose2d: non-square kernel, unequal stride, padding and output_padding (< stride)
CASES += [
    Case(
        "conv_transpose2d",
        lambda r: (r.normal(size=(2, 3, 3, 4)), r.normal(size=(3, 2, 3, 2)), r.normal(size=2)),
        wrt=(0, 1, 2),
        kwargs={"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)},
    ),
]

# upsampling: a non-integer nearest factor (copies of uneven multiplicity) and bilinear resizing
# to a size that is neither a multiple nor a divisor of the input, with both corner conventions
CASES += [
    Case("upsample_nearest2d", lambda r: (r.normal(size=(2, 2, 3, 4)),), kwargs={"scale_factor": (2, 1.5)}),
    Case("upsample_bilinear2d", lambda r: (r.normal(size=(2, 2, 3, 4)),), kwargs={"size": (7, 5)}),
    Case(
        "upsample_bilinear2d",
        lambda r: (r.normal(size=(1, 3, 4, 3)),),
        kwargs={"size": (6, 8), "align_corners": True},
        label="align-corners",
    ),
]

# adaptive average pooling: a 7x5 map into 3x2 cells (overlapping, of unequal sizes) and into more
# cells than pixels; global average pooling: the mean of each map
CASES += [
    Case("adaptive_avg_pool2d", lambda r: (r.normal(size=(2, 3, 7, 5)),), kwargs={"output_size": (3, 2)}),
    Case("adaptive_avg_pool2d", lambda r: (r.normal(size=(1, 2, 3, 2)),), kwargs={"output_size": (4, 5)}, label="more-cells"),
    Case("global_avg_pool2d", lambda r: (r.normal(size=(2, 3, 4, 5)),)),
]

# flatten: the middle axes of a 4-d array (a batch kept in front, a trailing axis kept behind);
# unflatten: split axis 1 of size 6 into (2, 3)
CASES += [
    Case("flatten", lambda r: (r.normal(size=(2, 3, 2, 4)),), kwargs={"start_dim": 1, "end_dim": 2}),
    Case("unflatten", lambda r: (r.normal(size=(2, 6, 3)),), kwargs={"axis": 1, "sizes": (2, 3)}),
]

# conv1x1: 4 channels mixed into 3 at every pixel of a non-square map
CASES += [
    Case("conv1x1", lambda r: (r.normal(size=(2, 4, 3, 5)), r.normal(size=(3, 4, 1, 1)), r.normal(size=3)), wrt=(0, 1, 2)),
]

# einsum: a three-operand contraction with a repeated index (a diagonal) and an index summed away;
# bmm: a batch of 2 products of 3x4 and 4x2 matrices
CASES += [
    Case(
        "einsum",
        lambda r: ("iij,jk,k->i", r.normal(size=(3, 3, 4)), r.normal(size=(4, 5)), r.normal(size=5)),
        wrt=(1, 2, 3),
    ),
    Case("bmm", lambda r: (r.normal(size=(2, 3, 4)), r.normal(size=(2, 4, 2))), wrt=(0, 1)),
]

# unbroadcast: a (2, 4, 3) gradient summed back to (4, 1): one added leading axis, one stretched axis
CASES += [
    Case("unbroadcast", lambda r: (r.normal(size=(2, 4, 3)),), kwargs={"shape": (4, 1)}),
]
