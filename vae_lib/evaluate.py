"""How good is a trained VAE? The ELBO, the importance-weighted log p(x), active units, holes.

The importance-weighted estimate (Burda et al., 2016) with k samples
z_1..z_k ~ q(z|x):

    log p(x) ~= log (1/k) sum_i w_i,    w_i = p(x|z_i) p(z_i) / q(z_i|x).

Its expectation is a lower bound that rises with k towards log p(x); k = 1 is
the ELBO. Everything here runs without gradients; ``log_likelihood`` and
``evaluate_elbo`` go through the data in chunks (and ``log_likelihood`` through
the k samples too), so k in the thousands fits in memory. Each function checks its
arguments once, at the top; the chunks then run the model's bare forward passes.
Every model is evaluated through the same calls (``elbo(x, y)``, ``sample_posterior``,
``log_prior``, ``log_px_given_z``), with y None for a model without labels.
"""

import math

import torch

from . import _arguments


def _chunks(n, size):
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


@torch.no_grad()
def log_likelihood(model, x, k=500, batch_size=None, generator=None, max_elements=2**24, *, y=None):
    """Importance-weighted estimate of log p(x), one value per row of x, in nats.

    x: (N, data_dim) on the model's device (binarized for a Bernoulli decoder).
    y: the class labels, for a ConditionalVAE, whose estimate is of log p(x|y).
    Samples are processed in chunks of at most ``max_elements`` decoder outputs. The model's own
    ``sample_posterior`` and ``log_prior`` give z, q and p, so flows and learned priors are measured alike.
    Taught in notebook 01 §8 (the bound) and notebook 06 §2 (exercise 12).
    """
    _arguments.number("k", k, minimum=1, integer=True)
    _arguments.images_for(model, "x", x)
    y = _labels(model, y, x)
    batch_size = batch_size or max(1, min(len(x), max_elements // (k * x.shape[1]) or 1))
    k_chunk = max(1, min(k, max_elements // (batch_size * x.shape[1])))
    out = []
    for rows in _chunks(len(x), batch_size):
        xb, yb = x[rows], _rows(y, rows)
        log_w = []
        for ks in _chunks(k, k_chunk):
            z, log_qz = model.sample_posterior(xb, ks.stop - ks.start, yb, generator)   # (k_chunk, B, d), (k_chunk, B)
            log_pxz = model.log_px_given_z(xb.expand(len(z), *xb.shape), model.decode(z, yb))
            log_w.append(log_pxz + model.log_prior(z) - log_qz)                  # (k_chunk, B)
        out.append(torch.logsumexp(torch.cat(log_w), dim=0) - math.log(k))
    return torch.cat(out)


@torch.no_grad()
def evaluate_elbo(model, x, beta=1.0, batch_size=2000, *, y=None):
    """Mean ELBO terms over x (one z sample per example): a dict of Python floats.

    y: the class labels, for a ConditionalVAE (its ELBO bounds log p(x|y)).
    Taught in notebook 05 §3 (training versus validation ELBO).
    """
    _arguments.images_for(model, "x", x)
    _arguments.number("beta", beta, minimum=0)
    return mean_elbo_terms(model, x, beta, batch_size, _labels(model, y, x))


def _labels(model, y, x):
    """y on x's device for a conditional model (checked), None for the others."""
    y = _arguments.labels_for(model, "y", y, len(x))
    return None if y is None else y.to(x.device)


def _rows(y, rows):
    """The labels of these rows, or None for a model without labels."""
    return None if y is None else y[rows]


@torch.no_grad()
def mean_elbo_terms(model, x, beta=1.0, batch_size=2000, y=None):
    """``evaluate_elbo`` without its argument checks, for callers that checked x (and labels) already (``fit``)."""
    totals = {"elbo": 0.0, "reconstruction": 0.0, "kl": 0.0}
    for rows in _chunks(len(x), batch_size):
        terms = model.elbo(x[rows], _rows(y, rows), beta=beta)
        for name in totals:
            totals[name] += getattr(terms, name).sum().item()
    return {name: total / len(x) for name, total in totals.items()}


@torch.no_grad()
def fraction_far_from_codes(samples, codes, spacings=5.0, reference=2000):
    """Fraction of ``samples`` farther than ``spacings`` typical spacings from every code: in a "hole".

    The typical spacing is the median distance from a code to its nearest other
    code, over the first ``reference`` codes. A decoder only learned what to do
    near the codes it was trained on, so a sample far from all of them decodes to
    something it never saw. Taught in notebook 03 §5; used in 05 §6 and 07 §4.
    """
    _arguments.tensor("codes", codes, dims=2)
    _arguments.tensor("samples", samples, dims=2, last=codes.shape[1])
    if len(codes) < 2:
        raise ValueError(f"need at least 2 codes to measure their spacing, got {len(codes)}")
    n = min(reference, len(codes))
    to_codes = torch.cdist(codes[:n], codes)
    to_codes[torch.arange(n), torch.arange(n)] = float("inf")  # a code's nearest neighbour is not itself
    spacing = to_codes.min(1).values.median()
    return (torch.cdist(samples, codes).min(1).values > spacings * spacing).float().mean().item()


@torch.no_grad()
def active_units(model, x, threshold=0.01, *, y=None):
    """Number of latent dimensions j with Var_x( E_q[z_j | x] ) > threshold (Burda et al.).

    A unit whose posterior mean does not move with x carries no information:
    its q(z_j|x) has collapsed onto the prior. Taught in notebook 07 §2, next to a rate threshold.
    """
    _arguments.images_for(model, "x", x)
    if len(x) < 2:
        raise ValueError(f"active_units needs at least 2 examples to measure a variance, got {len(x)}")
    _arguments.number("threshold", threshold, minimum=0)
    mu, _ = model.encode(x, _labels(model, y, x))
    return int((mu.var(dim=0) > threshold).sum())
