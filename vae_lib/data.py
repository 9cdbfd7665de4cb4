"""MNIST (and scikit-learn's 8x8 digits) as whole tensors, dynamic binarization, and index batches.

MNIST is tiny (70,000 x 784 bytes), so we keep every image in one tensor on the
training device and make a batch by indexing it. That is several times faster
than a per-image ``DataLoader`` and leaves nothing hidden.

Three splits. MNIST ships a training file (60,000 images) and a test file
(10,000). We carve a fixed **validation** split from the end of the training
file, the classic last 10,000 images, and train on the rest: every choice made
by measuring (learning rate, steps, beta, ...) is made on "valid", and "test"
is touched once, for the numbers finally reported.

Data directory: ``load_mnist(root=None)`` uses ``paths.data_dir()``:
``$VAE_DATA_DIR``, else ``data/`` at the top of the repository. Inside it
torchvision expects ``MNIST/raw/`` with the four (uncompressed) IDX files listed
in ``MNIST_FILES``.
"""

from pathlib import Path

import torch

from . import _arguments, paths

DATA_ENV = "VAE_DATA_DIR"  # named in the error messages; paths.data_dir() reads it
SPLITS = ("train", "valid", "test")
VALID_SIZE = 10_000  # the last 10,000 training images, as in Kingma & Welling's and most MNIST papers
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class MissingDataError(FileNotFoundError):
    """MNIST is not where we looked and could not be downloaded."""


def _missing_data_message(root, reason):
    raw = Path(root).resolve() / "MNIST" / "raw"
    files = "\n".join(f"    {raw / name}" for name in MNIST_FILES)
    return (
        f"MNIST is not in {Path(root).resolve()} and could not be downloaded ({reason}).\n"
        f"Either connect to the internet (torchvision downloads it there), or put the four\n"
        f"uncompressed IDX files here:\n{files}\n"
        f"or point {DATA_ENV} at a folder that already has MNIST/raw/ inside, e.g.\n"
        f"    export {DATA_ENV}=/path/to/mnist"
    )


def _check_not_inside_mnist(root):
    """A common slip: pointing the data directory at MNIST/raw or MNIST/ instead of their parent."""
    for inner, parent in ((root, root.parent.parent), (root / "raw", root.parent)):
        if any((inner / name).is_file() for name in MNIST_FILES) and not (root / "MNIST" / "raw").is_dir():
            raise MissingDataError(
                f"{root.resolve()} holds the MNIST files itself, but the data directory must be the folder "
                f"that contains MNIST/raw/. Point {DATA_ENV} (or root=) at {parent.resolve()} instead.")


def load_mnist(root=None, split="train", device=None):
    """Return ``(images, labels)`` for one split: "train", "valid" or "test".

    images: float32 tensor of shape (N, 784) with pixel intensities in [0, 1];
    labels: int64 tensor of shape (N,). "valid" is the last ``VALID_SIZE``
    images of MNIST's training file and "train" the ones before them (50,000
    and 10,000 for MNIST); "test" is MNIST's test file (10,000). N comes from
    the files, so never assume it. Taught in notebook 00; why a validation
    split, in notebook 05 §2.
    """
    from torchvision.datasets import MNIST  # imported here: torchvision is slow to import

    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    root = Path(root) if root is not None else paths.data_dir()
    raw = root / "MNIST" / "raw"
    _check_not_inside_mnist(root)
    train_file = split != "test"
    if all((raw / name).is_file() for name in MNIST_FILES):
        try:
            dataset = MNIST(root, train=train_file, download=False)
        except Exception as error:  # truncated or not IDX at all
            raise MissingDataError(
                f"The MNIST files in {raw.resolve()} exist but cannot be read "
                f"({type(error).__name__}: {error}). Delete them and download or copy them again."
            ) from None
    else:
        try:  # torchvision downloads into root/MNIST/raw when online
            dataset = MNIST(root, train=train_file, download=True)
        except Exception as error:  # offline, a proxy, a half-written file...
            raise MissingDataError(_missing_data_message(root, type(error).__name__)) from None
    if len(dataset.data) != len(dataset.targets) or dataset.data.shape[1:] != (28, 28):
        raise MissingDataError(
            f"The MNIST files in {raw.resolve()} do not fit together: {tuple(dataset.data.shape)} images "
            f"but {len(dataset.targets)} labels. Delete them and download or copy them again.")
    if train_file and len(dataset.data) <= VALID_SIZE:
        raise MissingDataError(
            f"The training file in {raw.resolve()} holds {len(dataset.data):,} images, too few to set aside "
            f"{VALID_SIZE:,} for validation. It should hold MNIST's 60,000: download or copy it again.")
    rows = {"train": slice(None, -VALID_SIZE), "valid": slice(-VALID_SIZE, None), "test": slice(None)}[split]
    images = dataset.data[rows].flatten(1).to(torch.float32).div_(255)
    labels = dataset.targets[rows].to(torch.int64)
    return images.to(device), labels.to(device)


DIGITS_SIZES = {"train": 1197, "valid": 300, "test": 300}  # scikit-learn's 1,797 images, in a fixed shuffled order


def load_digits(split="train", device=None):
    """Return ``(images, labels)`` of scikit-learn's 8x8 digits for one split: "train", "valid" or "test".

    images: float32 tensor of shape (N, 64), intensities in [0, 1] (the files' 0..16 divided by 16);
    labels: int64 tensor of shape (N,). The 1,797 images (UCI's optical digits, shipped inside the
    scikit-learn wheel, so no download) are shuffled once with seed 0 and cut into 1,197 / 300 / 300
    (``DIGITS_SIZES``). Small enough that a model trains near convergence in seconds on a CPU:
    notebook 10 §3 compares training objectives there.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn, which ships the 8x8 digits inside its wheel: "
                          "pip install scikit-learn (vae_lib's own install, pip install -e ., includes it)") from None
    bunch = sklearn_digits()
    order = torch.randperm(len(bunch.target), generator=torch.Generator().manual_seed(0))
    images = torch.as_tensor(bunch.data, dtype=torch.float32)[order] / 16
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)[order]
    start = sum(DIGITS_SIZES[earlier] for earlier in SPLITS[:SPLITS.index(split)])  # the splits in SPLITS' order
    rows = slice(start, start + DIGITS_SIZES[split])
    return images[rows].to(device), labels[rows].to(device)


def binarize(images, generator=None):
    """Dynamic binarization: x_i ~ Bernoulli(intensity_i), drawn afresh each call.

    A Bernoulli decoder models pixels that are 0 or 1. Sampling a new binary
    image every time we see an example (rather than thresholding once) acts as
    data augmentation and makes log p(x) a proper discrete log-probability.
    Taught in notebook 03 §1; ``fit`` does the same to every training batch.
    """
    _arguments.tensor("images", images, unit_interval=True)
    return torch.bernoulli(images, generator=generator)


def index_batches(n, batch_size, generator=None, device=None, drop_last=False):
    """Yield shuffled index tensors that cover range(n) once: one epoch.

    Index a tensor that already lives on the device with them: ``x[idx]``.
    The last batch is shorter unless ``drop_last``; code downstream must not
    assume a fixed batch size (the blog post's loop did, and broke).
    ``fit`` draws its batches with it; taught in notebook 09 §3 (the blog post's fixed-size reshape).
    """
    if n <= 0 or batch_size <= 0:
        raise ValueError(f"need n > 0 and batch_size > 0, got n={n}, batch_size={batch_size}")
    order = torch.randperm(n, generator=generator, device=generator.device if generator else "cpu")
    order = order.to(device)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


def endless_batches(n, batch_size, generator=None, device=None):
    """Index batches forever: one shuffled pass over range(n) (``index_batches``) after another.

    ``fit`` draws its batches this way, and so does notebook 07 §1's training loop.
    """
    while True:
        yield from index_batches(n, batch_size, generator, device)
