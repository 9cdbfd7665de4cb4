"""The few densities a VAE needs, written out so the math is visible.

Notation (the same as in the notebooks):
    x      an image, 784 pixels
    z      a latent vector of size d
    q(z|x) = N(z; mu, diag(sigma^2)), the encoder, with logvar = log sigma^2
    p(z)   = N(0, I), the prior
    p(x|z) the decoder: Bernoulli(sigmoid(logits)) or N(mean, sigma_x^2 I)

Every function but ``kl_penalty`` returns one value per example (it sums over the
last axis), so callers choose how to reduce over a batch; ``kl_penalty``, a training
loss, returns one number for the batch. Each is checked against
``torch.distributions`` in tests/test_distributions.py.

The functions are bare math, as in pytorch/examples' VAE: they do not check
their arguments, because they run on every batch. Data is checked where it
enters (``fit``, ``evaluate_elbo``, ``log_likelihood``, ...).
"""

import math

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


def reparameterize(mu, logvar, generator=None):
    """Sample z ~ N(mu, diag(exp(logvar))) as z = mu + sigma * eps, eps ~ N(0, I).

    The randomness sits in eps, which does not depend on (mu, logvar), so
    gradients flow through mu and sigma. Each row gets its own eps: sharing one
    eps across a batch (as the blog post did) correlates every example's noise.

    Taught in notebook 04 §1 (its exercise 5); the shared-eps bug in 04 §2.
    """
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_normal_std(mu, logvar):
    """KL( N(mu, diag(exp(logvar))) || N(0, I) ), one value per row.

        KL = 1/2 * sum_j ( mu_j^2 + sigma_j^2 - 1 - log sigma_j^2 )

    Working with logvar = log sigma^2 keeps sigma^2 = exp(logvar) > 0 for any
    network output and never takes the log of an underflowed zero.

    Taught in notebook 02 §1 (derived, and exercise 3), checked four ways in 02 §2-5.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def kl_normal(mu_q, logvar_q, mu_p, logvar_p):
    """KL( N(mu_q, diag sigma_q^2) || N(mu_p, diag sigma_p^2) ), one value per row.

        KL = 1/2 * sum_j ( log(sigma_p^2 / sigma_q^2)
                           + (sigma_q^2 + (mu_q - mu_p)^2) / sigma_p^2 - 1 )

    With mu_p = 0 and logvar_p = 0 this is ``kl_normal_std``.

    Taught in notebook 02 §2, as a check of the closed form.
    """
    ratio = (logvar_q - logvar_p).exp()
    return 0.5 * (ratio + (mu_q - mu_p).pow(2) / logvar_p.exp() - 1.0 - (logvar_q - logvar_p)).sum(-1)


def bernoulli_log_likelihood(logits, x):
    """log p(x|z) = sum_i [ x_i log s(l_i) + (1 - x_i) log(1 - s(l_i)) ], s = sigmoid.

    Computed from the logits l with the stable ``binary_cross_entropy_with_logits``
    (log s(l) = -softplus(-l)), never from probabilities: sigmoid saturates to
    exactly 0 or 1 in float32 and the log would be -inf.

    Taught in notebook 04 §3 (exercise 6).
    """
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def gaussian_log_likelihood(x, mean, logvar):
    """log N(x; mean, diag(exp(logvar))) = -1/2 sum_i [ log 2pi + logvar_i + (x_i - mean_i)^2 / exp(logvar_i) ].

    ``logvar`` may be a tensor shaped like x or a float shared by every pixel.
    With a fixed variance sigma^2 this is -||x - mean||^2 / (2 sigma^2) plus a
    constant: MSE is a Gaussian likelihood whose sigma^2 acts as a KL weight.
    Also used for the densities of z: q(z|x) and, with mean 0 and logvar 0, p(z).

    Taught in notebook 04 §3 (the implicit beta); the densities of z in notebook 06 §2.
    """
    logvar = torch.as_tensor(logvar, dtype=x.dtype, device=x.device)
    return -0.5 * (LOG_2PI + logvar + (x - mean).pow(2) / logvar.exp()).expand_as(x).sum(-1)


def log_gaussian_mixture(z, means, logvars):
    """log of an equal-weight mixture of C diagonal Gaussians, one value per row of z (..., d):

        log p(z) = logsumexp_c log N(z; mean_c, diag exp(logvar_c)) - log C,   means, logvars: (C, d)

    logsumexp subtracts the largest term before exponentiating, so a z far from every component
    (each log density near -1000) still gives a finite value, where log(sum(exp(...))) would be -inf.
    The squares are expanded, sum_j (z_j - m_cj)^2 / v_cj = z^2 . (1/v_c) - 2 z . (m_c/v_c) + m_c^2 . (1/v_c),
    so three matrix products replace a (..., C, d) tensor: for 5,000 samples of 300 images and C = 300,
    that tensor would hold 3.6e9 numbers.

    The learned priors' density: MixturePriorVAE's (free means) and VampPriorVAE's (the encoder's
    posteriors at its pseudo-inputs), and notebook 11's aggregate posterior. Taught in notebook 11 §4 (exercise 17).
    """
    precision = torch.exp(-logvars)                                                       # 1 / v, (C, d)
    squares = (z * z) @ precision.T - 2 * z @ (means * precision).T + (means * means * precision).sum(-1)
    log_each = -0.5 * (z.shape[-1] * LOG_2PI + logvars.sum(-1) + squares)                 # (..., C)
    return torch.logsumexp(log_each, dim=-1) - math.log(means.shape[0])


def sample_gaussian_mixture(n, means, logvars, generator=None):
    """n draws from the equal-weight mixture of ``log_gaussian_mixture``: a component c uniformly at random, then
    z = mean_c + exp(logvar_c / 2) * eps with eps ~ N(0, I); shape (n, d). The learned priors' sampler
    (MixturePriorVAE's, VampPriorVAE's) and notebook 13's mixture prior's. Taught in notebook 11 §4."""
    pick = torch.randint(len(means), (n,), generator=generator, device=means.device)
    eps = torch.randn(n, means.shape[-1], generator=generator, device=means.device)
    return means[pick] + torch.exp(0.5 * logvars[pick]) * eps


def kl_penalty(mu, logvar, beta, step, warmup_steps=0, free_bits=0.0):
    """The KL part of the loss with KL warm-up and free bits, a scalar:

        beta_t * sum_j max(free_bits, KL_j),   KL_j = (1/B) sum_b 1/2 (mu_bj^2 + sigma_bj^2 - 1 - log sigma_bj^2)

    with beta_t = beta * min(1, step / warmup_steps) (beta_t = beta without warm-up). Each unit's KL
    is averaged over the batch before the clamp, so a unit below free_bits sends the KL term no gradient.

    Taught in notebook 07 §1 (exercise 13), whose training loop uses it from the library.
    """
    kl_per_unit = (0.5 * (mu**2 + logvar.exp() - 1 - logvar)).mean(0)
    beta_t = beta * min(1.0, step / warmup_steps) if warmup_steps else beta
    return beta_t * kl_per_unit.clamp(min=free_bits).sum()
