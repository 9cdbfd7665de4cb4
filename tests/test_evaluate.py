import pytest
import torch

from vae_lib import VAE, active_units, binarize, evaluate_elbo, fit, log_likelihood


@pytest.fixture(scope="module")
def trained(mnist_train):
    images, _ = mnist_train
    model = VAE(latent_dim=4, hidden=(128,))
    fit(model, images[:2000], steps=150, batch_size=100, progress=False)
    return model, binarize(images[-300:], torch.Generator().manual_seed(0))


def test_elbo_below_iwae_bound_which_tightens_with_k(trained):
    model, x = trained
    torch.manual_seed(0)
    elbo = torch.stack([model.elbo(x).elbo for _ in range(20)]).mean(0)  # average out the sampling
    bounds = [log_likelihood(model, x, k=k, generator=torch.Generator().manual_seed(k)).mean().item()
              for k in (1, 10, 100, 1000)]
    # k = 1 is the ELBO itself: they agree within the Monte Carlo error of the means
    assert abs(bounds[0] - elbo.mean().item()) < 1.0
    assert elbo.mean().item() < bounds[1] < bounds[2] < bounds[3]


def test_log_likelihood_chunking_does_not_change_the_result(trained):
    model, x = trained
    small = log_likelihood(model, x[:20], k=64, generator=torch.Generator().manual_seed(5),
                           batch_size=20, max_elements=20 * 784 * 64)
    chunked = log_likelihood(model, x[:20], k=64, generator=torch.Generator().manual_seed(5),
                             batch_size=20, max_elements=20 * 784 * 8)
    torch.testing.assert_close(small, chunked)


def test_evaluate_elbo_terms_add_up(trained):
    model, x = trained
    terms = evaluate_elbo(model, x)
    assert terms["elbo"] == pytest.approx(terms["reconstruction"] - terms["kl"], abs=1e-3)


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


def test_a_trained_model_uses_some_units(trained):
    model, x = trained
    assert active_units(model, x) >= 1   # 150 steps on MNIST: the ELBO pays KL only for units that help


def test_fraction_far_from_codes_counts_samples_in_holes():
    from vae_lib import fraction_far_from_codes
    grid = torch.cartesian_prod(torch.arange(10.0), torch.arange(10.0))   # codes 1 apart: spacing 1
    assert fraction_far_from_codes(grid + 0.3, grid) == 0.0                # near codes: no hole
    far = torch.tensor([[100.0, 100.0], [4.5, 4.5], [-20.0, 0.0], [4.0, 4.0]])
    assert fraction_far_from_codes(far, grid) == 0.5                       # 2 of 4 beyond 5 spacings
    assert fraction_far_from_codes(far, grid, spacings=200) == 0.0
