import pytest
import torch

from vae_lib import VAE, Autoencoder, TrainingDiverged, choose_device, epoch_seconds, fit, seed_everything
from vae_lib import train

pytestmark = pytest.mark.notebooks("03", "04", "05", "06", "07", "08", "09", "11", "12")  # make test-one NB=... runs these for them


def test_short_fit_lowers_the_loss_on_real_data(mnist_train):
    images, _ = mnist_train
    model = VAE(latent_dim=2, hidden=(128,))
    history = fit(model, images[:2000], steps=120, batch_size=100, x_valid=images[-500:], record_every=20,
                  progress=False)
    assert history["step"] == [20, 40, 60, 80, 100, 120]
    # ~543 nats per image at initialization (784 * log 2); a working loop is far below after 120 steps
    assert history["loss"][-1] < history["loss"][0] - 20
    assert history["valid_loss"][-1] < history["valid_loss"][0]
    assert all(len(v) == 6 for v in history.values())


def test_history_is_recorded_every_few_steps_and_at_the_last(mnist_train):
    """Records fall every record_every steps, across epoch ends, plus one at the final step."""
    history = fit(VAE(hidden=(16,)), mnist_train[0][:300], steps=25, batch_size=64, record_every=10,
                  progress=False)
    assert history["step"] == [10, 20, 25]  # 300 images are 5 batches an epoch: records ignore epochs


def test_fit_trains_an_autoencoder(mnist_train):
    images, _ = mnist_train
    history = fit(Autoencoder(hidden=(64,)), images[:1000], steps=40, batch_size=100, record_every=10,
                  progress=False)
    assert history["loss"][-1] < history["loss"][0] and set(history["kl"]) == {0.0}


def test_fit_is_reproducible_with_a_seed(mnist_train):
    images, _ = mnist_train
    runs = []
    for _ in range(2):
        seed_everything(3)  # before building the model: its initial weights are random too
        runs.append(fit(VAE(hidden=(32,)), images[:500], steps=10, batch_size=50, seed=3, progress=False))
        assert runs[-1].pop("seconds")[0] > 0  # wall-clock time is the one record a seed cannot repeat
    assert runs[0] == runs[1]


def test_nan_loss_is_a_clear_error(mnist_train):
    model = VAE(hidden=(16,))
    with torch.no_grad():
        model.decoder[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="before training began"):
        fit(model, mnist_train[0][:200], steps=5, batch_size=50, progress=False)


def test_choose_device_prefers_cuda(monkeypatch):
    assert choose_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert choose_device() == torch.device("cpu")


def test_max_seconds_stops_training_early(mnist_train):
    history = fit(VAE(hidden=(16,)), mnist_train[0][:500], steps=10**9, batch_size=50, max_seconds=0.5,
                  progress=False)
    # it stops at the first step after 0.5 s of training; one step of this model takes milliseconds
    assert 0.5 < history["seconds"][-1] < 1.5 and history["step"][-1] > 1


def test_validation_does_not_change_training(mnist_train):
    images = mnist_train[0]
    weights = []
    for x_valid in (None, images[-200:]):
        seed_everything(1)
        model = VAE(hidden=(16,))
        fit(model, images[:400], steps=12, batch_size=50, x_valid=x_valid, record_every=3, progress=False)
        weights.append(model.decoder[-1].weight.detach().clone())
    assert torch.equal(weights[0], weights[1])


def test_fit_reads_like_a_plain_training_loop():
    """fit's body (after its docstring) stays on one screen, at most 45 lines: the extras live in helpers."""
    import ast
    import inspect
    from vae_lib import train
    tree = ast.parse(inspect.getsource(train))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "fit")
    body = node.body[1:]                                        # without the docstring
    assert body[-1].end_lineno - body[0].lineno + 1 <= 45


@pytest.mark.notebooks("10", "13")
def test_epoch_seconds_interleaves_the_runs_and_takes_the_median(monkeypatch):
    """On a fake clock: each run's epochs cost 1 and 3 seconds, one round of the first is slowed by a busy machine."""
    clock, calls = [0.0], []
    monkeypatch.setattr(train.time, "perf_counter", lambda: clock[0])

    def epoch(name, cost):
        def run():
            calls.append(name)
            clock[0] += cost + (100.0 if len(calls) == 1 else 0.0)   # the first call: a hiccup
        return run

    seconds = epoch_seconds({"fast": epoch("fast", 1.0), "slow": epoch("slow", 3.0)}, rounds=5, repeats=2)
    assert seconds == {"fast": 1.0, "slow": 3.0}
    assert calls == ["fast", "fast", "slow", "slow"] * 5
