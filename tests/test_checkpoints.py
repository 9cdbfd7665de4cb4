"""Checkpoints: a saved model loads back identical, a broken file is a clear error, load_or_fit reuses only a match."""

import pytest
import torch

from vae_lib import VAE, CheckpointError, load_checkpoint, load_or_fit, save_checkpoint, seed_everything


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    model = VAE(latent_dim=3, hidden=(32, 16)).eval()
    history = {"loss": [3.0, 2.0]}
    path = tmp_path / "vae.pt"
    save_checkpoint(model, path, history)
    loaded, loaded_history = load_checkpoint(path, device="cpu")
    assert type(loaded) is VAE and loaded.config == model.config and loaded_history == history
    z = torch.randn(7, 3)
    assert torch.equal(loaded.decode(z), model.decode(z))
    assert [p.name for p in tmp_path.iterdir()] == ["vae.pt"]  # no temporary file left behind


@pytest.mark.parametrize("content", [b"", b"garbage bytes", None])
def test_broken_checkpoint_is_a_clear_error(tmp_path, content):
    path = tmp_path / "broken.pt"
    if content is None:  # a truncated real checkpoint
        save_checkpoint(VAE(hidden=(8,)), path)
        path.write_bytes(path.read_bytes()[:100])
    else:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match="train again"):
        load_checkpoint(path)


def test_load_or_fit_reuses_only_a_matching_checkpoint(tmp_path, mnist_train):
    images = mnist_train[0][:300]
    path = tmp_path / "vae.pt"
    seed_everything(0)
    first = VAE(hidden=(16,))
    history = load_or_fit(first, path, images, steps=5, batch_size=50, progress=False)
    assert history["settings"]["steps"] == 5 and path.is_file()

    second = VAE(hidden=(16,))                      # same config and settings: loaded, not trained
    assert load_or_fit(second, path, images, steps=5, batch_size=50, progress=False) == history
    z = torch.randn(3, 2)
    assert torch.equal(second.decode(z), first.decode(z))

    third = VAE(hidden=(16,))                       # different settings: trained again and overwritten
    retrained = load_or_fit(third, path, images, steps=7, batch_size=50, progress=False)
    assert retrained["step"][-1] == 7
    assert load_checkpoint(path)[1]["settings"]["steps"] == 7


def test_an_autoencoder_saved_by_vae_lib_0_1_still_loads(tmp_path):
    """0.1 stored the config as a dict without likelihood and obs_logvar; ModelConfig's defaults fill them in."""
    from vae_lib import Autoencoder
    model = Autoencoder(latent_dim=2, hidden=(16,))
    old = {"latent_dim": 2, "hidden": [16], "data_dim": 784, "activation": "relu"}
    torch.save({"class": "Autoencoder", "config": old, "state_dict": model.state_dict(), "history": {}},
               tmp_path / "ae.pt")
    loaded, _ = load_checkpoint(tmp_path / "ae.pt")
    assert type(loaded) is Autoencoder and loaded.config == model.config


def test_a_checkpoint_of_an_unknown_class_is_refused(tmp_path):
    torch.save({"class": "GPT", "config": {}, "state_dict": {}}, tmp_path / "gpt.pt")
    with pytest.raises(CheckpointError, match="KeyError: 'GPT'"):
        load_checkpoint(tmp_path / "gpt.pt")
