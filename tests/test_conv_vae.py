"""vae_lib.ConvVAE: the VAE's interface with convolutional networks (issue 17, work in progress)."""

import pytest
import torch

import vae_lib


def test_conv_vae_has_the_vae_interface_and_shapes():
    model = vae_lib.ConvVAE(latent_dim=16)
    x = torch.rand(5, 784).bernoulli()
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 16)
    assert model.decode(mu).shape == (5, 784)
    terms = model.elbo(x)
    assert terms.elbo.shape == (5,) and (terms.kl >= 0).all() and (terms.reconstruction <= 0).all()


def test_conv_weights_do_not_grow_with_the_image_unlike_the_mlp():
    conv, mlp = vae_lib.ConvVAE(latent_dim=16, hidden=(32, 64)), vae_lib.VAE(latent_dim=16, hidden=(512, 256))
    count = lambda m: sum(p.numel() for p in m.parameters())
    first_conv = conv.encoder[1]
    assert first_conv.weight.numel() == 32 * 1 * 4 * 4          # one 4x4 filter per channel, at every position
    assert count(conv) < count(mlp) / 4


def test_conv_vae_round_trips_through_a_checkpoint(tmp_path):
    model = vae_lib.ConvVAE(latent_dim=4, hidden=(8, 16))
    vae_lib.save_checkpoint(model, tmp_path / "conv.pt")
    loaded, _ = vae_lib.load_checkpoint(tmp_path / "conv.pt")
    assert type(loaded) is vae_lib.ConvVAE and loaded.config == model.config
    x = torch.rand(3, 784)
    assert torch.equal(loaded.encode(x)[0], model.encode(x)[0])


def test_conv_vae_refuses_a_shape_it_cannot_build():
    with pytest.raises(ValueError, match="two convolutions"):
        vae_lib.ConvVAE(hidden=(8, 16, 32))
    with pytest.raises(ValueError, match="28 x 28"):
        vae_lib.ConvVAE(data_dim=100)


def test_fit_trains_a_conv_vae():
    torch.manual_seed(0)
    x = torch.rand(256, 784)
    model = vae_lib.ConvVAE(latent_dim=2, hidden=(4, 8))
    history = vae_lib.fit(model, x, steps=20, batch_size=32, record_every=10, progress=False)
    assert history["loss"][-1] < history["loss"][0]
