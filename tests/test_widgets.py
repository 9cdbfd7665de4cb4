import io

import pytest
import torch
from PIL import Image

from vae_lib import VAE, ConditionalVAE, digit_style_explorer, latent_sliders

pytestmark = pytest.mark.notebooks("05", "08", "latent_explorer")  # make test-one NB=... runs these for them


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


def test_the_digit_selector_changes_the_class_and_keeps_the_style():
    torch.manual_seed(0)
    model = ConditionalVAE(latent_dim=3, hidden=(32,))
    explorer = digit_style_explorer(model, scale=4)
    assert len(explorer.sliders) == 3 and explorer.digit_buttons.options == tuple(range(10))
    explorer.sliders[1].value = 1.5
    as_zero, strip = explorer.decoded(), explorer.all_digits.value
    explorer.digit_buttons.value = 7
    assert torch.equal(explorer.z, torch.tensor([[0.0, 1.5, 0.0]]))        # the style is kept
    assert torch.allclose(explorer.decoded(), explorer.decoded_all()[7])   # the picture is class 7's
    assert (explorer.decoded() - as_zero).abs().max() > 1e-3
    assert explorer.all_digits.value == strip          # the strip shows every class already: it does not change
    explorer.sliders[0].value = -2.0
    assert explorer.all_digits.value != strip
    assert Image.open(io.BytesIO(explorer.digit.value)).size == (112, 112)
    assert Image.open(io.BytesIO(explorer.all_digits.value)).size == (280 * 2, 28 * 2)
