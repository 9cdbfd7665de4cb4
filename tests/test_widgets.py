import torch

from vae_lib import VAE, latent_sliders


def test_moving_a_slider_changes_the_decoded_digit_and_marker():
    torch.manual_seed(0)
    model = VAE(latent_dim=2, hidden=(32,))
    z, labels = torch.randn(100, 2), torch.randint(0, 10, (100,))
    explorer = latent_sliders(model, z, labels)
    assert len(explorer.sliders) == 2
    digit, scatter, decoded = explorer.digit.value, explorer.scatter.value, explorer.decoded()
    explorer.sliders[0].value = 2.5
    assert explorer.digit.value != digit and explorer.scatter.value != scatter
    assert (explorer.decoded() - decoded).abs().max() > 1e-3
    assert torch.equal(explorer.z, torch.tensor([[2.5, 0.0]]))


def test_one_slider_per_latent_dimension_without_scatter():
    explorer = latent_sliders(VAE(latent_dim=5, hidden=(8,)))
    assert len(explorer.sliders) == 5 and explorer.scatter is None
    assert explorer.digit.value[:4] == b"\x89PNG"


def test_the_digit_is_drawn_at_the_requested_scale():
    from PIL import Image
    import io
    explorer = latent_sliders(VAE(latent_dim=2, hidden=(8,)), scale=3)
    assert Image.open(io.BytesIO(explorer.digit.value)).size == (84, 84)
