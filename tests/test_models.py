import pytest
import torch

from vae_lib import VAE, Autoencoder, ModelConfig

pytestmark = pytest.mark.notebooks("03", "04", "08", "11")  # make test-one NB=... runs these for them


@pytest.mark.parametrize("latent_dim,hidden", [(2, (64,)), (16, (128, 64))])
def test_vae_shapes(latent_dim, hidden):
    model = VAE(latent_dim=latent_dim, hidden=hidden)
    x = torch.rand(5, 784)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, latent_dim)
    assert model.decode(mu).shape == (5, 784)
    decoded, mu2, _ = model(x)
    assert decoded.shape == (5, 784) and torch.equal(mu, mu2)
    terms = model.elbo(x, beta=0.5)
    assert all(t.shape == (5,) for t in terms)
    torch.testing.assert_close(terms.elbo, terms.reconstruction - 0.5 * terms.kl)
    assert (terms.kl >= 0).all() and (terms.reconstruction <= 0).all()


def test_autoencoder_shapes_and_objective():
    model = Autoencoder(latent_dim=3, hidden=(32,))
    x = torch.rand(4, 784)
    assert model.encode(x).shape == (4, 3)
    assert model(x).shape == (4, 784)
    terms = model.elbo(x)
    assert torch.equal(terms.kl, torch.zeros(4)) and torch.equal(terms.elbo, terms.reconstruction)


def test_gaussian_vae_uses_fixed_variance():
    model = VAE(latent_dim=2, hidden=(16,), likelihood="gaussian", obs_logvar=0.0)
    x = torch.rand(3, 784)
    mean = model.decode(torch.zeros(3, 2))
    expected = -0.5 * ((x - mean) ** 2).sum(-1) - 0.5 * 784 * torch.log(torch.tensor(2 * torch.pi))
    torch.testing.assert_close(model.log_px_given_z(x, mean), expected)


def test_activation_is_configurable_and_recorded():
    model = VAE(hidden=(8,), activation="silu")
    assert isinstance(model.encoder[1], torch.nn.SiLU) and model.config.activation == "silu"


def test_one_config_builds_either_model_and_round_trips_as_plain_data():
    config = ModelConfig(latent_dim=3, hidden=[32, 16], activation="silu")
    assert config.hidden == (32, 16)                       # a list and a tuple give equal configs
    assert VAE(config).config == VAE(latent_dim=3, hidden=(32, 16), activation="silu").config == config
    assert Autoencoder(config).encoder[-1].out_features == 3 and VAE(config).encoder[-1].out_features == 6
    plain = config.as_dict()
    assert all(type(v) in (int, float, str, list) for v in plain.values()) and ModelConfig(**plain) == config


@pytest.mark.parametrize("model", [VAE(latent_dim=2, hidden=(16,)), Autoencoder(latent_dim=2, hidden=(16,))])
def test_mean_image_is_the_sigmoid_of_the_bernoulli_logits(model):
    z = torch.randn(5, 2)
    mean = model.mean_image(z)
    torch.testing.assert_close(mean, torch.distributions.Bernoulli(logits=model.decode(z)).mean)
    assert mean.shape == (5, 784) and ((0 <= mean) & (mean <= 1)).all()


def test_mean_image_of_a_gaussian_decoder_is_its_mean():
    model = VAE(latent_dim=2, hidden=(16,), likelihood="gaussian")
    z = torch.randn(5, 2)
    assert torch.equal(model.mean_image(z), model.decode(z))
