"""snippets: the tested numpy implementations behind the deep-learning glossary.

Every public function is importable from here, like ``torch.nn.functional``::

    >>> from snippets import softmax
    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]

Conventions shared by every function are described in CONTRIBUTING.md.
"""

from snippets import activations, losses, optimization
from snippets.activations import *  # noqa: F403
from snippets.losses import *  # noqa: F403
from snippets.optimization import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [*activations.__all__, *losses.__all__, *optimization.__all__]
