"""The table of bad inputs: each row is one mistake and the message it must get.

Every row calls the public vae_lib function the way a student or a teacher might
get it wrong, and checks the exception type and a piece of the message that says
what to do. tests/README.md shows the same table with the full messages; regenerate
it after changing a row or a message:

    .venv/bin/python tests/test_bad_input.py > /tmp/table.md   # then paste it into tests/README.md
"""

import pickle
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import torch

import vae_lib
from vae_lib import (VAE, Autoencoder, CheckpointError, MissingDataError, active_units,
                     bernoulli_log_likelihood, binarize, evaluate_elbo, fit, gaussian_log_likelihood,
                     index_batches, kl_normal, kl_normal_std, latent_sliders, load_checkpoint, load_mnist,
                     log_likelihood, reparameterize, save_checkpoint)
from vae_lib.data import MNIST_FILES

README = Path(__file__).with_name("README.md")


def model():
    torch.manual_seed(0)
    return VAE(latent_dim=2, hidden=(16,))


def images(n=4):
    return torch.rand(n, 784)


def with_value(x, value):
    x = x.clone()
    x[0, 0] = value
    return x


def fake_mnist(folder, content=None):
    """The four IDX files: real headers and data, or ``content`` bytes instead."""
    folder.mkdir(parents=True)
    for name in MNIST_FILES:
        if content is not None:
            data = content
        elif "images" in name:
            data = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (3, 28, 28)) + bytes(3 * 784)
        else:
            data = (2049).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(3)
        (folder / name).write_bytes(data)


def truncated_idx(tmp):
    fake_mnist(tmp / "MNIST" / "raw")
    path = tmp / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    return load_mnist(root=tmp)


def root_at_raw_folder(tmp):
    fake_mnist(tmp / "MNIST" / "raw")
    return load_mnist(root=tmp / "MNIST" / "raw")


def small_training_file(tmp):
    fake_mnist(tmp / "MNIST" / "raw")  # 3 images
    return load_mnist(root=tmp)


def offline_without_data(tmp, monkeypatch):
    import torchvision

    def no_network(self):
        raise OSError("no network")
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    return load_mnist(root=tmp / "nothing-here")


def checkpoint_of_other_architecture(tmp):
    save_checkpoint(VAE(latent_dim=16, hidden=(16,)), tmp / "vae.pt")
    return load_checkpoint(tmp / "vae.pt", model=model())


def truncated_checkpoint(tmp):
    save_checkpoint(model(), tmp / "vae.pt")
    (tmp / "vae.pt").write_bytes((tmp / "vae.pt").read_bytes()[:300])
    return load_checkpoint(tmp / "vae.pt")


class CreatesAFile:
    """Unpickling this calls Path.touch: the stand-in for any code an attacker would run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def pickled_code(tmp):
    torch.save({"class": "VAE", "config": {}, "state_dict": CreatesAFile(tmp / "pwned")}, tmp / "evil.pt")
    try:
        return load_checkpoint(tmp / "evil.pt")
    finally:
        assert not (tmp / "pwned").exists(), "loading the checkpoint ran the pickled code"


def plain_pickle_with_code(tmp):
    (tmp / "evil.pt").write_bytes(pickle.dumps(CreatesAFile(tmp / "pwned"), protocol=2))
    try:
        return load_checkpoint(tmp / "evil.pt")
    finally:
        assert not (tmp / "pwned").exists(), "loading the checkpoint ran the pickled code"


def quick_fit(x, **settings):
    return fit(model(), x, **{"steps": 1, "progress": False, **settings})


@dataclass
class Case:
    area: str
    mistake: str
    call: Callable
    error: type
    says: str  # a piece of the message that tells what to do


CASES = [
    # models
    Case("models", "latent size 0", lambda: VAE(latent_dim=0), ValueError, "latent_dim must be at least 1"),
    Case("models", "latent size 2.5", lambda: VAE(latent_dim=2.5), TypeError, "latent_dim must be an integer"),
    Case("models", "a hidden layer of size -1", lambda: Autoencoder(hidden=(64, -1)), ValueError,
         "each hidden layer size must be at least 1"),
    Case("models", "an unknown likelihood", lambda: VAE(likelihood="poisson"), ValueError, "'bernoulli' or 'gaussian'"),
    Case("models", "images not flattened, (4, 28, 28)", lambda: model().elbo(torch.rand(4, 28, 28)), ValueError,
         "x.reshape(len(x), -1)"),
    Case("models", "wrong number of pixels, (4, 100)", lambda: model().encode(torch.rand(4, 100)), ValueError,
         "shape (batch, 784)"),
    Case("models", "a Python list instead of a tensor", lambda: model().encode([[0.0] * 784]), TypeError,
         "torch.as_tensor"),
    Case("models", "raw uint8 bytes", lambda: model().encode(torch.zeros(4, 784, dtype=torch.uint8)), TypeError,
         "x.float() / 255"),
    Case("models", "float64 input to a float32 model", lambda: model().encode(images().double()), TypeError,
         "convert with x.to(torch.float32)"),
    Case("models", "an empty batch, (0, 784)", lambda: model().elbo(torch.rand(0, 784)), ValueError,
         "pass at least one example"),
    Case("models", "NaN in the input", lambda: model().elbo(with_value(images(), float("nan"))), ValueError,
         "contains 1 NaN or infinite"),
    Case("models", "inf in the input", lambda: model().encode(with_value(images(), float("inf"))), ValueError,
         "contains 1 NaN or infinite"),
    Case("models", "pixels in [0, 255] for the Bernoulli likelihood", lambda: model().elbo(images() * 255),
         ValueError, "must lie in [0, 1]"),
    Case("models", "beta < 0", lambda: model().elbo(images(), beta=-1.0), ValueError, "beta must be at least 0"),
    Case("models", "codes of the wrong size, (4, 3) for d = 2", lambda: model().decode(torch.zeros(4, 3)), ValueError,
         "size 2 in its last dimension"),
    Case("models", "one code without a batch axis, (2,)", lambda: model().decode(torch.zeros(2)), ValueError,
         "at least 2 dimensions"),
    # distributions
    Case("distributions", "mismatched mu (4, 2) and logvar (4, 3)",
         lambda: kl_normal_std(torch.zeros(4, 2), torch.zeros(4, 3)), ValueError, "they must match"),
    Case("distributions", "NaN in logvar",
         lambda: reparameterize(torch.zeros(4, 2), with_value(torch.zeros(4, 2), float("nan"))), ValueError,
         "logvar contains 1 NaN"),
    Case("distributions", "a list for the prior's logvar",
         lambda: kl_normal(torch.zeros(4, 2), torch.zeros(4, 2), torch.zeros(4, 2), [0.0, 0.0]), TypeError,
         "logvar_p must be a torch.Tensor"),
    Case("distributions", "Bernoulli pixels outside [0, 1]",
         lambda: bernoulli_log_likelihood(torch.zeros(4, 784), images() + 1), ValueError, "must lie in [0, 1]"),
    Case("distributions", "logits and pixels of different shapes",
         lambda: bernoulli_log_likelihood(torch.zeros(4, 784), torch.zeros(4, 100)), ValueError, "they must match"),
    Case("distributions", "a NaN variance for the Gaussian",
         lambda: gaussian_log_likelihood(images(), images(), float("nan")), ValueError, "logvar contains 1 NaN"),
    # evaluation
    Case("evaluate", "k = 0 importance samples", lambda: log_likelihood(model(), images(), k=0), ValueError,
         "k must be at least 1"),
    Case("evaluate", "an empty test set", lambda: evaluate_elbo(model(), torch.rand(0, 784)), ValueError,
         "pass at least one example"),
    Case("evaluate", "active units of one example", lambda: active_units(model(), images(1)), ValueError,
         "at least 2 examples"),
    # training
    Case("train", "steps = 0", lambda: quick_fit(images(), steps=0), ValueError, "steps must be at least 1"),
    Case("train", "record_every = 0", lambda: quick_fit(images(), record_every=0), ValueError,
         "record_every must be at least 1"),
    Case("train", "batch_size = 0", lambda: quick_fit(images(), batch_size=0), ValueError,
         "batch_size must be at least 1"),
    Case("train", "a learning rate of 0", lambda: quick_fit(images(), lr=0), ValueError, "lr must be greater than 0"),
    Case("train", "a NaN learning rate", lambda: quick_fit(images(), lr=float("nan")), ValueError, "lr must be finite"),
    Case("train", "beta < 0", lambda: quick_fit(images(), beta=-0.5), ValueError, "beta must be at least 0"),
    Case("train", "NaN in the training data", lambda: quick_fit(with_value(images(), float("nan"))), ValueError,
         "x_train contains 1 NaN"),
    Case("train", "unflattened training images, (4, 28, 28)", lambda: quick_fit(torch.rand(4, 28, 28)), ValueError,
         "x_train must have 2 dimensions"),
    Case("train", "training data with 100 features for a 784-pixel model", lambda: quick_fit(torch.rand(4, 100)),
         ValueError, "expects data_dim=784"),
    Case("train", "bytes 0-255 with binarize=True", lambda: quick_fit(images() * 255), ValueError,
         "must lie in [0, 1]"),
    # data
    Case("data", "binarize values above 1", lambda: binarize(images() * 2), ValueError, "must lie in [0, 1]"),
    Case("data", "binarize NaN", lambda: binarize(with_value(images(), float("nan"))), ValueError, "contains 1 NaN"),
    Case("data", "an epoch of 0 examples", lambda: list(index_batches(0, 128)), ValueError, "need n > 0"),
    Case("data", "no data directory, offline", offline_without_data, MissingDataError, "export VAE_DATA_DIR="),
    Case("data", "a truncated IDX file", truncated_idx, MissingDataError, "cannot be read"),
    Case("data", "the data directory set to MNIST/raw instead of its parent", root_at_raw_folder, MissingDataError,
         "must be the folder that contains MNIST/raw/"),
    Case("data", "a training file too small to hold out a validation split", small_training_file, MissingDataError,
         "too few to set aside 10,000 for validation"),
    Case("data", "an unknown split name", lambda: load_mnist(split="validation"), ValueError,
         "split must be one of 'train', 'valid', 'test'"),
    # checkpoints
    Case("checkpoints", "a 16-D checkpoint loaded into a 2-D model", checkpoint_of_other_architecture, CheckpointError,
         "but the model is a VAE(latent_dim=2"),
    Case("checkpoints", "a truncated checkpoint", truncated_checkpoint, CheckpointError, "delete it and train again"),
    Case("checkpoints", "a checkpoint with pickled code (would create a file)", pickled_code, CheckpointError,
         "could run code"),
    Case("checkpoints", "a plain pickle with code (would create a file)", plain_pickle_with_code, CheckpointError,
         "could run code"),
    Case("checkpoints", "no file at the path", lambda tmp: load_checkpoint(tmp / "missing.pt"), CheckpointError,
         "train a model and save_checkpoint() it first"),
    # widgets
    Case("widgets", "scatter codes with 1 column for a 2-D model",
         lambda: latent_sliders(model(), torch.zeros(5, 1), torch.zeros(5)), ValueError,
         "size 2 in its last dimension"),
    Case("widgets", "5 codes but 4 labels", lambda: latent_sliders(model(), torch.zeros(5, 2), torch.zeros(4)),
         ValueError, "labels must have shape (5,)"),
    Case("widgets", "slider limit 0", lambda: latent_sliders(model(), limit=0), ValueError,
         "limit must be greater than 0"),
]


def _run(case, tmp_path, monkeypatch):
    arguments = case.call.__code__.co_varnames[:case.call.__code__.co_argcount]
    return case.call(*[{"tmp": tmp_path, "monkeypatch": monkeypatch}[name] for name in arguments])


@pytest.mark.parametrize("case", CASES, ids=[f"{c.area}: {c.mistake}" for c in CASES])
def test_bad_input_gets_a_clear_error(case, tmp_path, monkeypatch):
    with pytest.raises(case.error) as info:
        _run(case, tmp_path, monkeypatch)
    message = str(info.value)
    assert case.says.lower() in message.lower(), f"the message does not say {case.says!r}:\n{message}"
    # one clear message, not a chained traceback from deep inside torch
    assert info.value.__cause__ is None and (info.value.__suppress_context__ or info.value.__context__ is None)


def markdown_table(tmp_path, monkeypatch):
    lines = ["| area | mistake | error | message |", "| --- | --- | --- | --- |"]
    for number, case in enumerate(CASES):
        (tmp_path / str(number)).mkdir()
        with pytest.raises(case.error) as info:
            _run(case, tmp_path / str(number), monkeypatch)
        message = " ".join(str(info.value).split()).replace("|", "\\|")
        lines.append(f"| {case.area} | {case.mistake} | {case.error.__name__} | {message} |")
    return "\n".join(lines)


def _stable(text, tmp_path):
    return re.sub(re.escape(str(tmp_path)) + r"/\d+", "<tmp>", text)


def test_readme_table_is_up_to_date(tmp_path, monkeypatch):
    table = _stable(markdown_table(tmp_path, monkeypatch), tmp_path)
    assert table in README.read_text(), (
        "tests/README.md's table of bad inputs is out of date: regenerate it with "
        "`.venv/bin/python tests/test_bad_input.py` and paste it in")


if __name__ == "__main__":
    import tempfile
    from _pytest.monkeypatch import MonkeyPatch
    with tempfile.TemporaryDirectory() as tmp:
        patch = MonkeyPatch()
        try:
            print(_stable(markdown_table(Path(tmp), patch), Path(tmp)))
        finally:
            patch.undo()
    sys.exit(0)
