"""snippets: the tested numpy implementations behind the deep-learning glossary.

Every public function is importable from here, like ``torch.nn.functional``::

    >>> from snippets import softmax
    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]

One subpackage per family; conventions shared by every function are in CONTRIBUTING.md.
"""

from snippets import (
    activations,
    attention,
    generative,
    initialization,
    layers,
    losses,
    metrics,
    normalization,
    optimization,
    probability,
    recurrent,
    regularization,
    reinforcement,
    sequence,
    training,
    vision,
)
from snippets.activations import *  # noqa: F403
from snippets.attention import *  # noqa: F403
from snippets.generative import *  # noqa: F403
from snippets.initialization import *  # noqa: F403
from snippets.layers import *  # noqa: F403
from snippets.losses import *  # noqa: F403
from snippets.metrics import *  # noqa: F403
from snippets.normalization import *  # noqa: F403
from snippets.optimization import *  # noqa: F403
from snippets.probability import *  # noqa: F403
from snippets.recurrent import *  # noqa: F403
from snippets.regularization import *  # noqa: F403
from snippets.reinforcement import *  # noqa: F403
from snippets.sequence import *  # noqa: F403
from snippets.training import *  # noqa: F403
from snippets.vision import *  # noqa: F403

__version__ = "0.1.0"

FAMILIES = (
    activations,
    attention,
    generative,
    initialization,
    layers,
    losses,
    metrics,
    normalization,
    optimization,
    probability,
    recurrent,
    regularization,
    reinforcement,
    sequence,
    training,
    vision,
)

__all__ = [name for family in FAMILIES for name in family.__all__]
