"""The flow posterior and the learned prior (notebook 11): the change of variables, invertibility, the mixture
density, and the errors for settings they cannot take."""

import math

import pytest
import torch
from torch.autograd.functional import jacobian

import vae_lib
from vae_lib.models import AutoregressiveAffine

pytestmark = pytest.mark.notebooks("11")  # make test-one NB=... runs these for them


def random_flow(latent_dim=4, flow_layers=3, seed=0):
    """A float64 FlowVAE whose flow layers are away from the identity they start at."""
    torch.manual_seed(seed)
    model = vae_lib.FlowVAE(latent_dim=latent_dim, hidden=(16,), flow_layers=flow_layers).double()
    for p in model.flows.parameters():
        torch.nn.init.normal_(p, std=0.3)
    return model


def test_the_summed_log_determinant_is_the_log_determinant_of_the_jacobian():
    model = random_flow()
    x = torch.rand(3, 784, dtype=torch.float64)
    h = model.context(x)
    z0 = torch.randn(3, 4, dtype=torch.float64)
    _, log_det = model.flow(z0, h)
    for b in range(3):
        J = jacobian(lambda v: model.flow(v, h[b])[0], z0[b])
        assert abs(torch.linalg.slogdet(J)[1] - log_det[b]) < 1e-10


def test_a_layer_is_triangular_and_its_inverse_undoes_it():
    torch.manual_seed(1)
    layer = AutoregressiveAffine(5, 20, "silu").double()
    torch.nn.init.normal_(layer.out.weight, std=0.5)
    h, z = torch.randn(20, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    J = jacobian(lambda v: layer(v, h)[0], z)
    assert (J.triu(1) == 0).all() and (J.tril(-1) != 0).any()
    assert torch.allclose(layer.inverse(layer(z, h)[0], h), z, atol=1e-12)


def test_a_new_flow_is_the_identity_so_a_trained_vae_loads_into_it():
    torch.manual_seed(0)
    vae = vae_lib.VAE(latent_dim=3, hidden=(16,))
    flow = vae_lib.FlowVAE(latent_dim=3, hidden=(16,), flow_layers=2)
    missing = flow.load_state_dict(vae.state_dict(), strict=False).missing_keys
    assert missing and all(key.startswith(("flows.", "context.")) for key in missing)
    x = torch.bernoulli(torch.rand(5, 784))
    generator = torch.Generator().manual_seed(0)
    z, log_q = flow.sample_posterior(x, k=2, generator=generator)
    z_vae, log_q_vae = vae.sample_posterior(x, k=2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(z, z_vae) and torch.allclose(log_q, log_q_vae)


def test_log_q_of_a_flow_sample_integrates_to_one_in_two_dimensions():
    """exp(log q) over a grid sums to 1: the change of variables gives a normalized density (by the inverse)."""
    model = random_flow(latent_dim=2, flow_layers=2, seed=3)
    x = torch.rand(1, 784, dtype=torch.float64)
    mu, logvar = model.encode(x)
    h = model.context(x)[0]
    grid = torch.linspace(-9, 9, 601, dtype=torch.float64)
    z = torch.stack(torch.meshgrid(grid, grid, indexing="xy"), -1).reshape(-1, 2)
    u = z                                                    # invert the two layers: the second ran reversed
    u = model.flows[1].inverse(u.flip(-1), h).flip(-1)
    u = model.flows[0].inverse(u, h)
    _, log_det = model.flow(u, h)
    log_q = vae_lib.gaussian_log_likelihood(u, mu.expand_as(u), logvar.expand_as(u)) - log_det
    mass = log_q.exp().sum() * (grid[1] - grid[0]) ** 2
    assert abs(mass - 1) < 1e-3


def test_vampprior_log_density_is_the_mixture_of_the_encoders_posteriors():
    torch.manual_seed(0)
    model = vae_lib.VampPriorVAE(latent_dim=3, hidden=(16,), pseudo_inputs=7)
    model.set_pseudo_inputs(torch.rand(7, 784))
    mu, logvar = model.prior_components()
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=torch.zeros(7)),
        torch.distributions.Independent(torch.distributions.Normal(mu, torch.exp(0.5 * logvar)), 1))
    z = torch.randn(4, 6, 3)
    assert torch.allclose(model.log_prior(z), mixture.log_prob(z), atol=1e-5)
    samples = model.sample_prior(20000, torch.Generator().manual_seed(0))
    assert torch.allclose(samples.mean(0), mixture.mean, atol=0.05)


def test_the_mixture_density_is_torch_distributions_mixture_in_float64_and_stays_finite_far_away():
    g = torch.Generator().manual_seed(0)
    means, logvars = torch.randn(9, 4, generator=g, dtype=torch.float64), torch.randn(9, 4, generator=g, dtype=torch.float64)
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=torch.zeros(9, dtype=torch.float64)),
        torch.distributions.Independent(torch.distributions.Normal(means, torch.exp(0.5 * logvars)), 1))
    z = 3 * torch.randn(5, 6, 4, generator=g, dtype=torch.float64)
    assert torch.allclose(vae_lib.log_gaussian_mixture(z, means, logvars), mixture.log_prob(z), atol=1e-10)
    far = torch.full((2, 4), 40.0)                        # every density below e^-700: float32 must stay in log space
    got = vae_lib.log_gaussian_mixture(far, means.float(), logvars.float())
    assert torch.isfinite(got).all() and torch.allclose(got.double(), mixture.log_prob(far.double()), rtol=1e-5)


@pytest.mark.notebooks("11", "13")
def test_the_mixture_sampler_draws_torch_distributions_mixture():
    """sample_gaussian_mixture against MixtureSameFamily: the mean and covariance of 200,000 draws, each within 5
    standard errors, and far-apart components picked equally often (a wrong pick or a sqrt missing fails)."""
    g = torch.Generator().manual_seed(0)
    means, logvars = 10 * torch.randn(4, 3, generator=g, dtype=torch.float64), torch.randn(4, 3, generator=g, dtype=torch.float64)
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=torch.zeros(4, dtype=torch.float64)),
        torch.distributions.Independent(torch.distributions.Normal(means, torch.exp(0.5 * logvars)), 1))
    n = 200_000
    z = vae_lib.sample_gaussian_mixture(n, means, logvars, torch.Generator().manual_seed(1))
    assert z.shape == (n, 3) and z.dtype == torch.float64
    assert ((z.mean(0) - mixture.mean).abs() < 5 * mixture.stddev / n ** 0.5).all()
    second = (z - mixture.mean).pow(2).mean(0)             # the variance, against the mixture's
    fourth = (z - mixture.mean).pow(4).mean(0)
    assert ((second - mixture.variance).abs() < 5 * ((fourth - second**2) / n).sqrt()).all()
    nearest = torch.cdist(z, means).argmin(1)              # components 10 apart: each draw's own is the nearest
    assert torch.allclose(torch.bincount(nearest, minlength=4) / n, torch.full((4,), 0.25), atol=0.005)


def test_the_mixture_prior_is_its_components_mixture_and_samples_from_it():
    torch.manual_seed(0)
    model = vae_lib.MixturePriorVAE(latent_dim=3, hidden=(16,), components=5)
    with torch.no_grad():
        model.prior_means.normal_(0, 2)
        model.prior_logvars.uniform_(-1, 0.5)
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=torch.zeros(5)),
        torch.distributions.Independent(torch.distributions.Normal(model.prior_means, torch.exp(0.5 * model.prior_logvars)), 1))
    z = torch.randn(4, 6, 3)
    assert torch.allclose(model.log_prior(z), mixture.log_prob(z), atol=1e-5)
    samples = model.sample_prior(40000, torch.Generator().manual_seed(0))
    assert torch.allclose(samples.mean(0), mixture.mean, atol=0.05)
    assert torch.allclose(samples.var(0), mixture.variance, rtol=0.05)


def test_a_model_with_a_learned_prior_starts_with_the_vaes_encoder_and_decoder():
    """Notebook 11 compares priors from the same start: the prior's parameters are made after the networks."""
    torch.manual_seed(3)
    vae = vae_lib.VAE(latent_dim=3, hidden=(16,))
    for model_class, setting in ((vae_lib.MixturePriorVAE, "components"), (vae_lib.VampPriorVAE, "pseudo_inputs"),
                                 (vae_lib.FlowVAE, "flow_layers")):
        torch.manual_seed(3)
        other = model_class(latent_dim=3, hidden=(16,), **{setting: 4})
        for name, tensor in vae.state_dict().items():
            assert torch.equal(other.state_dict()[name], tensor), (model_class.__name__, name)


@pytest.mark.parametrize("model_class", [vae_lib.FlowVAE, vae_lib.VampPriorVAE, vae_lib.MixturePriorVAE])
def test_the_new_models_train_evaluate_and_round_trip_through_a_checkpoint(model_class, tmp_path):
    torch.manual_seed(0)
    model = model_class(latent_dim=2, hidden=(32,))
    x = torch.rand(200, 784)
    history = vae_lib.fit(model, x, steps=30, batch_size=50, progress=False)
    assert math.isfinite(history["loss"][-1])
    x_bin = vae_lib.binarize(x[:20], torch.Generator().manual_seed(0))
    before = vae_lib.log_likelihood(model, x_bin, k=20, generator=torch.Generator().manual_seed(0))
    vae_lib.save_checkpoint(model, tmp_path / "m.pt", history)
    loaded, _ = vae_lib.load_checkpoint(tmp_path / "m.pt")
    assert type(loaded) is model_class
    after = vae_lib.log_likelihood(loaded, x_bin, k=20, generator=torch.Generator().manual_seed(0))
    assert torch.equal(before, after)
    # the one-sample ELBO is below the importance-weighted estimate on average, as a bound must be
    elbo = torch.stack([model.elbo(x_bin).elbo.detach() for _ in range(50)]).mean()
    assert elbo < before.mean() + 0.5


def test_the_plain_vae_importance_weights_are_unchanged_by_the_hooks():
    """log_likelihood now asks the model for z, log q and log p: for a plain VAE the same draws as before."""
    torch.manual_seed(0)
    model = vae_lib.VAE(latent_dim=2, hidden=(16,))
    x = torch.bernoulli(torch.rand(3, 784))
    got = vae_lib.log_likelihood(model, x, k=10, generator=torch.Generator().manual_seed(5))
    mu, logvar = model.encode(x)
    eps = torch.randn((10, *mu.shape), generator=torch.Generator().manual_seed(5))
    z = mu + torch.exp(0.5 * logvar) * eps
    log_w = (model.log_px_given_z(x.expand(10, *x.shape), model.decode(z))
             + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
             - torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1))
    assert torch.allclose(got, torch.logsumexp(log_w, 0) - math.log(10), atol=1e-4)
