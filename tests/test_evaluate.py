"""The evaluators against an oracle: a VAE with a 2-D latent, where log p(x) = log of the integral of p(x|z) p(z)
over the plane is computed by quadrature on a fine grid, and so is the exact posterior p(z|x)."""

import math

import pytest
import torch

from vae_lib import VAE, active_units, evaluate_elbo, log_likelihood
from vae_lib.distributions import bernoulli_log_likelihood, gaussian_log_likelihood, kl_normal_std

pytestmark = pytest.mark.notebooks("06", "08", "10", "11", "12")  # make test-one NB=... runs these for them

GRID = torch.linspace(-10, 10, 501, dtype=torch.float64)  # spacing 0.04; the prior and every q have < 1e-6 outside


@pytest.fixture(scope="module")
def oracle():
    """(model, x, exact log p(x), log p(z|x) on the grid, the grid's points, log of a grid cell's area), float64.

    A randomly initialized VAE, its weights scaled up so that p(x|z) varies over the plane and q(z|x) sits away
    from the prior, and the posterior differs from both: 16 binary pixels, 12 images."""
    torch.manual_seed(0)
    model = VAE(latent_dim=2, hidden=(32,), data_dim=16).double().eval()
    with torch.no_grad():
        for layer, scale in [(model.encoder[0], 2.0), (model.encoder[2], 3.0), (model.decoder[0], 3.0),
                             (model.decoder[2], 3.0)]:
            layer.weight.mul_(scale)
    x = torch.bernoulli(torch.full((12, 16), 0.4, dtype=torch.float64), generator=torch.Generator().manual_seed(1))
    z = torch.cartesian_prod(GRID, GRID)                                               # (G, 2)
    log_cell = 2 * math.log(GRID[1] - GRID[0])
    log_joint = log_joint_on(model, x, z)                                             # (G, 12)
    log_px = torch.logsumexp(log_joint, 0) + log_cell                                   # (12,)
    return model, x, log_px, log_joint - log_px, z, log_cell


@torch.no_grad()
def log_joint_on(model, x, z, chunk=4096):
    """log p(x|z) + log p(z) for every grid point z (rows) and image x (columns)."""
    out = []
    for part in z.split(chunk):
        logits = model.decode(part)[:, None, :].expand(len(part), *x.shape)
        out.append(bernoulli_log_likelihood(logits, x.expand_as(logits))
                   + gaussian_log_likelihood(part, torch.zeros_like(part), 0.0)[:, None])
    return torch.cat(out)


def test_the_quadrature_is_converged(oracle):
    """Twice the spacing gives log p(x) within 1e-3 nats: the oracle's own error is far below every tolerance here."""
    model, x, log_px, _, z, log_cell = oracle
    coarse = torch.cartesian_prod(GRID[::2], GRID[::2])
    log_joint = log_joint_on(model, x, coarse)
    torch.testing.assert_close(torch.logsumexp(log_joint, 0) + log_cell + math.log(4), log_px, atol=1e-3, rtol=0)


@torch.no_grad()
def kl_to_posterior(oracle):
    """KL(q(z|x) || p(z|x)) per image, from both densities on the grid."""
    model, x, log_px, log_posterior, z, log_cell = oracle
    mu, logvar = model.encode(x)
    grid = z[:, None, :].expand(-1, len(x), -1)
    log_q = gaussian_log_likelihood(grid, mu.expand_as(grid), logvar.expand_as(grid))   # (G, 12)
    assert logvar.exp().sqrt().min() > 10 * (GRID[1] - GRID[0]), "the grid resolves q's density"
    assert ((torch.exp(log_q + log_cell).sum(0) - 1).abs() < 1e-4).all(), "and holds all of q's mass"
    return (torch.exp(log_q + log_cell) * (log_q - log_posterior)).sum(0)


def test_elbo_is_log_likelihood_minus_the_kl_from_q_to_the_exact_posterior(oracle):
    """log p(x) - ELBO = KL(q(z|x) || p(z|x)); the ELBO is model.elbo averaged over 100,000 draws of z per image."""
    model, x, log_px, *_ = oracle
    kl = kl_to_posterior(oracle)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        assert kl_normal_std(mu, logvar).mean() > 0.5 and kl.mean() > 0.1, "q is far from the prior and the posterior"
        torch.manual_seed(0)
        draws = model.elbo(x.repeat(100_000, 1)).elbo.view(100_000, len(x))
    elbo, error = draws.mean(0), draws.std(0) / math.sqrt(len(draws))
    assert ((elbo - (log_px - kl)).abs() < 4 * error + 1e-3).all(), (elbo, log_px - kl, error)


def test_importance_weighted_bound_rises_with_k_towards_the_exact_log_likelihood(oracle):
    """E[L_k] <= log p(x), rising with k (Burda et al.); at k = 1 it is the ELBO, log p(x) - KL(q || posterior)."""
    model, x, log_px, *_ = oracle
    means, errors = [], []
    for k, repeats in ((1, 20_000), (10, 2_000), (100, 200), (3000, 20)):
        draws = log_likelihood(model, x.repeat(repeats, 1), k=k, generator=torch.Generator().manual_seed(k))
        draws = draws.view(repeats, len(x))
        means.append(draws.mean(0))
        errors.append(draws.std(0) / math.sqrt(repeats))
    assert ((means[0] - (log_px - kl_to_posterior(oracle))).abs() < 4 * errors[0] + 1e-3).all(), "k = 1: the ELBO"
    for mean, error in zip(means, errors):
        assert (mean < log_px + 4 * error).all(), "an importance-weighted estimate's mean is a lower bound"
    for lower, higher, e1, e2 in zip(means, means[1:], errors, errors[1:]):
        assert (higher > lower - 4 * (e1**2 + e2**2).sqrt()).all(), "the bound rises with k"
    gap_1, gap_3000 = (log_px - means[0]).mean(), (log_px - means[-1]).mean()
    assert gap_1 > 0.3, f"the posterior differs from q: the ELBO is {gap_1:.2f} nats below log p(x)"
    assert gap_3000 < 0.02 * gap_1 + 4 * errors[-1].mean(), "k = 3000 closes nearly all of the gap"


def test_log_likelihood_chunking_does_not_change_the_result(oracle):
    model, x, *_ = oracle
    small = log_likelihood(model, x, k=64, generator=torch.Generator().manual_seed(5),
                           batch_size=12, max_elements=12 * 16 * 64)
    chunked = log_likelihood(model, x, k=64, generator=torch.Generator().manual_seed(5),
                             batch_size=12, max_elements=12 * 16 * 8)
    torch.testing.assert_close(small, chunked)


def test_evaluate_elbo_terms_add_up(oracle):
    model, x, *_ = oracle
    terms = evaluate_elbo(model, x)
    assert terms["elbo"] == pytest.approx(terms["reconstruction"] - terms["kl"], abs=1e-9)


def test_active_units_counts_the_means_that_move_with_x():
    """A 4-D encoder built by hand: mu_1 = pixel 0 (variance 1/12 over uniform images), mu_2 = pixel 1 / 20
    (variance 1/4800), mu_3 = mu_4 = 0. So exactly one unit is active at 0.01, two at 1e-5, none at 0.1."""
    model = VAE(latent_dim=4, hidden=(8,))
    model.encoder = torch.nn.Linear(784, 8)  # outputs (mu, logvar), 4 each
    with torch.no_grad():
        model.encoder.weight.zero_()
        model.encoder.bias.zero_()
        model.encoder.weight[0, 0] = 1.0
        model.encoder.weight[1, 1] = 0.05
    x = torch.rand(20_000, 784, generator=torch.Generator().manual_seed(0))
    assert [active_units(model, x, threshold=t) for t in (0.1, 0.01, 1e-5)] == [0, 1, 2]


def test_fraction_far_from_codes_counts_samples_in_holes():
    from vae_lib import fraction_far_from_codes
    grid = torch.cartesian_prod(torch.arange(10.0), torch.arange(10.0))   # codes 1 apart: spacing 1
    assert fraction_far_from_codes(grid + 0.3, grid) == 0.0                # near codes: no hole
    far = torch.tensor([[100.0, 100.0], [4.5, 4.5], [-20.0, 0.0], [4.0, 4.0]])
    assert fraction_far_from_codes(far, grid) == 0.5                       # 2 of 4 beyond 5 spacings
    assert fraction_far_from_codes(far, grid, spacings=200) == 0.0
