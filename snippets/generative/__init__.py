"""Generative models: autoencoders, VAEs, GANs and diffusion, and how to score their samples."""

from snippets.generative.autoencoder import (
    autoencoder_forward,
    autoencoder_forward_backward,
    reconstruction_loss,
    reconstruction_loss_backward,
)
from snippets.generative.frechet_inception_distance import fid_from_features, frechet_distance
from snippets.generative.generative_adversarial_network import (
    discriminator_loss,
    discriminator_loss_backward,
    generator_loss,
    generator_loss_backward,
    optimal_discriminator,
    wgan_critic_loss,
    wgan_critic_loss_backward,
)

__all__: list[str] = [
    "discriminator_loss",
    "discriminator_loss_backward",
    "generator_loss",
    "generator_loss_backward",
    "wgan_critic_loss",
    "wgan_critic_loss_backward",
    "optimal_discriminator",
    "frechet_distance",
    "fid_from_features",
    "autoencoder_forward",
    "autoencoder_forward_backward",
    "reconstruction_loss",
    "reconstruction_loss_backward",
]
