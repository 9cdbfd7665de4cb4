"""An autoencoder and a variational autoencoder (MLPs), a convolutional VAE, and the config that describes them.

    Autoencoder:  x --encoder--> z --decoder--> logits of p(x|z)
    VAE:          x --encoder--> (mu, logvar) --reparameterize--> z --decoder--> logits
    ConvVAE:      the VAE with strided convolutions in, transposed convolutions out

Both decode to *logits* of a Bernoulli per pixel (or, for the VAE with
``likelihood="gaussian"``, to the means of a fixed-variance Gaussian). The
decoder never outputs "the image": it outputs the parameters of p(x|z).

The constructors check their settings (in ``ModelConfig``); the forward passes
are bare, as in pytorch/examples' VAE. Data is checked where it enters: ``fit``,
``evaluate_elbo``, ``log_likelihood``.
"""

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import nn

from . import _arguments
from .distributions import (bernoulli_log_likelihood, gaussian_log_likelihood,
                            kl_normal_std, reparameterize)


# By name, so a checkpoint's configuration stays plain data. SiLU (x * sigmoid(x)) is
# smooth; in the recipe searches on the validation split it won for both the 2-D and the
# 16-D VAE, each time with lr 2e-3 and a tenfold drop (see README, "Quality").
ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU}
LIKELIHOODS = ("bernoulli", "gaussian")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model; checkpoints store it as a dict (``as_dict``).

    latent_dim:  d, the size of z
    hidden:      the encoder's hidden layer sizes; the decoder mirrors them
                 (for ConvVAE: the channels of its two strided convolutions)
    data_dim:    pixels per image (784 for MNIST)
    activation:  "relu" or "silu", between the linear layers
    likelihood:  p(x|z), "bernoulli" (logits) or "gaussian" (means; the VAE only)
    obs_logvar:  log sigma_x^2 of the Gaussian likelihood, fixed
    num_classes: labels y in {0, ..., num_classes - 1} for the ConditionalVAE; 0 for the others

    Like nanoGPT's GPTConfig: the models are built from it (notebook 03 §1 and 04 §4
    build theirs by keyword), and checkpoints store it and rebuild from it.
    """
    latent_dim: int = 2
    hidden: tuple = (512, 256)
    data_dim: int = 784
    activation: str = "relu"
    likelihood: str = "bernoulli"
    obs_logvar: float = 0.0
    num_classes: int = 0

    def __post_init__(self):
        _arguments.number("latent_dim", self.latent_dim, minimum=1, integer=True)
        _arguments.number("data_dim", self.data_dim, minimum=1, integer=True)
        for size in self.hidden:
            _arguments.number("each hidden layer size", size, minimum=1, integer=True)
        object.__setattr__(self, "hidden", tuple(self.hidden))  # a list would make configs compare unequal
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {self.likelihood!r}")
        _arguments.number("obs_logvar", self.obs_logvar)
        _arguments.number("num_classes", self.num_classes, minimum=0, integer=True)

    def as_dict(self):
        """Plain Python data (no classes), which ``torch.load(weights_only=True)`` accepts."""
        return {**asdict(self), "hidden": list(self.hidden)}


def _config(config, settings):
    """The model's ModelConfig: the one given, or one built from keyword settings."""
    if config is None:
        return ModelConfig(**settings)
    if not isinstance(config, ModelConfig) or settings:
        raise TypeError(f"pass a ModelConfig, or settings by name such as latent_dim=16, not both; got {config!r}")
    return config


def mlp(sizes, activation="relu"):
    """Linear layers of the given sizes with an activation between them (none after the last)."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
    return nn.Sequential(*layers[:-1])


class ELBO(NamedTuple):
    """Per-example terms, each of shape (batch,), in nats.

    elbo = reconstruction - beta * kl, where reconstruction is a one-sample
    estimate of E_q[log p(x|z)] and kl is KL(q(z|x) || p(z)) in closed form.
    Taught in notebook 04 §4 (exercise 8).
    """
    elbo: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


class Autoencoder(nn.Module):
    """Deterministic encoder z = f(x) and decoder logits = g(z), trained on reconstruction alone.

    ``Autoencoder(latent_dim=2, hidden=(512, 256), ...)`` takes ``ModelConfig``'s
    fields (its likelihood is always Bernoulli). Taught in notebook 03 §1.
    """

    def __init__(self, config=None, **settings):
        super().__init__()
        self.config = _config(config, settings)
        if self.config.likelihood != "bernoulli":
            raise ValueError("the Autoencoder decodes to Bernoulli logits only; use VAE for likelihood='gaussian'")
        if self.config.num_classes:
            raise ValueError("the Autoencoder takes no labels (num_classes must be 0)")
        c = self.config
        self.latent_dim, self.data_dim = c.latent_dim, c.data_dim
        self.encoder = mlp([c.data_dim, *c.hidden, c.latent_dim], c.activation)
        self.decoder = mlp([c.latent_dim, *reversed(c.hidden), c.data_dim], c.activation)

    def encode(self, x):
        """The code z = f(x), shape (batch, latent_dim)."""
        return self.encoder(x)

    def decode(self, z):
        """Logits of the Bernoulli p(x|z), shape (..., data_dim)."""
        return self.decoder(z)

    def mean_image(self, z):
        """E[x|z] = sigmoid(logits): the picture of a code, with values in [0, 1]."""
        return torch.sigmoid(self.decode(z))

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

    ``VAE(latent_dim=2, hidden=(512, 256), ...)`` takes ``ModelConfig``'s fields,
    or ``VAE(config)`` a ``ModelConfig``.
    likelihood="bernoulli": decode returns logits, for (binarized) pixels in {0, 1}.
    likelihood="gaussian":  decode returns means; p(x|z) = N(mean, exp(obs_logvar) I)
                            with a fixed variance, which sets an implicit beta.
    The two subclasses change only what differs: ConvVAE its networks (``networks``),
    ConditionalVAE the label y joined to both networks' inputs (the ``y`` arguments below,
    which a plain VAE leaves as None).
    Taught in notebook 04 §4; the Gaussian likelihood in 04 §3.
    """
    conditional = False  # True for models whose encode, decode and elbo also take labels y

    def __init__(self, config=None, **settings):
        super().__init__()
        self.config = c = _config(config, settings)
        if c.num_classes and not self.conditional:
            raise ValueError(f"{type(self).__name__} takes no labels (num_classes={c.num_classes}); "
                             f"use ConditionalVAE for a model of p(x|y)")
        self.latent_dim, self.data_dim, self.num_classes = c.latent_dim, c.data_dim, c.num_classes
        self.encoder, self.decoder = self.networks(c)

    def networks(self, c):
        """(encoder, decoder) MLPs. One network outputs both mu and logvar (2 * latent_dim numbers); logvar is
        unconstrained: exp(logvar) > 0 always, unlike a sigmoid "sigma" in (0, 1). A conditional model's
        inputs are num_classes wider (the one-hot label); for the others num_classes is 0."""
        return (mlp([c.data_dim + c.num_classes, *c.hidden, 2 * c.latent_dim], c.activation),
                mlp([c.latent_dim + c.num_classes, *reversed(c.hidden), c.data_dim], c.activation))

    def _with_label(self, h, y):
        """h, or [h, one_hot(y)] along the last axis when a label y (batch,) is given; y is broadcast over
        h's leading axes (e.g. k samples of z per example)."""
        if y is None:
            return h
        one_hot = nn.functional.one_hot(y, self.num_classes).to(h.dtype)
        return torch.cat([h, one_hot.expand(*h.shape[:-1], self.num_classes)], dim=-1)

    def encode(self, x, y=None):
        """Return (mu, logvar) of q(z|x) (q(z|x, y) given labels), each of shape (batch, latent_dim)."""
        mu, logvar = self.encoder(self._with_label(x, y)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z, y=None):
        """Parameters of p(x|z) (p(x|z, y)): Bernoulli logits, or Gaussian means. z: (..., latent_dim)."""
        return self.decoder(self._with_label(z, y))

    def mean_image(self, z, y=None):
        """E[x|z]: sigmoid of the logits (Bernoulli) or the means themselves (Gaussian)."""
        decoded = self.decode(z, y)
        return torch.sigmoid(decoded) if self.config.likelihood == "bernoulli" else decoded

    def forward(self, x, y=None):
        """One pass with one fresh sample z ~ q(z|x) per example: (decoded, mu, logvar)."""
        mu, logvar = self.encode(x, y)
        return self.decode(reparameterize(mu, logvar), y), mu, logvar

    def log_px_given_z(self, x, decoded):
        """log p(x|z) per example, from what ``decode`` returned."""
        if self.config.likelihood == "bernoulli":
            return bernoulli_log_likelihood(decoded, x)
        return gaussian_log_likelihood(x, decoded, self.config.obs_logvar)

    def elbo(self, x, beta=1.0, y=None):
        """Per-example ELBO = E_q[log p(x|z)] - beta * KL(q(z|x) || p(z)), one sample of z.

        beta = 1 gives the evidence lower bound, log p(x) >= elbo.
        """
        decoded, mu, logvar = self(x, y)
        reconstruction = self.log_px_given_z(x, decoded)
        kl = kl_normal_std(mu, logvar)
        return ELBO(reconstruction - beta * kl, reconstruction, kl)


class ConvVAE(VAE):
    """The VAE with convolutional networks, for 28 x 28 images given as rows of 784 pixels.

    encoder: 1 x 28 x 28 --conv 4x4, stride 2--> c1 x 14 x 14 --conv 4x4, stride 2--> c2 x 7 x 7
             --linear--> (mu, logvar)
    decoder: z --linear--> c2 x 7 x 7 --transposed conv--> c1 x 14 x 14 --transposed conv--> 1 x 28 x 28 logits

    (c1, c2) = ``hidden``, default (16, 32), notebook 08's. Each convolution applies one small filter bank at every position (weight sharing,
    locality), so its weights do not grow with the image, unlike a linear layer's. Everything else (encode,
    decode, elbo, checkpoints) is the VAE's: the networks take and return flat rows, as the MLPs do.
    Taught in notebook 08 §1.
    """

    def __init__(self, config=None, **settings):
        if config is None:
            settings.setdefault("hidden", (16, 32))  # channels: the MLP's default (512, 256) would be far too many
        super().__init__(config, **settings)

    def networks(self, c):
        """(encoder, decoder): strided convolutions in, transposed convolutions out, on flat rows of 784."""
        if c.data_dim != 784 or len(c.hidden) != 2:
            raise ValueError(f"ConvVAE is built for 28 x 28 images (data_dim=784) with two convolutions "
                             f"(hidden=(c1, c2)); got data_dim={c.data_dim}, hidden={c.hidden}")
        c1, c2 = c.hidden
        act = ACTIVATIONS[c.activation]
        encoder = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, c1, 4, stride=2, padding=1), act(),            # 28 -> 14
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), act(),           # 14 -> 7
            nn.Flatten(), nn.Linear(c2 * 7 * 7, 2 * c.latent_dim))
        decoder = nn.Sequential(
            nn.Linear(c.latent_dim, c2 * 7 * 7), act(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), act(),  # 7 -> 14
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),          # 14 -> 28: one logit per pixel
            nn.Flatten())
        return encoder, decoder

    def decode(self, z, y=None):
        """Bernoulli logits (or Gaussian means), shape (..., 784). Convolutions take one batch axis, so z's
        leading axes (k samples of a batch, in log_likelihood) are merged into one and split again after."""
        return self.decoder(z.reshape(-1, z.shape[-1])).reshape(*z.shape[:-1], self.data_dim)


class ConditionalVAE(VAE):
    """q(z|x, y) = N(mu(x, y), diag exp(logvar(x, y))),  p(z) = N(0, I),  p(x|z, y) from decode(z, y).

    The label y (an integer class, shape (batch,)) enters both networks as a one-hot
    vector joined to their input. The conditional ELBO bounds log p(x|y):

        log p(x|y) >= E_q(z|x,y)[log p(x|z, y)] - KL(q(z|x, y) || p(z)).

    Since the decoder is told the class, z is free to encode only what the label does
    not say: the style. ``ConditionalVAE(latent_dim=2, num_classes=10, ...)`` takes
    ``ModelConfig``'s fields (num_classes defaults to 10 here). Taught in notebook 08 §4-5.
    """
    conditional = True

    def __init__(self, config=None, **settings):
        if config is None:
            settings.setdefault("num_classes", 10)
        super().__init__(config, **settings)
        if self.num_classes < 2:
            raise ValueError(f"a ConditionalVAE needs num_classes >= 2, got {self.num_classes}")

    def elbo(self, x, y, beta=1.0):
        """Per-example conditional ELBO = E_q[log p(x|z, y)] - beta * KL(q(z|x, y) || p(z)), one sample of z."""
        return super().elbo(x, beta, y)
