import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae_lib import (bernoulli_log_likelihood, gaussian_log_likelihood, kl_normal, kl_normal_std,
                     reparameterize)

pytestmark = pytest.mark.notebooks("01", "02", "04", "07", "10")  # make test-one NB=... runs these for them


def random_gaussian(generator, rows=64, dims=5, dtype=torch.float64):
    mu = torch.randn(rows, dims, generator=generator, dtype=dtype) * 2
    logvar = torch.randn(rows, dims, generator=generator, dtype=dtype) * 1.5
    return mu, logvar


def test_kl_normal_std_matches_torch_distributions(generator):
    mu, logvar = random_gaussian(generator)
    q = Normal(mu, torch.exp(0.5 * logvar))
    expected = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(-1)
    torch.testing.assert_close(kl_normal_std(mu, logvar), expected, rtol=1e-12, atol=1e-12)


def test_kl_normal_general_matches_torch_and_reduces_to_std(generator):
    mu_q, logvar_q = random_gaussian(generator)
    mu_p, logvar_p = random_gaussian(generator)
    expected = kl_divergence(Normal(mu_q, (0.5 * logvar_q).exp()), Normal(mu_p, (0.5 * logvar_p).exp())).sum(-1)
    torch.testing.assert_close(kl_normal(mu_q, logvar_q, mu_p, logvar_p), expected)
    zeros = torch.zeros_like(mu_q)
    torch.testing.assert_close(kl_normal(mu_q, logvar_q, zeros, zeros), kl_normal_std(mu_q, logvar_q))


def test_kl_normal_std_gradcheck(generator):
    mu, logvar = random_gaussian(generator, rows=4, dims=3)
    assert torch.autograd.gradcheck(kl_normal_std, (mu.requires_grad_(), logvar.requires_grad_()))


def test_kl_is_zero_only_at_the_prior():
    zeros = torch.zeros(2, 3)
    assert torch.equal(kl_normal_std(zeros, zeros), torch.zeros(2))
    assert (kl_normal_std(zeros + 0.1, zeros) > 0).all()
    assert (kl_normal_std(zeros, zeros + 0.1) > 0).all()


def test_reparameterize_statistics(generator):
    n = 200_000
    mu = torch.tensor([[1.5, -2.0, 0.0]]).expand(n, 3)
    logvar = torch.tensor([[0.0, math.log(4.0), math.log(0.01)]]).expand(n, 3)
    z = reparameterize(mu, logvar, generator=generator)
    # standard errors of the sample mean and variance are sigma/sqrt(n) and ~sigma^2*sqrt(2/n)
    sigma = torch.tensor([1.0, 2.0, 0.1])
    assert ((z.mean(0) - mu[0]).abs() < 5 * sigma / math.sqrt(n)).all()
    assert ((z.var(0) - sigma**2).abs() < 5 * sigma**2 * math.sqrt(2 / n)).all()
    # each row gets its own noise: neighbouring rows are uncorrelated
    eps = (z - mu) / sigma
    corr = (eps[1:] * eps[:-1]).mean(0)
    assert (corr.abs() < 5 / math.sqrt(n)).all()


def test_reparameterize_passes_gradients():
    mu = torch.zeros(4, 2, requires_grad=True)
    logvar = torch.zeros(4, 2, requires_grad=True)
    reparameterize(mu, logvar).sum().backward()
    assert torch.equal(mu.grad, torch.ones(4, 2))
    assert logvar.grad.abs().sum() > 0


def test_bernoulli_log_likelihood_matches_torch(generator):
    logits = torch.randn(16, 784, generator=generator, dtype=torch.float64) * 5
    x = torch.bernoulli(torch.full((16, 784), 0.3, dtype=torch.float64), generator=generator)
    expected = Bernoulli(logits=logits).log_prob(x).sum(-1)
    torch.testing.assert_close(bernoulli_log_likelihood(logits, x), expected)


def test_bernoulli_log_likelihood_is_finite_for_saturated_logits():
    logits = torch.tensor([[100.0, -100.0]])
    x = torch.tensor([[0.0, 1.0]])
    assert torch.allclose(bernoulli_log_likelihood(logits, x), torch.tensor([-200.0]))


def test_gaussian_log_likelihood_matches_torch(generator):
    x, mean = torch.randn(2, 8, 10, generator=generator, dtype=torch.float64)
    logvar = torch.randn(8, 10, generator=generator, dtype=torch.float64)
    expected = Normal(mean, (0.5 * logvar).exp()).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, logvar), expected)
    expected_fixed = Normal(mean, math.exp(0.5 * -1.0)).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, -1.0), expected_fixed)



def test_kl_penalty_is_beta_t_times_the_clamped_per_unit_kl():
    from vae_lib import kl_penalty
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(32, 6, generator=g), torch.randn(32, 6, generator=g) - 1
    mu[:, :3] *= 0.1
    logvar[:, :3] *= 0.1
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    per_unit = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).mean(0)
    assert torch.allclose(kl_penalty(mu, logvar, 2.0, step=50), 2.0 * per_unit.sum(), atol=1e-5)
    assert torch.allclose(kl_penalty(mu, logvar, 2.0, 50, free_bits=0.25), 2.0 * per_unit.clamp(min=0.25).sum(), atol=1e-5)
    assert (per_unit < 0.25).any() and (per_unit > 0.25).any()        # the clamp matters on this case
    assert torch.allclose(kl_penalty(mu, logvar, 2.0, 50, warmup_steps=200), 0.5 * per_unit.sum(), atol=1e-5)
    assert torch.allclose(kl_penalty(mu, logvar, 2.0, 500, warmup_steps=200), 2.0 * per_unit.sum(), atol=1e-5)
