"""Generative models: autoencoders, VAEs, GANs and diffusion, and how to score their samples."""

from snippets.generative.variational_autoencoder import (
    elbo,
    elbo_backward,
    gaussian_kl,
    gaussian_kl_backward,
)

__all__: list[str] = [
    "gaussian_kl",
    "gaussian_kl_backward",
    "elbo",
    "elbo_backward",
]
