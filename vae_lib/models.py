"""An autoencoder and a variational autoencoder, both plain MLPs.

    Autoencoder:  x --encoder--> z --decoder--> logits of p(x|z)
    VAE:          x --encoder--> (mu, logvar) --reparameterize--> z --decoder--> logits

Both decode to *logits* of a Bernoulli per pixel (or, for the VAE with
``likelihood="gaussian"``, to the means of a fixed-variance Gaussian). The
decoder never outputs "the image": it outputs the parameters of p(x|z).
"""

from typing import NamedTuple

import torch
from torch import nn

from . import validate
from .distributions import (bernoulli_log_likelihood, gaussian_log_likelihood,
                            kl_normal_std, reparameterize)


# By name, so a checkpoint's configuration stays plain data. SiLU (x * sigmoid(x)) is
# smooth; measured here it fits the 2-D VAE better than ReLU at the same cost, while
# ReLU does better for larger latents (see README, "Quality").
ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU}


def mlp(sizes, activation="relu"):
    """Linear layers of the given sizes with an activation between them (none after the last)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
    return nn.Sequential(*layers[:-1])


class ELBO(NamedTuple):
    """Per-example terms, each of shape (batch,), in nats.

    elbo = reconstruction - beta * kl, where reconstruction is a one-sample
    estimate of E_q[log p(x|z)] and kl is KL(q(z|x) || p(z)) in closed form.
    """
    elbo: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


def _check_sizes(latent_dim, hidden, data_dim):
    validate.number("latent_dim", latent_dim, minimum=1, integer=True)
    validate.number("data_dim", data_dim, minimum=1, integer=True)
    for size in hidden:
        validate.number("each hidden layer size", size, minimum=1, integer=True)


def _check_input(model, x):
    """x must be a (batch, data_dim) float tensor on the model's device, finite and non-empty."""
    if isinstance(x, torch.Tensor) and (x.dim() != 2 or x.shape[1] != model.data_dim):
        raise ValueError(f"x must be a batch of flat images of shape (batch, {model.data_dim}), got shape "
                         f"{tuple(x.shape)}; flatten images with x.reshape(len(x), -1)")
    validate.tensor("x", x)
    validate.matches_model("x", x, model)


def _check_codes(model, z):
    """z must be (..., latent_dim): a batch of codes, or k samples of a batch."""
    validate.tensor("z", z, dims=(2,), last=model.latent_dim)
    validate.matches_model("z", z, model)


class Autoencoder(nn.Module):
    """Deterministic encoder z = f(x) and decoder logits = g(z), trained on reconstruction alone."""

    def __init__(self, latent_dim=2, hidden=(512, 256), data_dim=784, activation="relu"):
        super().__init__()
        _check_sizes(latent_dim, hidden, data_dim)
        self.config = dict(latent_dim=latent_dim, hidden=list(hidden), data_dim=data_dim, activation=activation)
        self.latent_dim, self.data_dim = latent_dim, data_dim
        self.encoder = mlp([data_dim, *hidden, latent_dim], activation)
        self.decoder = mlp([latent_dim, *reversed(hidden), data_dim], activation)

    def encode(self, x):
        """The code z = f(x), shape (batch, latent_dim)."""
        _check_input(self, x)
        return self.encoder(x)

    def decode(self, z):
        """Logits of the Bernoulli p(x|z); ``torch.sigmoid`` of them is the mean image."""
        _check_codes(self, z)
        return self.decoder(z)

    def forward(self, x):
        """Logits of the reconstruction g(f(x))."""
        return self.decode(self.encode(x))

    def log_px_given_z(self, x, logits):
        """log p(x|z) per example under the Bernoulli decoder, from its logits."""
        return bernoulli_log_likelihood(logits, x)

    def elbo(self, x, beta=1.0):
        """The autoencoder's objective in the VAE's shape, so one trainer fits both.

        An autoencoder has a point-mass encoder and no prior, so there is no KL
        term and no bound on log p(x): the objective is log p(x | z = f(x)) alone.
        ``kl`` is returned as zeros and ``beta`` is ignored.
        """
        reconstruction = self.log_px_given_z(x, self(x))
        return ELBO(reconstruction, reconstruction, torch.zeros_like(reconstruction))


class VAE(nn.Module):
    """q(z|x) = N(mu(x), diag exp(logvar(x))),  p(z) = N(0, I),  p(x|z) from decode(z).

    likelihood="bernoulli": decode returns logits, for (binarized) pixels in {0, 1}.
    likelihood="gaussian":  decode returns means; p(x|z) = N(mean, exp(obs_logvar) I)
                            with a fixed variance, which sets an implicit beta.
    """

    def __init__(self, latent_dim=2, hidden=(512, 256), data_dim=784,
                 likelihood="bernoulli", obs_logvar=0.0, activation="relu"):
        super().__init__()
        _check_sizes(latent_dim, hidden, data_dim)
        validate.number("obs_logvar", obs_logvar)
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
        self.config = dict(latent_dim=latent_dim, hidden=list(hidden), data_dim=data_dim,
                           likelihood=likelihood, obs_logvar=obs_logvar, activation=activation)
        self.latent_dim, self.data_dim = latent_dim, data_dim
        self.likelihood, self.obs_logvar = likelihood, obs_logvar
        # One network outputs both mu and logvar (2 * latent_dim numbers). logvar is
        # unconstrained: exp(logvar) > 0 always, unlike a sigmoid "sigma" in (0, 1).
        self.encoder = mlp([data_dim, *hidden, 2 * latent_dim], activation)
        self.decoder = mlp([latent_dim, *reversed(hidden), data_dim], activation)

    def encode(self, x):
        """Return (mu, logvar) of q(z|x), each of shape (batch, latent_dim)."""
        _check_input(self, x)
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z):
        """Parameters of p(x|z): Bernoulli logits, or Gaussian means. z: (..., latent_dim)."""
        _check_codes(self, z)
        return self.decoder(z)

    def forward(self, x):
        """One pass with one fresh sample z ~ q(z|x) per example: (decoded, mu, logvar)."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar)), mu, logvar

    def log_px_given_z(self, x, decoded):
        """log p(x|z) per example, from what ``decode`` returned."""
        if self.likelihood == "bernoulli":
            return bernoulli_log_likelihood(decoded, x)
        return gaussian_log_likelihood(x, decoded, self.obs_logvar)

    def elbo(self, x, beta=1.0):
        """Per-example ELBO = E_q[log p(x|z)] - beta * KL(q(z|x) || p(z)), one sample of z.

        beta = 1 gives the evidence lower bound, log p(x) >= elbo.
        """
        validate.number("beta", beta, minimum=0)
        decoded, mu, logvar = self(x)
        reconstruction = self.log_px_given_z(x, decoded)
        kl = kl_normal_std(mu, logvar)
        return ELBO(reconstruction - beta * kl, reconstruction, kl)
