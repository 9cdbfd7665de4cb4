"""Training that goes wrong must stop cleanly: divergence, interruption, interrupted saves, busy widgets."""

import gc
import math
import tracemalloc

import psutil
import pytest
import torch

from vae_lib import (VAE, TrainingDiverged, fit, latent_sliders, load_checkpoint, load_or_fit,
                     save_checkpoint, seed_everything)

pytestmark = pytest.mark.notebooks("04", "05")  # make test-one NB=... runs these for them


class FailsAtCall(VAE):
    """A VAE whose ``elbo`` misbehaves on its n-th call: the stand-in for a real blow-up."""

    def __init__(self, fail_at, failure, **config):
        super().__init__(**config)
        self.calls, self.fail_at, self.failure = 0, fail_at, failure

    def elbo(self, x, y=None, *, beta=1.0):
        self.calls += self.training  # count training steps, not test evaluations
        if self.training and self.calls == self.fail_at:
            if self.failure == "interrupt":
                raise KeyboardInterrupt
            with torch.no_grad():  # what a too-large step does: weights, and so the loss, become NaN
                self.decoder[0].weight.fill_(float("nan"))
        return super().elbo(x, y, beta=beta)


def images(n=256):
    return torch.rand(n, 784, generator=torch.Generator().manual_seed(0))


def trained_weights(steps):
    seed_everything(0)
    model = VAE(hidden=(16,))
    fit(model, images(), steps=steps, batch_size=64, progress=False)
    return model.state_dict()


def test_nan_loss_stops_fit_and_keeps_the_last_good_weights():
    seed_everything(0)
    model = FailsAtCall(fail_at=10, failure="nan", hidden=(16,))  # a record every 4 steps: NaN in the third
    with pytest.raises(TrainingDiverged) as info:
        fit(model, images(), steps=40, batch_size=64, record_every=4, progress=False)
    message = str(info.value)
    assert "learning rate" in message and "[0, 1]" in message and "after step 8" in message
    assert info.value.history["step"] == [4, 8]  # the records before the blow-up
    expected = trained_weights(steps=8)          # the same run, stopped after the second record
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, expected[name]), f"{name} is not the weights of step 8"
    assert torch.isfinite(model.elbo(images(8)).elbo).all()  # usable


def test_interrupting_fit_leaves_a_usable_model_and_the_history_so_far(capsys):
    seed_everything(0)
    model = FailsAtCall(fail_at=11, failure="interrupt", hidden=(16,))
    history = fit(model, images(), steps=40, batch_size=64, x_valid=images(32), record_every=4, progress=False)
    assert history["interrupted"] is True
    assert history["step"] == [4, 8, 10]  # two whole records and the two steps after them
    assert len(history["valid_loss"]) == 3
    assert "interrupted at step 10" in capsys.readouterr().out
    assert not model.training and torch.isfinite(model.elbo(images(8)).elbo).all()


def test_an_interrupted_run_is_not_saved_as_a_finished_checkpoint(tmp_path):
    seed_everything(0)
    model = FailsAtCall(fail_at=3, failure="interrupt", hidden=(16,))
    history = load_or_fit(model, tmp_path / "vae.pt", images(), steps=20, batch_size=64, progress=False)
    assert history["interrupted"] and not (tmp_path / "vae.pt").exists()


def test_an_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "vae.pt"
    old = VAE(hidden=(16,))
    save_checkpoint(old, path)
    real_save = torch.save

    def save_half_then_die(payload, file):
        real_save(payload, file)
        file.truncate(file.tell() // 2)
        raise KeyboardInterrupt  # Ctrl-C in the middle of writing
    monkeypatch.setattr(torch, "save", save_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(VAE(hidden=(16,)), path)
    monkeypatch.undo()
    loaded, _ = load_checkpoint(path)
    z = torch.randn(3, 2)
    assert torch.equal(loaded.decode(z), old.eval().decode(z))
    assert [p.name for p in tmp_path.iterdir()] == ["vae.pt"]  # no half-written temporary file left


def test_a_thousand_rapid_slider_moves_raise_nothing_and_do_not_grow_memory():
    torch.manual_seed(0)
    explorer = latent_sliders(VAE(hidden=(64,)), torch.randn(500, 2), torch.randint(0, 10, (500,)))
    values = torch.linspace(-3, 3, 97).tolist()

    def move(times):
        for i in range(times):
            explorer.sliders[i % 2].value = values[(i * 7) % len(values)]
    move(200)  # warm up: caches, allocator pools
    gc.collect()
    process = psutil.Process()
    rss_before = process.memory_info().rss
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    move(1000)
    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = process.memory_info().rss - rss_before
    assert after - before < 256 * 1024, f"Python memory grew by {(after - before) / 1024:.0f} KiB over 1,000 moves"
    assert rss_growth < 32 * 2**20, f"the process grew by {rss_growth / 2**20:.1f} MiB over 1,000 moves"
    assert explorer.digit.value[:4] == b"\x89PNG"


@pytest.mark.slow
@pytest.mark.parametrize("lr", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2])
def test_learning_rate_sweep_never_produces_nan(lr, mnist_train):
    """The default model for 1,000 steps at each learning rate and 3 seeds: `make slow` runs it."""
    for seed in range(3):
        seed_everything(seed)
        model = VAE()
        history = fit(model, mnist_train[0], steps=1000, batch_size=128, lr=lr, seed=seed, progress=False)
        assert all(math.isfinite(v) for v in history["loss"]), f"lr={lr}, seed={seed}: {history['loss']}"
        print(f"lr={lr:g} seed={seed}: final loss {history['loss'][-1]:.1f}")
        assert history["loss"][-1] < 250, f"lr={lr}, seed={seed} did not learn: {history['loss'][-1]:.1f}"
