"""The table of bad inputs: each row is one mistake and the message it must get.

Every row calls a public vae_lib entry point the way a student or a teacher might
get it wrong, and checks the exception type and a piece of the message that says
what to do. The entry points check their arguments once, at the door; the math
inside (distributions.py, the models' forward passes) is bare, so a bad tensor is
stopped where it enters: fit, evaluate_elbo, log_likelihood, ...

Each row's ``call`` takes the test's temporary folder (most ignore it). tests/README.md shows the same table with the full messages; regenerate
it after changing a row or a message:

    .venv/bin/python tests/test_bad_input.py > /tmp/table.md   # then paste it into tests/README.md
"""

import pickle
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from unittest import mock

import pytest
import torch

import vae_lib
from vae_lib import (VAE, Autoencoder, CheckpointError, ConditionalVAE, ConvVAE, DiffusionPrior, FlowConfig, FlowVAE,
                     HierarchicalVAE, MissingDataError,
                     MixturePriorVAE, ModelConfig, VampPriorVAE, VectorQuantizer, active_units, binarize, digit_style_explorer,
                     gumbel_softmax, checkpoint_path, evaluate_elbo, fit, fraction_far_from_codes, index_batches, latent_sliders,
                     load_checkpoint, load_mnist, log_likelihood, save_checkpoint)
from vae_lib.data import MNIST_FILES

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "book"), str(ROOT / "notebooks" / "assignments")]
import build  # noqa: E402  (make book)
import course  # noqa: E402  (make course)
import set_repository  # noqa: E402  (make repository)

pytestmark = pytest.mark.notebooks()  # every notebook: make test-one runs these for each

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


def offline_without_data(tmp):
    import torchvision

    def no_network(self):
        raise OSError("no network")
    with mock.patch.object(torchvision.datasets.MNIST, "download", no_network):
        return load_mnist(root=tmp / "nothing-here")


def checkpoint_of_other_architecture(tmp):
    save_checkpoint(VAE(latent_dim=16, hidden=(16,)), tmp / "vae.pt")
    return load_checkpoint(tmp / "vae.pt", model=model())


def truncated_checkpoint(tmp):
    save_checkpoint(model(), tmp / "vae.pt")
    (tmp / "vae.pt").write_bytes((tmp / "vae.pt").read_bytes()[:300])
    return load_checkpoint(tmp / "vae.pt")


def edited_weights(tmp):
    """A registered model's checkpoint whose weights were changed after saving (one tensor dropped)."""
    save_checkpoint(model(), tmp / "vae.pt")
    payload = torch.load(tmp / "vae.pt", weights_only=True)
    payload["state_dict"].pop(next(iter(payload["state_dict"])))
    torch.save(payload, tmp / "vae.pt")
    return load_checkpoint(tmp / "vae.pt")


def unregistered_class(tmp):
    """A subclass saved with its own name, which MODELS does not hold, loaded back without the model."""
    class MyVAE(VAE):
        pass
    save_checkpoint(MyVAE(latent_dim=2, hidden=(8,)), tmp / "mine.pt")
    return load_checkpoint(tmp / "mine.pt")


def notebook_module(tmp):
    """A notebook's own module (not vae_lib's), saved by load_or_train as notebook 10 saves its PixelVAE."""
    def train(module, steps):
        return {"steps": steps}
    vae_lib.load_or_train(torch.nn.Linear(2, 3), tmp / "own.pt", train, steps=1)
    return tmp / "own.pt"


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


def without_module(name, function, *args):
    """Call function(*args) as if the package `name` were not installed."""
    with mock.patch.dict(sys.modules, {name: None}):
        return function(*args)


def nbformat_notebook():
    import nbformat
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('install cell')")])


@dataclass
class Case:
    area: str
    mistake: str
    call: Callable
    error: type
    says: str  # a piece of the message that tells what to do


CASES = [
    # models: the constructors check their settings
    Case("models", "latent size 0", lambda _: VAE(latent_dim=0), ValueError, "latent_dim must be at least 1"),
    Case("models", "latent size 2.5", lambda _: VAE(latent_dim=2.5), TypeError, "latent_dim must be an integer"),
    Case("models", "a hidden layer of size -1", lambda _: Autoencoder(hidden=(64, -1)), ValueError,
         "each hidden layer size must be at least 1"),
    Case("models", "an unknown likelihood", lambda _: VAE(likelihood="poisson"), ValueError,
         "'bernoulli' or 'gaussian'"),
    Case("models", "an unknown activation", lambda _: VAE(activation="sigmoid"), ValueError,
         "activation must be one of ['relu', 'silu']"),
    Case("models", "the latent size by position, VAE(16)", lambda _: VAE(16), TypeError,
         "settings by name such as latent_dim=16"),
    Case("models", "a ModelConfig and settings together", lambda _: VAE(ModelConfig(), latent_dim=3), TypeError,
         "not both"),
    Case("models", "a Gaussian autoencoder", lambda _: Autoencoder(likelihood="gaussian"), ValueError,
         "use VAE for likelihood='gaussian'"),
    Case("models", "a VAE given classes", lambda _: VAE(num_classes=10), TypeError, "a setting of ConditionalVAE"),
    Case("models", "a ConditionalVAE with one class", lambda _: ConditionalVAE(num_classes=1), ValueError,
         "for a model without labels use VAE"),
    Case("models", "a ConvVAE for 100-pixel images", lambda _: ConvVAE(data_dim=100), ValueError,
         "built for 28 x 28 images"),
    Case("models", "a ConvVAE with three convolutions", lambda _: ConvVAE(hidden=(8, 16, 32)), ValueError,
         "two convolutions (hidden=(c1, c2))"),
    Case("models", "a flow with zero layers", lambda _: FlowVAE(flow_layers=0), ValueError,
         "pass e.g. flow_layers=2"),
    Case("models", "a flow on a 1-D latent, which it cannot mask", lambda _: FlowVAE(latent_dim=1), ValueError,
         "pass latent_dim=2 or more"),
    Case("models", "flow layers asked of a plain VAE", lambda _: VAE(flow_layers=2), TypeError,
         "a setting of FlowVAE"),
    Case("models", "pseudo-inputs asked of a ConvVAE", lambda _: ConvVAE(pseudo_inputs=3), TypeError,
         "a setting of VampPriorVAE"),
    Case("models", "a FlowConfig given to a plain VAE", lambda _: VAE(FlowConfig()), TypeError,
         "pass VAE a ModelConfig"),
    Case("models", "a VampPrior with no pseudo-inputs", lambda _: VampPriorVAE(pseudo_inputs=0), ValueError,
         "pass e.g. pseudo_inputs=100"),
    Case("models", "a mixture prior with no components", lambda _: MixturePriorVAE(components=0), ValueError,
         "pass e.g. components=50"),
    Case("models", "a hierarchical VAE with no levels", lambda _: HierarchicalVAE(levels=()), ValueError,
         "pass e.g. levels=(8, 4)"),
    Case("models", "a top level wider than the bottom one", lambda _: HierarchicalVAE(levels=(4, 8)), ValueError,
         "no wider than the level below it"),
    Case("models", "a hierarchy's latent_dim at odds with its levels",
         lambda _: HierarchicalVAE(levels=(8, 4), latent_dim=10), ValueError, "pass levels only"),
    Case("models", "a diffusion prior of width 0", lambda _: DiffusionPrior(dim=0), ValueError,
         "pass the width of the codes"),
    Case("models", "codes 8 wide for a diffusion prior of 16",
         lambda _: DiffusionPrior(dim=16).log_prob_bound(torch.randn(5, 8)), ValueError, "DiffusionPrior(dim=8)"),
    Case("models", "codes with a NaN for a diffusion prior",
         lambda _: DiffusionPrior(dim=2).loss(with_value(torch.randn(3, 2), float("nan"))), ValueError, "NaN"),
    Case("models", "a diffusion prior sampled with an unknown variance",
         lambda _: DiffusionPrior(dim=2).sample(3, variance="large"), ValueError, "'forward' or 'posterior'"),
    Case("models", "mixture components asked of a plain VAE", lambda _: VAE(components=10), TypeError,
         "a setting of MixturePriorVAE"),
    Case("models", "VampPrior pseudo-inputs 100 pixels wide",
         lambda _: VampPriorVAE(pseudo_inputs=3).set_pseudo_inputs(torch.rand(3, 100)), ValueError,
         "size 784 in its last dimension"),
    Case("models", "4 pseudo-inputs for a VampPrior of 3",
         lambda _: VampPriorVAE(pseudo_inputs=3).set_pseudo_inputs(torch.rand(4, 784)), ValueError,
         "must be 3 images"),
    Case("models", "pseudo-inputs given as bytes 0-255",
         lambda _: VampPriorVAE(pseudo_inputs=3).set_pseudo_inputs(torch.linspace(0, 255, 3 * 784).view(3, 784)),
         ValueError, "[0, 1]"),
    Case("models", "beta given by position to a VAE's ELBO", lambda _: model().elbo(torch.rand(3, 784), 0.5),
         TypeError, "pass beta by name"),
    Case("models", "a ConditionalVAE's ELBO without its labels",
         lambda _: ConditionalVAE(latent_dim=2, hidden=(8,)).elbo(torch.rand(3, 784)), ValueError,
         "needs the class labels y"),
    Case("models", "a codebook of one code", lambda _: VectorQuantizer(1, 16), ValueError, "pass e.g. num_codes=64"),
    Case("models", "a codebook of no codes", lambda _: VectorQuantizer(0, 8), ValueError, "num_codes must be at least 1"),
    Case("models", "flat codes for a quantizer", lambda _: VectorQuantizer(16, 8)(torch.randn(4, 6)), ValueError,
         "width 8"),
    Case("models", "a Gumbel-softmax at temperature -1", lambda _: gumbel_softmax(torch.zeros(3), -1), ValueError,
         "pass e.g. temperature=0.5"),
    Case("models", "codes 6 wide for a codebook of width 8", lambda _: VectorQuantizer(32, 8)(torch.randn(4, 2, 6)),
         ValueError, "reshape the encoder's output to (..., 8)"),
    Case("models", "a Gumbel-softmax at temperature 0", lambda _: gumbel_softmax(torch.zeros(4, 10), 0.0), ValueError,
         "pass e.g. temperature=0.5"),
    # labels: a ConditionalVAE needs them, the other models refuse them
    Case("labels", "a ConditionalVAE trained without labels",
         lambda _: fit(ConditionalVAE(hidden=(16,)), images(), steps=1, progress=False), ValueError,
         "pass the class labels as y_train"),
    Case("labels", "labels given to a plain VAE", lambda _: evaluate_elbo(model(), images(), y=torch.zeros(4).long()),
         ValueError, "use a ConditionalVAE"),
    Case("labels", "labels as floats", lambda _: evaluate_elbo(ConditionalVAE(hidden=(16,)), images(),
                                                               y=torch.zeros(4)), ValueError,
         "torch.as_tensor(y, dtype=torch.long)"),
    Case("labels", "a label 10 for 10 classes", lambda _: log_likelihood(ConditionalVAE(hidden=(16,)), images(), k=2,
                                                                         y=torch.arange(4).long() + 7), ValueError,
         "classes in [0, 10)"),
    Case("labels", "one label too few", lambda _: fit(ConditionalVAE(hidden=(16,)), images(), steps=1, progress=False,
                                                      y_train=torch.zeros(3).long()), ValueError, "shape (4,)"),
    # data into a trained model: evaluate_elbo, log_likelihood and active_units check x once
    Case("evaluate", "images not flattened, (4, 28, 28)", lambda _: evaluate_elbo(model(), torch.rand(4, 28, 28)),
         ValueError, "x.reshape(len(x), -1)"),
    Case("evaluate", "wrong number of pixels, (4, 100)", lambda _: log_likelihood(model(), torch.rand(4, 100)),
         ValueError, "shape (batch, 784)"),
    Case("evaluate", "a Python list instead of a tensor", lambda _: evaluate_elbo(model(), [[0.0] * 784]), TypeError,
         "torch.as_tensor"),
    Case("evaluate", "raw uint8 bytes", lambda _: evaluate_elbo(model(), torch.zeros(4, 784, dtype=torch.uint8)),
         TypeError, "x.float() / 255"),
    Case("evaluate", "float64 input to a float32 model", lambda _: log_likelihood(model(), images().double()),
         TypeError, "convert with x.to(torch.float32)"),
    Case("evaluate", "an empty test set, (0, 784)", lambda _: evaluate_elbo(model(), torch.rand(0, 784)), ValueError,
         "pass at least one example"),
    Case("evaluate", "NaN in the input", lambda _: evaluate_elbo(model(), with_value(images(), float("nan"))),
         ValueError, "contains 1 NaN or infinite"),
    Case("evaluate", "inf in the input", lambda _: log_likelihood(model(), with_value(images(), float("inf"))),
         ValueError, "contains 1 NaN or infinite"),
    Case("evaluate", "pixels in [0, 255] for the Bernoulli likelihood", lambda _: evaluate_elbo(model(), images() * 255),
         ValueError, "must lie in [0, 1]"),
    Case("evaluate", "beta < 0", lambda _: evaluate_elbo(model(), images(), beta=-1.0), ValueError,
         "beta must be at least 0"),
    Case("evaluate", "k = 0 importance samples", lambda _: log_likelihood(model(), images(), k=0), ValueError,
         "k must be at least 1"),
    Case("evaluate", "active units of one example", lambda _: active_units(model(), images(1)), ValueError,
         "at least 2 examples"),
    Case("evaluate", "prior samples of size 3 against 2-D codes",
         lambda _: fraction_far_from_codes(torch.zeros(4, 3), torch.rand(5, 2)), ValueError,
         "size 2 in its last dimension"),
    Case("evaluate", "one sample without a batch axis, (2,)",
         lambda _: fraction_far_from_codes(torch.zeros(2), torch.rand(5, 2)), ValueError, "must have 2 dimensions"),
    # training
    Case("train", "steps = 0", lambda _: quick_fit(images(), steps=0), ValueError, "steps must be at least 1"),
    Case("train", "record_every = 0", lambda _: quick_fit(images(), record_every=0), ValueError,
         "record_every must be at least 1"),
    Case("train", "batch_size = 0", lambda _: quick_fit(images(), batch_size=0), ValueError,
         "batch_size must be at least 1"),
    Case("train", "a learning rate of 0", lambda _: quick_fit(images(), lr=0), ValueError,
         "lr must be greater than 0"),
    Case("train", "a NaN learning rate", lambda _: quick_fit(images(), lr=float("nan")), ValueError,
         "lr must be finite"),
    Case("train", "beta < 0", lambda _: quick_fit(images(), beta=-0.5), ValueError, "beta must be at least 0"),
    Case("train", "NaN in the training data", lambda _: quick_fit(with_value(images(), float("nan"))), ValueError,
         "x_train contains 1 NaN"),
    Case("train", "unflattened training images, (4, 28, 28)", lambda _: quick_fit(torch.rand(4, 28, 28)),
         ValueError, "x_train.reshape(len(x_train), -1)"),
    Case("train", "training data with 100 features for a 784-pixel model", lambda _: quick_fit(torch.rand(4, 100)),
         ValueError, "shape (batch, 784)"),
    Case("train", "bytes 0-255 (fit binarizes each batch)", lambda _: quick_fit(images() * 255), ValueError,
         "must lie in [0, 1]"),
    Case("train", "validation images not flattened", lambda _: quick_fit(images(), x_valid=torch.rand(4, 28, 28)),
         ValueError, "x_valid.reshape(len(x_valid), -1)"),
    # data
    Case("data", "binarize values above 1", lambda _: binarize(images() * 2), ValueError, "must lie in [0, 1]"),
    Case("data", "binarize NaN", lambda _: binarize(with_value(images(), float("nan"))), ValueError,
         "contains 1 NaN"),
    Case("data", "an epoch of 0 examples", lambda _: list(index_batches(0, 128)), ValueError, "need n > 0"),
    Case("data", "no data directory, offline", offline_without_data, MissingDataError, "export VAE_DATA_DIR="),
    Case("data", "a truncated IDX file", truncated_idx, MissingDataError, "cannot be read"),
    Case("data", "the data directory set to MNIST/raw instead of its parent", root_at_raw_folder, MissingDataError,
         "must be the folder that contains MNIST/raw/"),
    Case("data", "a training file too small to hold out a validation split", small_training_file, MissingDataError,
         "too few to set aside 10,000 for validation"),
    Case("data", "an unknown split name", lambda _: load_mnist(split="validation"), ValueError,
         "split must be one of 'train', 'valid', 'test'"),
    # checkpoints
    Case("checkpoints", "a 16-D checkpoint loaded into a 2-D model", checkpoint_of_other_architecture, CheckpointError,
         "but the model is a VAE(latent_dim=2"),
    Case("checkpoints", "a truncated checkpoint", truncated_checkpoint, CheckpointError, "delete it and train again"),
    Case("checkpoints", "a checkpoint whose weights were edited", edited_weights, CheckpointError,
         "changed after it was saved: delete it and train again"),
    Case("checkpoints", "a checkpoint with pickled code (would create a file)", pickled_code, CheckpointError,
         "could run code"),
    Case("checkpoints", "a plain pickle with code (would create a file)", plain_pickle_with_code, CheckpointError,
         "could run code"),
    Case("checkpoints", "no file at the path", lambda tmp: load_checkpoint(tmp / "missing.pt"), CheckpointError,
         "train a model and save_checkpoint() it first"),
    Case("checkpoints", "saving a plain torch module", lambda tmp: save_checkpoint(torch.nn.Linear(2, 2), tmp / "x.pt"),
         TypeError, "use torch.save(module.state_dict(), path)"),
    Case("checkpoints", "a checkpoint of a class that is not registered", unregistered_class, CheckpointError,
         "decorate it with @vae_lib.models.register"),
    Case("checkpoints", "a notebook's own module loaded without building one", lambda tmp: load_checkpoint(
        notebook_module(tmp)), CheckpointError, "Build one as its notebook does and load the weights into it"),
    Case("checkpoints", "a notebook's own module loaded into another class", lambda tmp: load_checkpoint(
        notebook_module(tmp), model=torch.nn.Bilinear(2, 2, 3)), CheckpointError, "the model given is a Bilinear"),
    Case("checkpoints", "a notebook's own module loaded into one of other sizes", lambda tmp: load_checkpoint(
        notebook_module(tmp), model=torch.nn.Linear(2, 4)), CheckpointError, "Build it with the settings it was trained with"),
    Case("checkpoints", "an empty checkpoint name", lambda _: checkpoint_path(""), ValueError, "plain file name"),
    Case("paths", "stored seed runs asked for a notebook that has none", lambda _: vae_lib.paths.seed_runs("99_missing"),
         KeyError, "tests/seed_spread.py --only 99 --seeds 0 1 2"),
    Case("checkpoints", "a checkpoint name that climbs out of the folder", lambda _: checkpoint_path("../vae_2d"),
         ValueError, "plain file name"),
    Case("checkpoints", "a number for a checkpoint name", lambda _: checkpoint_path(3), ValueError, "plain file name"),
    Case("checkpoints", "a path where a checkpoint name goes", lambda _: checkpoint_path("checkpoints/vae_2d.pt"),
         ValueError, "a plain file name such as 'vae_2d'"),
    # widgets
    Case("widgets", "scatter codes with 1 column for a 2-D model",
         lambda _: latent_sliders(model(), torch.zeros(5, 1), torch.zeros(5)), ValueError,
         "size 2 in its last dimension"),
    Case("widgets", "5 codes but 4 labels", lambda _: latent_sliders(model(), torch.zeros(5, 2), torch.zeros(4)),
         ValueError, "labels must have shape (5,)"),
    Case("widgets", "the digit-and-style explorer on a plain VAE", lambda _: digit_style_explorer(model()), TypeError,
         "needs a ConditionalVAE"),
    Case("widgets", "slider limit 0", lambda _: latent_sliders(model(), limit=0), ValueError,
         "limit must be greater than 0"),
    # the book and the teacher's commands
    Case("book", "make book EDITION=answers", lambda _: build.main(["--edition", "answers"]), SystemExit,
         "choose student (the default) or teacher"),
    Case("book", "the book built without nbgrader (which hides the hidden tests)", lambda _: without_module(
        "nbgrader.preprocessors", build.for_the_edition, nbformat_notebook(), "student"), build.BookError,
         "pip install -e '.[dev]'"),
    Case("teacher", "make course without the teacher extra", lambda tmp: without_module(
        "nbgrader", course.main, [str(tmp / "course")]), SystemExit, "pip install -e '.[teacher]'"),
    Case("repository", "a fork's address with a trailing slash",
         lambda tmp: set_repository.retarget("https://github.com/you/fork/", root=tmp), ValueError,
         "without a trailing slash"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.area}: {c.mistake}" for c in CASES])
def test_bad_input_gets_a_clear_error(case, tmp_path):
    with pytest.raises(case.error) as info:
        case.call(tmp_path)
    message = str(info.value)
    assert case.says.lower() in message.lower(), f"the message does not say {case.says!r}:\n{message}"
    # one clear message, not a chained traceback from deep inside torch
    assert info.value.__cause__ is None and (info.value.__suppress_context__ or info.value.__context__ is None)


def markdown_table(tmp_path):
    lines = ["| area | mistake | error | message |", "| --- | --- | --- | --- |"]
    for number, case in enumerate(CASES):
        (tmp_path / str(number)).mkdir()
        with pytest.raises(case.error) as info:
            case.call(tmp_path / str(number))
        message = " ".join(str(info.value).split()).replace("|", "\\|")
        lines.append(f"| {case.area} | {case.mistake} | {case.error.__name__} | {message} |")
    return "\n".join(lines)


def _stable(text, tmp_path):
    return re.sub(re.escape(str(tmp_path)) + r"/\d+", "<tmp>", text)


def test_readme_table_is_up_to_date(tmp_path):
    table = _stable(markdown_table(tmp_path), tmp_path)
    assert table in README.read_text(), (
        "tests/README.md's table of bad inputs is out of date: regenerate it with "
        "`.venv/bin/python tests/test_bad_input.py` and paste it in")


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        print(_stable(markdown_table(Path(tmp)), Path(tmp)))
    sys.exit(0)
