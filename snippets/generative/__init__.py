"""Generative models: autoencoders, VAEs, GANs and diffusion, and how to score their samples."""

from snippets.generative.autoencoder import (
    autoencoder_forward,
    autoencoder_forward_backward,
    reconstruction_loss,
    reconstruction_loss_backward,
)
from snippets.generative.diffusion_model import (
    cosine_beta_schedule,
    ddpm_step,
    diffusion_loss,
    diffusion_loss_backward,
    linear_beta_schedule,
    q_sample,
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
from snippets.generative.reparameterization_trick import (
    pathwise_grad,
    reparameterize,
    reparameterize_backward,
    score_function_grad,
)
from snippets.generative.variational_autoencoder import elbo, elbo_backward, gaussian_kl, gaussian_kl_backward

__all__: list[str] = [
    "autoencoder_forward",
    "autoencoder_forward_backward",
    "reconstruction_loss",
    "reconstruction_loss_backward",
    "linear_beta_schedule",
    "cosine_beta_schedule",
    "q_sample",
    "ddpm_step",
    "diffusion_loss",
    "diffusion_loss_backward",
    "frechet_distance",
    "fid_from_features",
    "discriminator_loss",
    "discriminator_loss_backward",
    "generator_loss",
    "generator_loss_backward",
    "wgan_critic_loss",
    "wgan_critic_loss_backward",
    "optimal_discriminator",
    "reparameterize",
    "reparameterize_backward",
    "pathwise_grad",
    "score_function_grad",
    "gaussian_kl",
    "gaussian_kl_backward",
    "elbo",
    "elbo_backward",
]
