"""Probability: the quantities deep learning borrows from statistics and information theory."""

__all__: list[str] = []

from snippets.probability.entropy import entropy  # noqa: E402

__all__ += ["entropy"]

from snippets.probability.maximum_likelihood import (  # noqa: E402
    categorical_mle,
    gaussian_mle,
    gaussian_mle_backward,
)

__all__ += ["gaussian_mle", "gaussian_mle_backward", "categorical_mle"]

from snippets.probability.logits import logit, logit_backward  # noqa: E402

__all__ += ["logit", "logit_backward"]

from snippets.probability.log_sum_exp import logsumexp, logsumexp_backward  # noqa: E402

__all__ += ["logsumexp", "logsumexp_backward"]

from snippets.probability.one_hot_encoding import from_one_hot, one_hot  # noqa: E402

__all__ += ["one_hot", "from_one_hot"]

from snippets.probability.cosine_similarity import (  # noqa: E402
    cosine_similarity,
    cosine_similarity_backward,
    normalize,
    normalize_backward,
)

__all__ += ["cosine_similarity", "cosine_similarity_backward", "normalize", "normalize_backward"]

from snippets.probability.gumbel_softmax import (  # noqa: E402
    gumbel_max_sample,
    gumbel_softmax,
    gumbel_softmax_backward,
)

__all__ += ["gumbel_softmax", "gumbel_softmax_backward", "gumbel_max_sample"]

from snippets.probability.mutual_information import (  # noqa: E402
    mutual_info_score,
    mutual_information,
    mutual_information_backward,
)

__all__ += ["mutual_information", "mutual_information_backward", "mutual_info_score"]

from snippets.probability.bayes_theorem import (  # noqa: E402
    log_posterior,
    log_posterior_backward,
    posterior,
    posterior_backward,
)

__all__ += ["posterior", "posterior_backward", "log_posterior", "log_posterior_backward"]

from snippets.probability.softmax_temperature import (  # noqa: E402
    sample_with_temperature,
    softmax_with_temperature,
    softmax_with_temperature_backward,
)

__all__ += ["softmax_with_temperature", "softmax_with_temperature_backward", "sample_with_temperature"]
