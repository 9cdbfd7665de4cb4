"""vae_lib.hierarchical and vae_lib.diffusion (notebook 13), checked against torch.distributions and closed forms."""

import math

import pytest
import torch

import vae_lib
from vae_lib import DiffusionPrior, HierarchicalVAE, diffuse

pytestmark = pytest.mark.notebooks("13")  # make test-one NB=... runs these for them

Normal = torch.distributions.Normal


def small(levels=(3, 2)):
    torch.manual_seed(0)
    return HierarchicalVAE(levels=levels, hidden=(16,), data_dim=12).double()


def images(n=5):
    return torch.bernoulli(torch.full((n, 12), 0.4, dtype=torch.float64), generator=torch.Generator().manual_seed(1))


def test_one_level_is_the_plain_vae():
    model, x = small(levels=(3,)), images()
    torch.manual_seed(2)
    terms = model.elbo(x)
    mu, logvar = model.encode(x)
    assert torch.allclose(terms.kl, vae_lib.kl_normal_std(mu, logvar), atol=1e-12)
    assert model.latent_dim == 3 and model.config.levels == (3,)


def test_the_elbo_of_two_levels_against_torch_distributions():
    model, x = small(), images()
    torch.manual_seed(3)
    (z1, mu1, lv1, mp1, lp1), (z2, mu2, lv2, _, _) = model.infer(x)
    q1, p1 = Normal(mu1, torch.exp(0.5 * lv1)), Normal(mp1, torch.exp(0.5 * lp1))
    q2 = Normal(mu2, torch.exp(0.5 * lv2))
    expected = (torch.distributions.Bernoulli(logits=model.decoder(z1)).log_prob(x).sum(-1)
                - torch.distributions.kl_divergence(q1, p1).sum(-1)
                - torch.distributions.kl_divergence(q2, Normal(0.0, 1.0)).sum(-1))
    torch.manual_seed(3)
    assert torch.allclose(model.elbo(x).elbo, expected, atol=1e-12)


def test_the_posterior_of_a_lower_level_is_the_normalized_product_of_opinion_and_prior():
    model, x = small(), images(3)
    torch.manual_seed(4)
    (z1, mu_q, logvar_q, mu_p, logvar_p), (z2, *_) = model.infer(x)
    mu_hat, logvar_hat = model.bottom_up(x)[0]
    grid = torch.linspace(-3, 3, 7, dtype=torch.float64)[:, None, None]
    log_ratio = (Normal(mu_hat, torch.exp(0.5 * logvar_hat)).log_prob(grid) + Normal(mu_p, torch.exp(0.5 * logvar_p)).log_prob(grid)
                 - Normal(mu_q, torch.exp(0.5 * logvar_q)).log_prob(grid))
    assert (log_ratio.max(0).values - log_ratio.min(0).values).max() < 1e-10   # constant in z: the same density


def test_log_prior_and_sample_posterior_against_torch_distributions():
    model, x = small(), images(4)
    z, log_q = model.sample_posterior(x, k=3, generator=torch.Generator().manual_seed(5))
    assert z.shape == (3, 4, 5) and log_q.shape == (3, 4)
    z1, z2 = z[..., :3], z[..., 3:]
    mu_p, logvar_p = model.prior_of_level(0, z2)
    expected = Normal(0.0, 1.0).log_prob(z2).sum(-1) + Normal(mu_p, torch.exp(0.5 * logvar_p)).log_prob(z1).sum(-1)
    assert torch.allclose(model.log_prior(z), expected, atol=1e-12)
    # the joint one-sample estimate and the closed-form-KL estimate of the ELBO agree on average
    z, log_q = model.sample_posterior(x, k=20000, generator=torch.Generator().manual_seed(6))
    joint = (model.log_px_given_z(x.expand(20000, *x.shape), model.decode(z)) + model.log_prior(z) - log_q).detach()
    torch.manual_seed(7)
    closed = torch.stack([model.elbo(x).elbo for _ in range(20000)]).detach()
    se = ((joint.var(0) + closed.var(0)) / 20000).sqrt()
    assert ((joint.mean(0) - closed.mean(0)).abs() < 4 * se).all()


def test_importance_weighted_log_likelihood_is_above_the_elbo_and_sampling_is_ancestral():
    model, x = small(), images(4)
    log_px = vae_lib.log_likelihood(model.float(), x.float(), k=2000, generator=torch.Generator().manual_seed(8))
    torch.manual_seed(9)
    elbo = torch.stack([model.elbo(x.float()).elbo for _ in range(200)]).mean(0).detach()
    assert (log_px > elbo).all()
    z = model.sample_prior(50000, generator=torch.Generator().manual_seed(10))
    assert z.shape == (50000, 5)
    top = z[:, 3:]
    assert top.mean(0).abs().max() < 0.03 and (top.var(0) - 1).abs().max() < 0.03   # p(z_2) = N(0, I)


def test_a_hierarchical_vae_survives_a_checkpoint(tmp_path):
    model = small()
    vae_lib.save_checkpoint(model, tmp_path / "h.pt")
    loaded = vae_lib.load_checkpoint(tmp_path / "h.pt")
    loaded = loaded[0] if isinstance(loaded, tuple) else loaded
    assert type(loaded) is HierarchicalVAE and loaded.config == model.config
    x = images().float()
    z = loaded.sample_prior(3, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(loaded.log_prior(z), model.float().log_prior(z))


def test_free_bits_per_level_keep_a_level_out_of_the_gradient():
    model, x = small(), images()
    _, kls = model.level_terms(x)
    kls.mean(0).clamp(min=100.0).sum().backward()            # every level below 100 nats: no gradient at all
    assert all(p.grad is None or p.grad.abs().max() == 0 for p in model.parameters())


def test_diffuse_is_the_closed_form_and_preserves_variance():
    g = torch.Generator().manual_seed(0)
    z0, noise = torch.randn(4, 3, generator=g, dtype=torch.float64), torch.randn(4, 3, generator=g, dtype=torch.float64)
    log_snr = torch.tensor([[-3.0], [0.0], [1.5], [8.0]], dtype=torch.float64)
    alpha2 = log_snr.exp() / (1 + log_snr.exp())
    assert torch.allclose(diffuse(z0, log_snr, noise), alpha2.sqrt() * z0 + (1 - alpha2).sqrt() * noise, atol=1e-12)
    big = torch.randn(200000, 1, generator=g, dtype=torch.float64)
    assert abs(diffuse(big, 0.3, torch.randn(200000, 1, generator=g, dtype=torch.float64)).var() - 1) < 0.02


class ExactDenoiser(DiffusionPrior):
    """The best noise prediction for 1-D data N(m, s^2): E[eps | z_t] in closed form."""

    def __init__(self, m, s):
        super().__init__(dim=1)
        self.m, self.s = m, s

    def predict_noise(self, z_t, t):
        a2, s2 = torch.sigmoid(self.log_snr(t))[:, None], torch.sigmoid(-self.log_snr(t))[:, None]
        return s2.sqrt() * (z_t - a2.sqrt() * self.m) / (a2 * self.s**2 + s2)


@pytest.mark.parametrize("m, s", [(0.7, 0.5), (-1.0, 2.0)])
def test_with_the_exact_denoiser_the_bound_is_the_log_density(m, s):
    z = m + s * torch.randn(20000, 1, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        bound = ExactDenoiser(m, s).log_prob_bound(z, samples=20, generator=torch.Generator().manual_seed(2))
    gap = Normal(m, s).log_prob(z).squeeze(1) - bound
    assert abs(gap.mean()) < 4 * gap.std() / math.sqrt(len(gap)) + 0.01


def test_an_untrained_diffusion_prior_is_the_standard_normal_and_a_worse_denoiser_a_looser_bound():
    prior = DiffusionPrior(dim=4)
    z = torch.randn(5000, 4, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        bound = prior.log_prob_bound(z, samples=10, generator=torch.Generator().manual_seed(4))
        gap = Normal(0.0, 1.0).log_prob(z).sum(-1) - bound
        assert abs(gap.mean()) < 4 * gap.std() / math.sqrt(len(gap)) + 0.02
        shifted = z + 1.0                                        # data the N(0, I) noise predictor is wrong for
        loose = Normal(1.0, 1.0).log_prob(shifted).sum(-1) - prior.log_prob_bound(shifted, samples=10)
        assert loose.mean() > 0.5


def test_sampling_an_untrained_diffusion_prior_gives_the_standard_normal_with_the_forward_variance():
    prior = DiffusionPrior(dim=3, hidden=(16,))
    z = prior.sample(20000, steps=100, generator=torch.Generator().manual_seed(5))
    assert z.shape == (20000, 3)
    assert z.mean(0).abs().max() < 0.05 and (z.var(0) - 1).abs().max() < 0.05   # s.e. of a variance: 0.01
    shrunk = prior.sample(20000, steps=100, generator=torch.Generator().manual_seed(5), variance="posterior")
    assert (shrunk.var(0) < 0.95).all()          # the posterior variance alone under-disperses at 100 steps


def test_a_diffusion_prior_learns_a_shifted_gaussian():
    torch.manual_seed(0)
    prior = DiffusionPrior(dim=2, hidden=(32, 32))
    optimizer = torch.optim.Adam(prior.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(6)
    data = lambda n: torch.tensor([2.0, -1.0]) + 0.5 * torch.randn(n, 2, generator=g)
    for _ in range(400):
        loss = prior.loss(data(256), g)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        held_out = data(4000)
        before = DiffusionPrior(dim=2).log_prob_bound(held_out, samples=4).mean()
        after = prior.log_prob_bound(held_out, samples=4).mean()
        exact = Normal(torch.tensor([2.0, -1.0]), 0.5).log_prob(held_out).sum(-1).mean()
    assert after > before + 3 and after < exact + 0.05            # a bound: below the exact log density
