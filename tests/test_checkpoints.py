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


@pytest.mark.parametrize("planted", ["truncated", "garbage", "other settings", "other weights"])
def test_a_stale_or_corrupt_checkpoint_in_the_cache_is_trained_over_not_trusted(tmp_path, mnist_train, planted):
    """What a cache may hold after an interrupted or older run: load_or_fit trains anew and replaces it."""
    images, path = mnist_train[0][:300], tmp_path / "vae.pt"
    settings = dict(steps=5, batch_size=50, progress=False)
    seed_everything(0)
    load_or_fit(VAE(hidden=(16,)), path, images, **settings)
    if planted == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif planted == "garbage":
        path.write_bytes(b"not a checkpoint")
    elif planted == "other settings":
        load_or_fit(VAE(hidden=(16,)), path, images, **{**settings, "steps": 3})
    else:  # the same class and settings, but weights of another shape
        payload = torch.load(path, weights_only=True)
        payload["state_dict"] = VAE(hidden=(8,)).state_dict()
        torch.save(payload, path)
    seed_everything(0)
    model = VAE(hidden=(16,))
    history = load_or_fit(model, path, images, **settings)
    assert history["step"][-1] == 5                                  # trained, not loaded
    reloaded, saved = load_checkpoint(path)                            # and the cache now holds the new model
    assert saved["settings"] == history["settings"]
    assert all(torch.equal(a, b) for a, b in zip(reloaded.state_dict().values(), model.state_dict().values()))


def test_load_or_train_keys_on_the_training_code_and_saves_any_module(tmp_path, capsys):
    """A plain nn.Module trained by a notebook's own loop is saved, loaded back, and retrained when the loop changes."""
    from vae_lib import load_or_train
    path, calls = tmp_path / "linear.pt", []

    def train(model, steps):
        calls.append(steps)
        with torch.no_grad():
            model.weight.fill_(steps)
        return {"steps": steps}

    def train_differently(model, steps):
        calls.append(-steps)
        return {"steps": steps}

    import functools
    first = torch.nn.Linear(2, 2)
    assert load_or_train(first, path, functools.partial(train, steps=3), steps=3)["steps"] == 3
    second = torch.nn.Linear(2, 2)
    load_or_train(second, path, functools.partial(train, steps=3), steps=3)
    assert calls == [3] and torch.equal(second.weight, torch.full((2, 2), 3.0)) and "loaded" in capsys.readouterr().out
    load_or_train(torch.nn.Linear(2, 2), path, functools.partial(train_differently, steps=3), steps=3)
    assert calls == [3, -3], "another training function must train again, whatever the settings say"
    with pytest.raises(CheckpointError, match="not a readable vae_lib checkpoint"):   # not a vae_lib model
        load_checkpoint(path)


def test_load_or_fit_compares_only_plain_settings(tmp_path, mnist_train):
    """Tensors (validation images, labels) are left out of the key, so a new tensor argument cannot break it."""
    images, path = mnist_train[0][:300], tmp_path / "vae.pt"
    history = load_or_fit(VAE(hidden=(16,)), path, images, steps=2, batch_size=50, progress=False,
                          x_valid=images[:20])
    assert not any(isinstance(v, torch.Tensor) for v in history["settings"].values())
    assert history["settings"]["n_train"] == 300 and "x_valid" not in history["settings"]
    assert load_or_fit(VAE(hidden=(16,)), path, images, steps=2, batch_size=50, progress=False,
                       x_valid=images[:40]) == history                  # other validation images: loaded
