"""A VAE with a hierarchy of latent levels and top-down inference (Sønderby et al., 2016).

Generative model, top to bottom (level 1 is next to x):

    p(z_L) = N(0, I),   p(z_l | z_{l+1}) = N(mu_p,l(z_{l+1}), diag exp(logvar_p,l(z_{l+1}))),   p(x | z_1)

Inference runs in the same order. A bottom-up pass over x gives each level a Gaussian "opinion" (mu_hat_l,
logvar_hat_l); the top level's posterior is that opinion, and each lower level's posterior multiplies its opinion
with the prior that the level above just handed down (a product of two Gaussians, "precision-weighted"):

    q(z_L | x) = N(mu_hat_L, exp(logvar_hat_L)),
    q(z_l | x, z_{l+1}) ∝ N(mu_hat_l, exp(logvar_hat_l)) * p(z_l | z_{l+1}),
        1 / var_q = 1 / var_hat + 1 / var_p,    mu_q = var_q * (mu_hat / var_hat + mu_p / var_p).

The ELBO then has one KL per level, each in closed form given the sample of the level above:

    ELBO(x) = E_q[log p(x | z_1)] - KL(q(z_L|x) || p(z_L)) - sum_{l<L} E_q[KL(q(z_l|x, z_{l+1}) || p(z_l|z_{l+1}))].

One level (levels=(d,)) is the plain VAE. The series' contract holds with z the levels joined bottom first,
z = [z_1, ..., z_L] of width latent_dim = d_1 + ... + d_L: ``sample_posterior``, ``log_prior``, ``decode`` and
``sample_prior`` take or give that z, so ``log_likelihood`` measures this model like any other.
Taught in notebook 13 §1-2.
"""

from dataclasses import dataclass

import torch
from torch import nn

from . import _arguments
from .distributions import gaussian_log_likelihood, kl_normal, reparameterize
from .models import ELBO, ModelConfig, VAE, mlp, register, ACTIVATIONS


@dataclass(frozen=True)
class HierarchicalConfig(ModelConfig):
    """HierarchicalVAE's settings: ModelConfig's, and levels, the widths (d_1, ..., d_L) of z_1 (bottom, next to
    x) to z_L (top), each no wider than the one below it. latent_dim is their sum (derived; leave it out).
    Taught in notebook 13 §1."""
    latent_dim: int = 0
    levels: tuple = (8, 4)

    def __post_init__(self):
        levels = tuple(self.levels) if isinstance(self.levels, (tuple, list)) else self.levels
        if not isinstance(levels, tuple) or len(levels) == 0:
            raise ValueError(f"levels must list the width of each latent level, bottom first, at least one level: "
                             f"pass e.g. levels=(8, 4) for two levels or levels=(8,) for a plain VAE; got {self.levels!r}")
        for width in levels:
            _arguments.number("each level's width", width, minimum=1, integer=True,
                              remedy="pass e.g. levels=(8, 4)")
        for lower, upper in zip(levels, levels[1:]):
            if upper > lower:
                raise ValueError(f"each level must be no wider than the level below it (the top summarizes the "
                                 f"bottom), got levels={levels}: a level of {upper} above one of {lower}; pass e.g. "
                                 f"levels={(lower, lower)} or put the wider level first")
        object.__setattr__(self, "levels", levels)
        if self.latent_dim == 0:
            object.__setattr__(self, "latent_dim", sum(levels))
        elif self.latent_dim != sum(levels):
            raise ValueError(f"a HierarchicalVAE's latent_dim is the sum of its levels' widths, {sum(levels)} for "
                             f"levels={levels}, got latent_dim={self.latent_dim}; pass levels only")
        super().__post_init__()

    def as_dict(self):
        return {**super().as_dict(), "levels": list(self.levels)}


@register
class HierarchicalVAE(VAE):
    """A VAE with L latent levels, top-down inference with precision-weighted posteriors (Sønderby et al., 2016).

    ``HierarchicalVAE(levels=(8, 4), hidden=(64,), data_dim=64)``. Each bottom-up block is a linear layer and the
    activation (the first from x through ``hidden``), with a linear head giving (mu_hat_l, logvar_hat_l); each
    p(z_l | z_{l+1}) and p(x | z_1) is an MLP with ``hidden`` reversed. ``level_terms`` returns the reconstruction
    and each level's KL, which the notebook trains with free bits per level. Taught in notebook 13 §1-2.
    """

    Config = HierarchicalConfig

    def __init__(self, config=None, **settings):
        super().__init__(config, **settings)
        c = self.config
        self.levels = c.levels
        # p(z_l | z_{l+1}) for l = 1..L-1 (index 0 is level 1's prior, given z_2)
        self.top_down = nn.ModuleList(mlp([upper, *reversed(c.hidden), 2 * lower], c.activation)
                                      for lower, upper in zip(c.levels, c.levels[1:]))

    def networks(self, c):
        """(encoder, decoder): the encoder is the bottom-up blocks and heads, one pair per level; the decoder
        gives p(x | z_1) from the bottom level alone."""
        widths = [c.data_dim, *c.hidden]
        blocks, heads = [], []
        for level, width in enumerate(c.levels):
            sizes = widths if level == 0 else [c.hidden[-1], c.hidden[-1]]
            blocks.append(nn.Sequential(mlp(sizes, c.activation), ACTIVATIONS[c.activation]()))
            heads.append(nn.Linear(c.hidden[-1], 2 * width))
        encoder = nn.ModuleDict({"blocks": nn.ModuleList(blocks), "heads": nn.ModuleList(heads)})
        return encoder, mlp([c.levels[0], *reversed(c.hidden), c.data_dim], c.activation)

    def bottom_up(self, x):
        """[(mu_hat_l, logvar_hat_l) for l = 1..L]: each level's opinion of x, bottom first."""
        h, opinions = x, []
        for block, head in zip(self.encoder["blocks"], self.encoder["heads"]):
            h = block(h)
            opinions.append(head(h).chunk(2, dim=-1))
        return opinions

    def prior_of_level(self, level, z_above):
        """(mu_p, logvar_p) of p(z_level | z_{level+1}) (levels counted from 0 here, bottom first)."""
        return self.top_down[level](z_above).chunk(2, dim=-1)

    def infer(self, x, k=None, generator=None, use_means=False):
        """The top-down pass: [(z_l, mu_q, logvar_q, mu_p, logvar_p) for l = 1..L], bottom first.

        k: draw k samples per example (leading axis k). use_means: each z_l is its posterior mean (no noise),
        which ``encode`` uses."""
        opinions = self.bottom_up(x)
        out, z_above = [], None
        for level in reversed(range(len(self.levels))):
            mu_hat, logvar_hat = opinions[level]
            if z_above is None:                                          # the top: q is the opinion, p = N(0, I)
                mu_q, logvar_q = mu_hat, logvar_hat
                mu_p, logvar_p = torch.zeros_like(mu_hat), torch.zeros_like(logvar_hat)
                if k is not None:
                    mu_q, logvar_q = mu_q.expand(k, *mu_q.shape), logvar_q.expand(k, *logvar_q.shape)
            else:                                                        # precision-weighted: opinion times prior
                mu_p, logvar_p = self.prior_of_level(level, z_above)
                logvar_q = -torch.logaddexp(-logvar_hat, -logvar_p)
                mu_q = mu_hat * torch.exp(logvar_q - logvar_hat) + mu_p * torch.exp(logvar_q - logvar_p)
            z = mu_q if use_means else reparameterize(mu_q, logvar_q, generator)
            out.append((z, mu_q, logvar_q, mu_p, logvar_p))
            z_above = z
        return out[::-1]

    def split(self, z):
        """z = [z_1, ..., z_L] (..., latent_dim) back into its levels, bottom first."""
        return z.split(list(self.levels), dim=-1)

    def encode(self, x, y=None):
        """(mu, logvar) of every level's q, joined bottom first, with each level above set to its posterior mean.
        (The lower levels' q depends on the sample above; this is the deterministic path, for active units.)"""
        self._check_labels(y)
        levels = self.infer(x, use_means=True)
        return torch.cat([mu for _, mu, _, _, _ in levels], -1), torch.cat([lv for _, _, lv, _, _ in levels], -1)

    def decode(self, z, y=None):
        """Parameters of p(x | z_1), from the bottom level of z = [z_1, ..., z_L]."""
        self._check_labels(y)
        return self.decoder(z[..., :self.levels[0]])

    def forward(self, x, y=None):
        """One pass with one sample of every level: (decoded, mu, logvar), mu and logvar of each level's q joined."""
        levels = self.infer(x)
        return (self.decoder(levels[0][0]), torch.cat([lvl[1] for lvl in levels], -1),
                torch.cat([lvl[2] for lvl in levels], -1))

    def level_terms(self, x, generator=None):
        """(reconstruction, kls): a one-sample log p(x | z_1) per example (batch,), and each level's KL in closed
        form given the sample above it, (batch, L), bottom first."""
        levels = self.infer(x, generator=generator)
        reconstruction = self.log_px_given_z(x, self.decoder(levels[0][0]))
        kls = torch.stack([kl_normal(mu_q, logvar_q, mu_p, logvar_p) for _, mu_q, logvar_q, mu_p, logvar_p in levels], -1)
        return reconstruction, kls

    def elbo(self, x, y=None, *, beta=1.0):
        """Per-example ELBO = log p(x|z_1) - beta * (sum of the levels' KLs), one sample of every level."""
        self._check_labels(y)
        reconstruction, kls = self.level_terms(x)
        kl = kls.sum(-1)
        return ELBO(reconstruction - beta * kl, reconstruction, kl)

    def sample_posterior(self, x, k=None, y=None, generator=None):
        """z = [z_1, ..., z_L] ~ q(z|x) and log q(z|x) = sum_l log q(z_l | x, z_{l+1})."""
        self._check_labels(y)
        levels = self.infer(x, k, generator)
        z = torch.cat([lvl[0] for lvl in levels], -1)
        return z, sum(gaussian_log_likelihood(z_l, mu_q, logvar_q) for z_l, mu_q, logvar_q, _, _ in levels)

    def log_prior(self, z):
        """log p(z) = log N(z_L; 0, I) + sum_{l<L} log p(z_l | z_{l+1}), per row of z = [z_1, ..., z_L]."""
        parts = self.split(z)
        total = gaussian_log_likelihood(parts[-1], torch.zeros_like(parts[-1]), 0.0)
        for level in range(len(parts) - 1):
            total = total + gaussian_log_likelihood(parts[level], *self.prior_of_level(level, parts[level + 1]))
        return total

    def sample_prior(self, n, generator=None):
        """n joined codes z ~ p(z), drawn top-down (ancestral sampling), shape (n, latent_dim)."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.levels[-1], generator=generator, device=device)
        parts = [z]
        for level in reversed(range(len(self.levels) - 1)):
            mu_p, logvar_p = self.prior_of_level(level, parts[0])
            parts.insert(0, reparameterize(mu_p, logvar_p, generator))
        return torch.cat(parts, -1)
