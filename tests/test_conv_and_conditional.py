"""vae_lib.ConvVAE and vae_lib.ConditionalVAE: the VAE's interface with convolutions, and with labels (notebook 08)."""

import pytest
import torch

import vae_lib

pytestmark = pytest.mark.notebooks("08")  # make test-one NB=... runs these for them


def test_conv_vae_has_the_vae_interface_and_shapes():
    model = vae_lib.ConvVAE(latent_dim=16)
    x = torch.rand(5, 784).bernoulli()
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 16)
    assert model.decode(mu).shape == (5, 784)
    terms = model.elbo(x)
    assert terms.elbo.shape == (5,) and (terms.kl >= 0).all() and (terms.reconstruction <= 0).all()
    z = torch.randn(3, 5, 16)                     # k samples for each of 5 images, as log_likelihood decodes them
    assert torch.allclose(model.decode(z)[1], model.decode(z[1]), atol=1e-6)
    assert vae_lib.log_likelihood(model, x, k=7).shape == (5,)


def test_a_convolution_is_one_small_filter_bank_and_the_conv_vae_holds_no_mlp():
    conv, mlp = vae_lib.ConvVAE(latent_dim=16), vae_lib.VAE(latent_dim=16, hidden=(512, 256))
    count = lambda m: sum(p.numel() for p in m.parameters())
    first_conv = conv.encoder[1]
    assert conv.config.hidden == (16, 32)                        # the default is notebook 08's channels
    assert first_conv.weight.numel() == 16 * 1 * 4 * 4          # one 4x4 filter per channel, used at every position
    # notebook 08's table counts 93,825 weights for its networks alone: no MLP is built and thrown away
    assert count(conv) == 93_825 and count(conv) < count(mlp) / 4


def test_conv_vae_round_trips_through_a_checkpoint(tmp_path):
    model = vae_lib.ConvVAE(latent_dim=4, hidden=(8, 16))
    vae_lib.save_checkpoint(model, tmp_path / "conv.pt")
    loaded, _ = vae_lib.load_checkpoint(tmp_path / "conv.pt")
    assert type(loaded) is vae_lib.ConvVAE and loaded.config == model.config
    x = torch.rand(3, 784)
    assert torch.equal(loaded.encode(x)[0], model.encode(x)[0])


def test_fit_trains_a_conv_vae():
    torch.manual_seed(0)
    x = torch.rand(256, 784)
    model = vae_lib.ConvVAE(latent_dim=2, hidden=(4, 8))
    history = vae_lib.fit(model, x, steps=20, batch_size=32, record_every=10, progress=False)
    assert history["loss"][-1] < history["loss"][0]


def test_conditional_vae_decodes_one_z_as_every_class_and_its_label_matters():
    torch.manual_seed(0)
    model = vae_lib.ConditionalVAE(latent_dim=3, hidden=(32,))
    z = torch.randn(1, 3).expand(10, 3)
    images = model.mean_image(z, torch.arange(10))
    assert images.shape == (10, 784)
    assert (images[1:] - images[0]).abs().amax(dim=1).min() > 0  # the label changes the image
    x, y = torch.rand(6, 784).bernoulli(), torch.arange(6)
    mu_y, _ = model.encode(x, y)
    mu_other, _ = model.encode(x, (y + 1) % 10)
    assert not torch.allclose(mu_y, mu_other)


def test_conditional_log_likelihood_uses_the_labels_and_lies_above_the_elbo():
    torch.manual_seed(0)
    model = vae_lib.ConditionalVAE(latent_dim=2, hidden=(32,))
    x, y = torch.rand(8, 784).bernoulli(), torch.randint(0, 10, (8,))
    # k samples of z for 8 images: decode broadcasts y over the k axis
    assert model.decode(torch.randn(5, 8, 2), y).shape == (5, 8, 784)
    generator = torch.Generator().manual_seed(0)
    iw = vae_lib.log_likelihood(model, x, k=200, y=y, generator=generator)
    elbo = torch.stack([model.elbo(x, y).elbo for _ in range(200)]).mean(0)
    assert (iw > elbo - 0.5).all()
    wrong = vae_lib.log_likelihood(model, x, k=200, y=(y + 3) % 10, generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(iw, wrong)


def test_fit_trains_a_conditional_vae_with_labels_and_records_training_seconds(tmp_path):
    torch.manual_seed(0)
    x, y = torch.rand(256, 784), torch.randint(0, 10, (256,))
    model = vae_lib.ConditionalVAE(latent_dim=2, hidden=(16,))
    history = vae_lib.fit(model, x, y_train=y, x_valid=x[:64], y_valid=y[:64], steps=30, batch_size=32,
                          record_every=10, progress=False)
    assert history["loss"][-1] < history["loss"][0]
    assert len(history["seconds"]) == 3 and history["seconds"] == sorted(history["seconds"])
    assert 0 < history["seconds"][-1]
    vae_lib.save_checkpoint(model, tmp_path / "cvae.pt", history)
    loaded, _ = vae_lib.load_checkpoint(tmp_path / "cvae.pt")
    assert type(loaded) is vae_lib.ConditionalVAE
    assert torch.equal(loaded.encode(x[:3], y[:3])[0], model.encode(x[:3], y[:3])[0])
