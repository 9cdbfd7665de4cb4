import urllib.error

import pytest
import torch
import torchvision

import vae_lib
from vae_lib import MissingDataError, binarize, index_batches, load_mnist
from vae_lib.data import MNIST_FILES

pytestmark = pytest.mark.notebooks("00")  # make test-one NB=... runs these for them


def test_load_mnist_shapes_and_ranges(mnist_train):
    images, labels = mnist_train
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert images.shape == (len(labels), 784)
    assert images.min() >= 0 and images.max() <= 1
    assert set(labels.unique().tolist()) == set(range(10))


def test_splits_are_mnist_with_the_last_10000_training_images_held_out():
    """train + valid is MNIST's training file in order; test is its test file; nothing else."""
    train, train_labels = load_mnist(split="train")
    valid, valid_labels = load_mnist(split="valid")
    test, _ = load_mnist(split="test")
    assert (len(train), len(valid), len(test)) == (50_000, 10_000, 10_000)
    whole = torchvision.datasets.MNIST(vae_lib.paths.data_dir(), train=True)
    assert torch.equal(torch.cat([train, valid]), whole.data.flatten(1).float() / 255)
    assert torch.equal(torch.cat([train_labels, valid_labels]), whole.targets)
    assert train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # MNIST's published first labels


def test_offline_without_files_says_where_to_put_them(tmp_path, monkeypatch):
    def offline(self):
        raise urllib.error.URLError("no network")
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", offline)
    with pytest.raises(MissingDataError) as info:
        load_mnist(root=tmp_path)
    message = str(info.value)
    assert "VAE_DATA_DIR" in message
    for name in MNIST_FILES:
        assert str(tmp_path / "MNIST" / "raw" / name) in message


def test_default_root_comes_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", lambda self: None)
    with pytest.raises(MissingDataError, match=str(tmp_path)):
        load_mnist()


def test_corrupt_files_are_reported(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in MNIST_FILES:
        (raw / name).write_bytes(b"not an idx file")
    with pytest.raises(MissingDataError, match="cannot be read"):
        load_mnist(root=tmp_path)


def test_binarize_samples_bernoulli(generator):
    x = torch.full((1000, 784), 0.25)
    b = binarize(x, generator)
    assert set(b.unique().tolist()) == {0.0, 1.0}
    n = b.numel()
    assert abs(b.mean().item() - 0.25) < 5 * (0.25 * 0.75 / n) ** 0.5


def test_index_batches_cover_every_index_once(generator):
    batches = list(index_batches(10, 4, generator))
    assert [len(b) for b in batches] == [4, 4, 2]  # a short last batch, not dropped
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    assert [len(b) for b in index_batches(10, 4, generator, drop_last=True)] == [4, 4]


@pytest.mark.notebooks("10")
def test_load_digits_splits_are_disjoint_and_cover_scikit_learns_digits():
    """The three splits of the 8x8 digits: 1,197 / 300 / 300 images in [0, 1], together every image once."""
    import sklearn.datasets
    parts = {split: vae_lib.load_digits(split) for split in ("train", "valid", "test")}
    assert [len(x) for x, _ in parts.values()] == [1197, 300, 300]
    images = torch.cat([x for x, _ in parts.values()])
    assert images.shape == (1797, 64) and images.min() == 0 and images.max() == 1
    whole = torch.as_tensor(sklearn.datasets.load_digits().data, dtype=torch.float32) / 16
    as_rows = lambda t: sorted(map(tuple, t.tolist()))  # noqa: E731  (the same multiset of images)
    assert as_rows(images) == as_rows(whole)
    assert torch.equal(vae_lib.load_digits("valid")[0], parts["valid"][0]), "the split is fixed, not redrawn"
    labels = torch.cat([y for _, y in parts.values()])
    assert set(labels.unique().tolist()) == set(range(10))


def test_load_digits_without_scikit_learn_says_what_to_install(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        vae_lib.load_digits("train")
    with pytest.raises(ValueError, match="split must be one of"):
        vae_lib.load_digits("validation")
