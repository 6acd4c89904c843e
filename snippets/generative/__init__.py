"""Generative models: autoencoders, VAEs, GANs and diffusion, and how to score their samples."""

from snippets.generative.reparameterization_trick import (
    pathwise_grad,
    reparameterize,
    reparameterize_backward,
    score_function_grad,
)
from snippets.generative.variational_autoencoder import (
    elbo,
    elbo_backward,
    gaussian_kl,
    gaussian_kl_backward,
)

__all__: list[str] = [
    "reparameterize",
    "reparameterize_backward",
    "pathwise_grad",
    "score_function_grad",
    "gaussian_kl",
    "gaussian_kl_backward",
    "elbo",
    "elbo_backward",
]
