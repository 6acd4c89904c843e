"""Generative models: autoencoders, VAEs, GANs and diffusion, and how to score their samples."""

__all__: list[str] = []
