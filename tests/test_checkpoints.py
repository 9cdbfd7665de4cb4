"""Checkpoints: a saved model loads back identical, a broken file is a clear error, load_or_fit reuses only a match."""

from pathlib import Path

import pytest
import torch

import vae_lib
from vae_lib import VAE, CheckpointError, load_checkpoint, load_or_fit, save_checkpoint, seed_everything

pytestmark = pytest.mark.notebooks("03", "05", "07", "08", "09", "10", "11", "12")  # make test-one NB=... runs these for them

SAVED_BY_0_1_0 = Path(__file__).with_name("fixtures")  # checkpoints written by vae_lib 0.1.0, before the registry


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

    first = torch.nn.Linear(2, 2)
    assert load_or_train(first, path, train, steps=3)["steps"] == 3         # the settings, given once, reach train
    second = torch.nn.Linear(2, 2)
    load_or_train(second, path, train, steps=3)
    assert calls == [3] and torch.equal(second.weight, torch.full((2, 2), 3.0)) and "loaded" in capsys.readouterr().out
    load_or_train(torch.nn.Linear(2, 2), path, train, steps=4)
    assert calls == [3, 4], "other settings train again"
    load_or_train(torch.nn.Linear(2, 2), path, train_differently, steps=4)
    assert calls == [3, 4, -4], "another training function must train again, whatever the settings say"
    with pytest.raises(CheckpointError, match="Linear, which is not a registered model class"):
        load_checkpoint(path)


def test_a_notebooks_own_module_loads_into_one_built_like_it(tmp_path):
    """load_or_train saves a module that is not vae_lib's without a config; load_checkpoint(path, model=...) loads it
    (make quality rebuilds notebook 10's PixelVAEs so). The wrong class or sizes: tests/test_bad_input.py."""
    from vae_lib import load_or_train

    def train(model, steps):
        return {"steps": steps}

    torch.manual_seed(0)
    first = torch.nn.Linear(2, 3)
    load_or_train(first, tmp_path / "own.pt", train, steps=7)
    second, history = load_checkpoint(tmp_path / "own.pt", model=torch.nn.Linear(2, 3))
    assert torch.equal(second.weight, first.weight) and torch.equal(second.bias, first.bias)
    assert history["steps"] == 7 and not second.training


def test_load_or_fit_compares_tensors_by_their_shape(tmp_path, mnist_train):
    """Tensors (training and validation images, labels) enter the key by their shape: plain data in the file, and
    a model trained on other data sizes is trained again."""
    images, path = mnist_train[0][:300], tmp_path / "vae.pt"
    history = load_or_fit(VAE(hidden=(16,)), path, images, steps=2, batch_size=50, progress=False,
                          x_valid=images[:20])
    assert not any(isinstance(v, torch.Tensor) for v in history["settings"].values())
    assert history["settings"]["x_train"] == [300, 784] and history["settings"]["x_valid"] == [20, 784]
    assert load_or_fit(VAE(hidden=(16,)), path, images, steps=2, batch_size=50, progress=False,
                       x_valid=images[20:40]) == history                  # other images of the same shape: loaded
    again = load_or_fit(VAE(hidden=(16,)), path, images[:200], steps=2, batch_size=50, progress=False,
                        x_valid=images[:20])
    assert again["settings"]["x_train"] == [200, 784], "fewer training images: trained again"


def test_checkpoints_saved_before_the_registry_still_load():
    """vae_lib 0.1.0 stored every setting of every model (num_classes=0, flow_layers=0, pseudo_inputs=0 where unused);
    its files load into the classes' own configs, with the weights they had."""
    expected = torch.load(SAVED_BY_0_1_0 / "expected_encodings.pt", weights_only=True)
    x = torch.full((1, 6), 0.5)
    flow, history = load_checkpoint(SAVED_BY_0_1_0 / "flowvae_saved_by_0.1.0.pt", device="cpu")
    assert type(flow) is vae_lib.FlowVAE and flow.config == vae_lib.FlowConfig(latent_dim=2, hidden=(4,), data_dim=6,
                                                                                flow_layers=1)
    assert history["loss"] == [1.5] and torch.equal(flow.encode(x)[0], expected["flow_mu"])
    conditional, _ = load_checkpoint(SAVED_BY_0_1_0 / "conditionalvae_saved_by_0.1.0.pt", device="cpu")
    assert conditional.config.num_classes == 3
    assert torch.equal(conditional.encode(x, torch.tensor([1]))[0], expected["cond_mu"])


def test_a_registered_subclass_saves_and_loads_with_its_own_settings(tmp_path, monkeypatch):
    """Adding a model is one class: subclass any model (its Config too, for settings of its own) and register it."""
    from dataclasses import dataclass
    monkeypatch.setattr(vae_lib.models, "MODELS", dict(vae_lib.models.MODELS))   # leave the registry as it was

    @dataclass(frozen=True)
    class DeepFlowConfig(vae_lib.FlowConfig):
        context_scale: float = 2.0

    @vae_lib.models.register
    class DeepFlowVAE(vae_lib.FlowVAE):
        Config = DeepFlowConfig

    model = DeepFlowVAE(latent_dim=3, hidden=(8,), flow_layers=3, context_scale=0.5)
    save_checkpoint(model, tmp_path / "deep.pt")
    loaded, _ = load_checkpoint(tmp_path / "deep.pt", device="cpu")
    assert type(loaded) is DeepFlowVAE and loaded.config == model.config and loaded.config.context_scale == 0.5
    x = torch.rand(2, 784)
    assert torch.equal(loaded.encode(x)[0], model.encode(x)[0])
    with pytest.raises(TypeError, match="a setting of DeepFlowVAE"):
        VAE(context_scale=1.0)
