"""Gradient-check cases for snippets.generative (collected by tests/cases.py)."""


from tests.gradcheck import Case

CASES: list[Case] = []

# generative-adversarial-network: logits of moderate size, batches of different sizes
CASES += [
    Case("discriminator_loss", lambda r: (r.normal(size=(4,)) * 3, r.normal(size=(3, 2)) * 3), wrt=(0, 1)),
    Case("generator_loss", lambda r: (r.normal(size=(5,)) * 3,), label="non-saturating"),
    Case("generator_loss", lambda r: (r.normal(size=(2, 3)) * 3,), kwargs={"non_saturating": False}, label="minimax"),
    Case("wgan_critic_loss", lambda r: (r.normal(size=(4,)) * 3, r.normal(size=(6,)) * 3), wrt=(0, 1)),
]

# autoencoder: D = 3 features, K = 2 code units; ReLU pre-activations are almost surely away from 0
CASES += [
    Case(
        "autoencoder_forward",
        lambda r: (r.normal(size=(4, 3)), r.normal(size=(2, 3)), r.normal(size=2), r.normal(size=(3, 2)), r.normal(size=3)),
        wrt=(0, 1, 2, 3, 4),
    ),
    Case("reconstruction_loss", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4))), wrt=(1,)),
]

# VAE, reparameterization, diffusion: KL near and away from the prior, binary and real-valued targets
CASES += [
    Case("gaussian_kl", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4))), wrt=(0, 1)),
    Case("gaussian_kl", lambda r: (r.normal(size=5), r.normal(size=5) * 0.1), wrt=(0, 1), label="1d-near-prior"),
    Case("elbo", lambda r: (r.random((3, 5)), r.normal(size=(3, 5)) * 2, r.normal(size=(3, 2)), r.normal(size=(3, 2))),
         wrt=(1, 2, 3)),
    Case("elbo", lambda r: (r.random((2, 4)) > 0.5, r.normal(size=(2, 4)), r.normal(size=(2, 3)), r.normal(size=(2, 3))),
         wrt=(1, 2, 3), kwargs={"beta": 4.0}, label="binary-beta4"),
    Case("reparameterize", lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4)), r.normal(size=(3, 4))), wrt=(0, 1)),
    Case("reparameterize", lambda r: (r.normal(size=4), r.normal(size=4), r.normal(size=(5, 4))), wrt=(0, 1), label="k-samples"),
    Case("diffusion_loss", lambda r: (r.normal(size=(3, 2, 2)), r.normal(size=(3, 2, 2)))),
]
