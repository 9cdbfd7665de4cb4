"""The series' models, the configs that describe them, and the registry that checkpoints rebuild them from.

    Autoencoder:    x --encoder--> z --decoder--> logits of p(x|z)
    VAE:            x --encoder--> (mu, logvar) --reparameterize--> z --decoder--> logits
    ConvVAE:        the VAE with strided convolutions in, transposed convolutions out
    ConditionalVAE: the VAE with a class label y joined to both networks' inputs
    FlowVAE:      the VAE whose q(z|x) is the Gaussian followed by autoregressive flow layers
    MixturePriorVAE: the VAE whose prior is learned, p(z) = mean_c N(z; m_c, diag s_c^2) with free m_c, s_c
    VampPriorVAE: the VAE whose prior is learned, p(z) = mean_k q(z|u_k) over pseudo-inputs u_k

Every model decodes to *logits* of a Bernoulli per pixel (or, for a VAE with
``likelihood="gaussian"``, to the means of a fixed-variance Gaussian). The
decoder never outputs "the image": it outputs the parameters of p(x|z).

One contract for every model: ``model.elbo(x, y=None, *, beta=1.0)`` returns the
per-example ``ELBO`` terms (y: the class labels, for a model that takes them), so
``fit`` and the evaluators treat all models alike. Each class declares the settings
it owns in its ``Config`` (a ``ModelConfig`` subclass), and ``@register`` puts it in
``MODELS``, the one list that ``load_checkpoint`` rebuilds models from. Adding a
model is one registered class (and its export).

The constructors check their settings (in ``ModelConfig``); the forward passes
are bare, as in pytorch/examples' VAE. Data is checked where it enters: ``fit``,
``evaluate_elbo``, ``log_likelihood``.
"""

import math
from dataclasses import asdict, dataclass, fields
from typing import NamedTuple

import torch
from torch import nn

from . import _arguments
from .distributions import (bernoulli_log_likelihood, gaussian_log_likelihood, kl_normal_std,
                            log_gaussian_mixture, reparameterize, sample_gaussian_mixture)


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

    These settings are shared by every model. A model with settings of its own
    declares them in a subclass, its ``Config`` (``FlowConfig`` adds flow_layers).
    Like nanoGPT's GPTConfig: the models are built from it (notebook 03 §1 and 04 §4
    build theirs by keyword), and checkpoints store it and rebuild from it.
    """
    latent_dim: int = 2
    hidden: tuple = (512, 256)
    data_dim: int = 784
    activation: str = "relu"
    likelihood: str = "bernoulli"
    obs_logvar: float = 0.0

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

    def as_dict(self):
        """Plain Python data (no classes), which ``torch.load(weights_only=True)`` accepts."""
        return {**asdict(self), "hidden": list(self.hidden)}


@dataclass(frozen=True)
class ConditionalConfig(ModelConfig):
    """ConditionalVAE's settings: ModelConfig's, and num_classes, the labels y in {0, ..., num_classes - 1}
    (at least 2). Taught in notebook 08 §4."""
    num_classes: int = 10

    def __post_init__(self):
        super().__post_init__()
        _arguments.number("num_classes", self.num_classes, minimum=2, integer=True,
                          remedy="a ConditionalVAE needs two classes or more; for a model without labels use VAE")


@dataclass(frozen=True)
class FlowConfig(ModelConfig):
    """FlowVAE's settings: ModelConfig's, and flow_layers, the inverse autoregressive flow layers after the
    Gaussian (at least 1). Taught in notebook 11 §2."""
    flow_layers: int = 2

    def __post_init__(self):
        super().__post_init__()
        _arguments.number("flow_layers", self.flow_layers, minimum=1, integer=True,
                          remedy="pass e.g. flow_layers=2; for a Gaussian q(z|x) use VAE")


@dataclass(frozen=True)
class VampPriorConfig(ModelConfig):
    """VampPriorVAE's settings: ModelConfig's, and pseudo_inputs, the VampPrior's number K of pseudo-inputs
    (at least 1). Taught in notebook 11 §4."""
    pseudo_inputs: int = 100

    def __post_init__(self):
        super().__post_init__()
        _arguments.number("pseudo_inputs", self.pseudo_inputs, minimum=1, integer=True,
                          remedy="pass e.g. pseudo_inputs=100; for the N(0, I) prior use VAE")


@dataclass(frozen=True)
class MixturePriorConfig(ModelConfig):
    """MixturePriorVAE's settings: ModelConfig's, and components, the number C of Gaussians in its learned prior
    (at least 1). Taught in notebook 11 §4."""
    components: int = 50

    def __post_init__(self):
        super().__post_init__()
        _arguments.number("components", self.components, minimum=1, integer=True,
                          remedy="pass e.g. components=50; for the N(0, I) prior use VAE")


@dataclass(frozen=True)
class ConvConfig(ModelConfig):
    """ConvVAE's settings: ModelConfig's, with hidden the channels (c1, c2) of its two strided convolutions,
    (16, 32) unless given. Taught in notebook 08 §1."""
    hidden: tuple = (16, 32)


# The models that checkpoints can rebuild, by class name: filled by @register, read by load_checkpoint.
MODELS = {}


def register(cls):
    """Class decorator: add a model class to ``MODELS`` so that ``load_checkpoint`` can rebuild it by name.

    Defining the same class again (a notebook cell run twice) replaces it; another class of the same name is refused.
    """
    known = MODELS.get(cls.__name__)
    if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"a model named {cls.__name__} is registered already ({known!r}); "
                         f"give the new class another name")
    MODELS[cls.__name__] = cls
    return cls


def _config(cls, config, settings):
    """The model's config: the one given (of the class's Config), or one built from keyword settings."""
    names = {f.name for f in fields(cls.Config)}
    if config is None:
        for name in settings:
            if name not in names:
                owners = sorted(m.__name__ for m in MODELS.values() if name in {f.name for f in fields(m.Config)})
                raise TypeError(f"{cls.__name__} has no setting {name!r}"
                                + (f": it is a setting of {' and '.join(owners)}" if owners else "")
                                + f". {cls.__name__}'s settings are {', '.join(sorted(names))}")
        return cls.Config(**settings)
    if settings or type(config) is not cls.Config:
        raise TypeError(f"pass {cls.__name__} a {cls.Config.__name__}, or settings by name such as latent_dim=16, "
                        f"not both; got {config!r}")
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


@register
class Autoencoder(nn.Module):
    """Deterministic encoder z = f(x) and decoder logits = g(z), trained on reconstruction alone.

    ``Autoencoder(latent_dim=2, hidden=(512, 256), ...)`` takes ``ModelConfig``'s
    fields (its likelihood is always Bernoulli). Taught in notebook 03 §1.
    """
    Config = ModelConfig
    conditional = False

    def __init__(self, config=None, **settings):
        super().__init__()
        self.config = _config(type(self), config, settings)
        if self.config.likelihood != "bernoulli":
            raise ValueError("the Autoencoder decodes to Bernoulli logits only; use VAE for likelihood='gaussian'")
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

    def elbo(self, x, y=None, *, beta=1.0):
        """The autoencoder's objective in the VAE's shape, so one trainer fits every model.

        An autoencoder has a point-mass encoder and no prior, so there is no KL
        term and no bound on log p(x): the objective is log p(x | z = f(x)) alone.
        ``kl`` is returned as zeros; ``y`` (no labels) and ``beta`` are ignored.
        """
        reconstruction = self.log_px_given_z(x, self(x))
        return ELBO(reconstruction, reconstruction, torch.zeros_like(reconstruction))


@register
class VAE(nn.Module):
    """q(z|x) = N(mu(x), diag exp(logvar(x))),  p(z) = N(0, I),  p(x|z) from decode(z).

    ``VAE(latent_dim=2, hidden=(512, 256), ...)`` takes ``ModelConfig``'s fields,
    or ``VAE(config)`` a ``ModelConfig``.
    likelihood="bernoulli": decode returns logits, for (binarized) pixels in {0, 1}.
    likelihood="gaussian":  decode returns means; p(x|z) = N(mean, exp(obs_logvar) I)
                            with a fixed variance, which sets an implicit beta.
    The subclasses change only what differs: ConvVAE its networks (``networks``),
    ConditionalVAE the label y joined to both networks' inputs (the ``y`` arguments below,
    which a model without labels leaves as None), FlowVAE its posterior and VampPriorVAE its
    prior (``sample_posterior``, ``log_prior``, ``sample_prior``).
    Taught in notebook 04 §4; the Gaussian likelihood in 04 §3.
    """
    Config = ModelConfig
    conditional = False  # True for models whose encode, decode and elbo also take labels y

    def __init__(self, config=None, **settings):
        super().__init__()
        self.config = c = _config(type(self), config, settings)
        self.latent_dim, self.data_dim = c.latent_dim, c.data_dim
        self.num_classes = getattr(c, "num_classes", 0)
        self.encoder, self.decoder = self.networks(c)

    def networks(self, c):
        """(encoder, decoder) MLPs. One network outputs both mu and logvar (2 * latent_dim numbers); logvar is
        unconstrained: exp(logvar) > 0 always, unlike a sigmoid "sigma" in (0, 1). A conditional model's
        inputs are num_classes wider (the one-hot label); for the others num_classes is 0."""
        return (mlp([c.data_dim + self.num_classes, *c.hidden, 2 * c.latent_dim], c.activation),
                mlp([c.latent_dim + self.num_classes, *reversed(c.hidden), c.data_dim], c.activation))

    def _check_labels(self, y):
        """Refuse a missing label y for a model that takes one, and a label for a model that takes none."""
        if y is None and self.conditional:
            raise ValueError(f"{type(self).__name__} needs the class labels y (shape (batch,)) with its images")
        if y is not None and not self.conditional:  # elbo(x, 0.5) meant beta: it is keyword-only, elbo(x, beta=0.5)
            raise TypeError(f"{type(self).__name__} takes no labels y, got {y!r}; pass beta by name, "
                            f"e.g. elbo(x, beta=0.5)")

    def _with_label(self, h, y):
        """h, or [h, one_hot(y)] along the last axis when a label y (batch,) is given; y is broadcast over
        h's leading axes (e.g. k samples of z per example)."""
        self._check_labels(y)
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

    def sample_posterior(self, x, k=None, y=None, generator=None):
        """Reparameterized z ~ q(z|x) and log q(z|x): shapes (batch, d) and (batch,), or with k samples per
        example (k, batch, d) and (k, batch). The FlowVAE changes this; ``log_likelihood`` uses it."""
        mu, logvar = self.encode(x, y)
        eps = torch.randn(mu.shape if k is None else (k, *mu.shape), generator=generator, device=mu.device,
                          dtype=mu.dtype)
        z = mu + torch.exp(0.5 * logvar) * eps
        return z, gaussian_log_likelihood(z, mu.expand_as(z), logvar.expand_as(z))

    def log_prior(self, z):
        """log p(z) per row, N(0, I) here; the VampPriorVAE learns its prior."""
        return gaussian_log_likelihood(z, torch.zeros_like(z), 0.0)

    def sample_prior(self, n, generator=None):
        """n codes z ~ p(z), shape (n, latent_dim)."""
        device = next(self.parameters()).device
        return torch.randn(n, self.latent_dim, generator=generator, device=device)

    def elbo(self, x, y=None, *, beta=1.0):
        """Per-example ELBO = E_q[log p(x|z)] - beta * KL(q(z|x) || p(z)), one sample of z.

        beta = 1 gives the evidence lower bound, log p(x) >= elbo. KL in closed form (notebook 02).
        y: the labels, for a model that takes them (a ConditionalVAE); None otherwise.
        """
        decoded, mu, logvar = self(x, y)
        reconstruction = self.log_px_given_z(x, decoded)
        kl = kl_normal_std(mu, logvar)
        return ELBO(reconstruction - beta * kl, reconstruction, kl)


@register
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
    Config = ConvConfig  # hidden defaults to (16, 32) channels: the MLP's (512, 256) would be far too many

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


@register
class ConditionalVAE(VAE):
    """q(z|x, y) = N(mu(x, y), diag exp(logvar(x, y))),  p(z) = N(0, I),  p(x|z, y) from decode(z, y).

    The label y (an integer class, shape (batch,)) enters both networks as a one-hot
    vector joined to their input. The conditional ELBO bounds log p(x|y):

        log p(x|y) >= E_q(z|x,y)[log p(x|z, y)] - KL(q(z|x, y) || p(z)).

    Since the decoder is told the class, z is free to encode only what the label does
    not say: the style. ``ConditionalVAE(latent_dim=2, num_classes=10, ...)`` takes
    ``ConditionalConfig``'s fields (num_classes defaults to 10). Its ``elbo(x, y)`` is the
    VAE's with the labels given. Taught in notebook 08 §4-5.
    """
    Config = ConditionalConfig
    conditional = True


def one_sample_elbo(model, x, y=None, *, beta=1.0):
    """ELBO terms with the KL estimated from the same sample z ~ q(z|x): kl = log q(z|x) - log p(z).

    For models where KL(q(z|x) || p(z)) has no closed form (a flow posterior, a learned prior). Its
    expectation is the true KL, so the ELBO stays an unbiased estimate, only noisier. Notebook 11 §1.
    """
    z, log_q = model.sample_posterior(x, y=y)
    reconstruction = model.log_px_given_z(x, model.decode(z, y))
    kl = log_q - model.log_prior(z)
    return ELBO(reconstruction - beta * kl, reconstruction, kl)


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask: output j sees input i only where mask[j, i]."""

    def __init__(self, n_in, n_out, mask):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x):
        return nn.functional.linear(x, self.weight * self.mask, self.bias)


class AutoregressiveAffine(nn.Module):
    """One inverse autoregressive flow layer (Kingma et al., 2016): z' = m + exp(s) * z, elementwise, where
    (m_i, s_i) are computed from z_1..z_{i-1} (and a context h) by a masked network (MADE, Germain et al., 2015).

    dz'_i/dz_j = 0 for j > i, so the Jacobian is triangular with diagonal exp(s_i):

        log |det dz'/dz| = sum_i s_i.

    The last layer starts at zero, so a new layer is the identity (m = 0, s = 0). Notebook 11 §1-2.
    """

    def __init__(self, dim, width, activation="relu"):
        super().__init__()
        if dim < 2:
            raise ValueError(f"an autoregressive layer needs at least 2 latent units to order, got {dim}")
        self.dim = dim
        d_in = torch.arange(1, dim + 1)                          # input i has degree i
        d_hidden = torch.arange(width) % (dim - 1) + 1           # hidden units see inputs up to their degree
        d_out = d_in.repeat(2)                                   # (m_i, s_i) may see inputs before i only
        self.hidden = MaskedLinear(dim, width, d_hidden[:, None] >= d_in[None, :])
        self.context = nn.Linear(width, width)
        self.act = ACTIVATIONS[activation]()
        self.out = MaskedLinear(width, 2 * dim, d_out[:, None] > d_hidden[None, :])
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def shift_and_log_scale(self, z, h):
        """(m, s), each shaped like z; m_i and s_i depend on z_<i and h only."""
        return self.out(self.act(self.hidden(z) + self.context(h))).chunk(2, dim=-1)

    def forward(self, z, h):
        """(z', log |det dz'/dz|): shapes like z and like z without its last axis."""
        m, s = self.shift_and_log_scale(z, h)
        return m + torch.exp(s) * z, s.sum(-1)

    def inverse(self, z_new, h):
        """z from z' = m(z) + exp(s(z)) * z. Pass i fixes z_i (its m_i, s_i need only z_<i): dim passes."""
        z = torch.zeros_like(z_new)
        for _ in range(self.dim):
            m, s = self.shift_and_log_scale(z, h)
            z = (z_new - m) * torch.exp(-s)
        return z


@register
class FlowVAE(VAE):
    """q(z|x): z_0 ~ N(mu(x), diag exp(logvar(x))), then z = f_K(...f_1(z_0; h(x))...; h(x)), with each f an
    ``AutoregressiveAffine`` layer (inverse autoregressive flow, Kingma et al., 2016), every other one
    ordering the units in reverse, and h(x) a context computed from x by its own linear layer. By the change of variables,

        log q(z|x) = log N(z_0; mu, diag sigma^2) - sum_k log |det df_k/dz_{k-1}|.

    ``FlowVAE(latent_dim=16, flow_layers=2, ...)``: the encoder and decoder are the VAE's, so a trained VAE's
    weights load into it (``load_state_dict(vae.state_dict(), strict=False)``), and with its flow layers at
    their start (the identity) it is that VAE. Each layer's masked network is 8 * latent_dim units wide. The
    ELBO's KL has no closed form; it is estimated from the sample (``one_sample_elbo``). Taught in notebook 11 §1-3.
    """

    Config = FlowConfig

    def __init__(self, config=None, **settings):
        super().__init__(config, **settings)
        c = self.config
        if c.latent_dim < 2:
            raise ValueError(f"FlowVAE needs latent_dim >= 2: an autoregressive layer conditions each unit on the "
                             f"units before it, and with latent_dim={c.latent_dim} there are none; pass "
                             f"latent_dim=2 or more, or use VAE")
        width = 8 * c.latent_dim
        self.context = nn.Sequential(nn.Linear(c.data_dim, width), ACTIVATIONS[c.activation]())
        self.flows = nn.ModuleList(AutoregressiveAffine(c.latent_dim, width, c.activation)
                                   for _ in range(c.flow_layers))

    def flow(self, z0, h):
        """z = f_K(...f_1(z_0)...) and the summed log |det|; layers 1, 3, ... (from 0) take the units in reverse."""
        log_det = torch.zeros(z0.shape[:-1], device=z0.device, dtype=z0.dtype)
        z = z0
        for i, layer in enumerate(self.flows):
            if i % 2:   # every other layer runs in the reversed order: the unit that saw nothing now sees all
                z, layer_log_det = layer(z.flip(-1), h)
                z = z.flip(-1)
            else:
                z, layer_log_det = layer(z, h)
            log_det = log_det + layer_log_det
        return z, log_det

    def sample_posterior(self, x, k=None, y=None, generator=None):
        """Reparameterized z ~ q(z|x) through the flow, and log q(z|x) by the change of variables: shapes
        (batch, d) and (batch,), or (k, batch, d) and (k, batch)."""
        z0, log_q0 = super().sample_posterior(x, k, y, generator)
        h = self.context(x)
        z, log_det = self.flow(z0, h.expand(*z0.shape[:-1], h.shape[-1]))
        return z, log_q0 - log_det

    def forward(self, x, y=None):
        """One pass with one flow sample z ~ q(z|x): (decoded, mu, logvar), mu and logvar of the Gaussian z_0."""
        mu, logvar = self.encode(x)
        return self.decode(self.sample_posterior(x)[0]), mu, logvar

    def elbo(self, x, y=None, *, beta=1.0):
        """Per-example ELBO, one sample of z; the KL is log q(z|x) - log p(z) at that sample."""
        return one_sample_elbo(self, x, y, beta=beta)


@register
class VampPriorVAE(VAE):
    """The VAE with a learned prior, the VampPrior (Tomczak & Welling, 2018): a mixture of the encoder's own
    posteriors at K learned pseudo-inputs u_1..u_K (images, clipped to [0, 1]),

        p(z) = (1/K) sum_k q(z | u_k),    log p(z) = logsumexp_k log q(z | u_k) - log K.

    The prior that maximizes the average ELBO is the aggregate posterior q(z) = mean_n q(z|x_n); the VampPrior is
    that mixture with K pseudo-inputs in place of the N training images. ``VampPriorVAE(latent_dim=2,
    pseudo_inputs=100, ...)``; start the pseudo-inputs from images with ``set_pseudo_inputs``. The KL is
    estimated from the sample (``one_sample_elbo``). Taught in notebook 11 §4.
    """

    Config = VampPriorConfig

    def __init__(self, config=None, **settings):
        super().__init__(config, **settings)
        c = self.config
        self.pseudo_inputs = nn.Parameter(torch.full((c.pseudo_inputs, c.data_dim), 0.5))

    def set_pseudo_inputs(self, images):
        """Copy ``images`` (pseudo_inputs x data_dim, values in [0, 1]) into the pseudo-inputs, e.g. training images."""
        _arguments.tensor("pseudo-inputs", images, dims=2, last=self.data_dim, unit_interval=True)
        if len(images) != self.config.pseudo_inputs:
            raise ValueError(f"pseudo-inputs must be {self.config.pseudo_inputs} images (the model's pseudo_inputs), "
                             f"got {len(images)}")
        with torch.no_grad():
            self.pseudo_inputs.copy_(images)

    def prior_components(self):
        """(mu_k, logvar_k) of q(z|u_k) for the K pseudo-inputs, each of shape (K, latent_dim)."""
        return self.encode(self.pseudo_inputs.clamp(0, 1))

    def log_prior(self, z):
        """log p(z) = logsumexp_k log N(z; mu_k, diag exp(logvar_k)) - log K, per row of z (..., d)."""
        return log_gaussian_mixture(z, *self.prior_components())

    def sample_prior(self, n, generator=None):
        """n codes z ~ p(z): a pseudo-input k uniformly at random, then z ~ q(z|u_k)."""
        return sample_gaussian_mixture(n, *self.prior_components(), generator)

    def elbo(self, x, y=None, *, beta=1.0):
        """Per-example ELBO, one sample of z; the KL is log q(z|x) - log p(z) at that sample."""
        return one_sample_elbo(self, x, y, beta=beta)


@register
class MixturePriorVAE(VAE):
    """The VAE with a learned mixture-of-Gaussians prior: C components with free means and log-variances, equal weights,

        p(z) = (1/C) sum_c N(z; m_c, diag exp(v_c)),    log p(z) = logsumexp_c log N(z; m_c, diag exp(v_c)) - log C.

    The VampPrior's control: the same mixture, but its components are parameters of their own rather than the
    encoder's posteriors at pseudo-inputs (Tomczak & Welling, 2018, compare the two). The means start at draws from
    N(0, I) and the log-variances at 0. ``MixturePriorVAE(latent_dim=8, components=50, ...)``. The KL is estimated
    from the sample (``one_sample_elbo``). Taught in notebook 11 §4.
    """

    Config = MixturePriorConfig

    def __init__(self, config=None, **settings):
        super().__init__(config, **settings)
        c = self.config
        self.prior_means = nn.Parameter(torch.randn(c.components, c.latent_dim))
        self.prior_logvars = nn.Parameter(torch.zeros(c.components, c.latent_dim))

    def log_prior(self, z):
        """log p(z) = logsumexp_c log N(z; m_c, diag exp(v_c)) - log C, per row of z (..., d)."""
        return log_gaussian_mixture(z, self.prior_means, self.prior_logvars)

    def sample_prior(self, n, generator=None):
        """n codes z ~ p(z): a component c uniformly at random, then z ~ N(m_c, diag exp(v_c))."""
        return sample_gaussian_mixture(n, self.prior_means, self.prior_logvars, generator)

    def elbo(self, x, y=None, *, beta=1.0):
        """Per-example ELBO, one sample of z; the KL is log q(z|x) - log p(z) at that sample."""
        return one_sample_elbo(self, x, y, beta=beta)
