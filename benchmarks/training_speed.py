"""Training speed of vae_lib.fit against the usual ways of writing the loop, measured in one run.

    .venv/bin/python benchmarks/training_speed.py              # or: make benchmark
    .venv/bin/python benchmarks/training_speed.py --seconds 2 --no-notebooks   # quick

Every loop trains for the same wall-clock window after a warm-up, on the same
data and machine, and we count images per second:

  fit, 2-D VAE         vae_lib.fit on notebook 05's 2-D model (784-512-256-2, SiLU), batch 128
  fit, 784-400-20      vae_lib.fit on the classic tutorial VAE, batch 128
  DataLoader loop      the same 784-400-20 model and loss, fed by a DataLoader over
                       torchvision.datasets.MNIST with ToTensor, batch 128
  bare step            the same model and loss on pre-made batches: forward, backward, step,
                       nothing else; the floor that no trainer beats
  blog post loop       the post's 784-128-2 model, batch 8, a MultivariateNormal built per
                       step, two forward passes, a DataLoader

Then, unless --no-notebooks, each notebook is executed headless in a fresh
kernel (outputs go to a temporary folder) and its time and peak memory are
reported, each training from scratch (a fresh checkpoint folder). Ratios are
computed from this run's numbers only.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import MultivariateNormal
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

import vae_lib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import series  # noqa: E402  (tests/series.py: the budgets are in the notebooks' metadata)

BUDGETS = series.budgets()  # {notebook stem: seconds on a 2-core CPU}


def images_per_second(step, batch_size, seconds, warmup=0.5):
    "Call step() repeatedly for `seconds` after `warmup` seconds; return images per second."
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return count * batch_size / (time.perf_counter() - start)


def fit_rate(model, x_train, batch_size, seconds, warmup=0.5):
    "vae_lib.fit itself, stopped by its max_seconds; the warm-up run is discarded."
    vae_lib.fit(model, x_train, steps=10**9, batch_size=batch_size, max_seconds=warmup, progress=False)
    start = time.perf_counter()
    history = vae_lib.fit(model, x_train, steps=10**9, batch_size=batch_size, max_seconds=seconds, progress=False)
    return history["step"][-1] * batch_size / (time.perf_counter() - start)


def step_function(model, optimizer, next_batch):
    "One optimizer step of -mean ELBO on whatever next_batch() returns."
    def step():
        loss = -model.elbo(next_batch()).elbo.mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return step


def dataloader_batches(batch_size):
    "The tutorial pipeline: torchvision MNIST, ToTensor, a shuffled DataLoader, flatten, binarize."
    dataset = datasets.MNIST(vae_lib.paths.data_dir(), train=True, transform=transforms.ToTensor())
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    while True:
        for images, _ in loader:
            yield torch.bernoulli(images.view(-1, 784))


class BlogPostVAE(nn.Module):
    "The blog post's model as described: sigmoid mu and sigma, one eps per batch, ReLU output."

    def __init__(self):
        super().__init__()
        self.hidden, self.mu, self.sigma = nn.Linear(784, 128), nn.Linear(128, 2), nn.Linear(128, 2)
        self.decoder_hidden, self.out = nn.Linear(2, 128), nn.Linear(128, 784)

    def forward(self, x):
        h = torch.sigmoid(self.hidden(x))
        mu, sigma = torch.sigmoid(self.mu(h)), torch.sigmoid(self.sigma(h))
        eps = MultivariateNormal(torch.zeros(2), torch.eye(2)).sample((1,)).mean(0)
        return torch.relu(self.out(torch.tanh(self.decoder_hidden(mu + eps * sigma)))), mu, sigma

    def loss(self, x, beta=1e-4):
        x_hat, mu, sigma = self(x)
        return F.mse_loss(x_hat, x) - beta * 0.5 * torch.sum(1 + torch.log(sigma**2) - mu**2 - sigma**2)


def blog_post_step(batch_size=8):
    model = BlogPostVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    dataset = datasets.MNIST(vae_lib.paths.data_dir(), train=True, transform=transforms.ToTensor())
    batches = iter(())

    def step():
        nonlocal batches
        try:
            images, _ = next(batches)
        except StopIteration:
            batches = iter(DataLoader(dataset, batch_size=batch_size, shuffle=True))
            images, _ = next(batches)
        x = torch.reshape(images.squeeze(), (batch_size, 784))
        optimizer.zero_grad()
        model(x)
        loss = model.loss(x)
        loss.backward()
        optimizer.step()
    return step


def measure_loops(seconds):
    x_train, _ = vae_lib.load_mnist(split="train")
    rates = {}
    vae_lib.seed_everything(0)
    rates["fit, 2-D VAE (512-256, SiLU)"] = fit_rate(
        vae_lib.VAE(latent_dim=2, hidden=(512, 256), activation="silu"), x_train, 128, seconds)
    classic = lambda: vae_lib.VAE(latent_dim=20, hidden=(400,))
    rates["fit, 784-400-20"] = fit_rate(classic(), x_train, 128, seconds)

    model = classic()
    loader = dataloader_batches(128)
    rates["DataLoader loop, 784-400-20"] = images_per_second(
        step_function(model, torch.optim.Adam(model.parameters(), lr=1e-3), lambda: next(loader)), 128, seconds)

    model = classic()
    premade = torch.bernoulli(x_train[: len(x_train) // 128 * 128]).reshape(-1, 128, 784)
    position = 0
    def next_premade():
        nonlocal position
        position = (position + 1) % len(premade)
        return premade[position]
    rates["bare step, 784-400-20"] = images_per_second(
        step_function(model, torch.optim.Adam(model.parameters(), lr=1e-3), next_premade), 128, seconds)

    rates["blog post loop (784-128-2, batch 8)"] = images_per_second(blog_post_step(), 8, seconds)
    return rates


def run_notebook(path, timeout=900):
    "Execute one notebook in a fresh kernel; return (seconds, peak RSS of the run in MiB)."
    with tempfile.TemporaryDirectory() as out:
        # The child waits for nbconvert, which waits for its kernel, so the child's
        # RUSAGE_CHILDREN peak covers the kernel: the notebook's own peak memory.
        probe = (
            "import resource, subprocess, sys, time;"
            "start = time.perf_counter();"
            "code = subprocess.run([sys.executable, '-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute',"
            f"  '--ExecutePreprocessor.timeout={timeout}', '--output-dir', {out!r}, {str(path)!r}],"
            "  capture_output=True).returncode;"
            "print(code, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
        )
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    code, seconds, peak_mib = result.stdout.split()
    if code != "0":
        raise RuntimeError(f"{path.name} failed to execute; run `make notebooks` to see the error")
    return float(seconds), float(peak_mib)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per loop (default 10)")
    parser.add_argument("--no-notebooks", action="store_true", help="skip timing the notebooks")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    args = parser.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device for fit: {vae_lib.choose_device()}")
    rates = measure_loops(args.seconds)
    print(f"\n{'loop':38} {'images/s':>10}")
    for name, rate in rates.items():
        print(f"{name:38} {rate:10,.0f}")
    fit_classic = rates["fit, 784-400-20"]
    ratios = {
        "fit / DataLoader loop (target >= 1.8)": fit_classic / rates["DataLoader loop, 784-400-20"],
        "fit / bare step (target >= 0.90)": fit_classic / rates["bare step, 784-400-20"],
        "fit 2-D / blog post loop": rates["fit, 2-D VAE (512-256, SiLU)"] / rates["blog post loop (784-128-2, batch 8)"],
    }
    print(f"\n{'ratio, same model and batch unless named':46} {'measured':>9}")
    for name, ratio in ratios.items():
        print(f"{name:46} {ratio:9.2f}")

    notebooks = {}
    if not args.no_notebooks:
        # A fresh checkpoint folder: every notebook trains from scratch, as on a new clone,
        # while 06 still finds the models that 03 and 05 saved, as in a real run of the series.
        os.environ["VAE_CHECKPOINT_DIR"] = tempfile.mkdtemp(prefix="vae-benchmark-")
        print(f"\n{'notebook':34} {'seconds':>8} {'budget':>7} {'of budget':>10} {'peak MiB':>9}")
        for path in sorted(Path(p) for p in glob.glob(str(ROOT / "notebooks" / "[0-9][0-9]_*.ipynb"))):
            seconds, peak = run_notebook(path)
            budget = BUDGETS.get(path.stem)
            notebooks[path.name] = dict(seconds=seconds, peak_mib=peak, budget=budget)
            share = f"{seconds / budget:.0%}" if budget else ""
            # the budgets must hold with a margin of at least 20%: other machines and days are slower
            flag = ("" if budget is None or seconds <= 0.8 * budget else
                    "  OVER BUDGET" if seconds > budget else "  LESS THAN 20% MARGIN")
            print(f"{path.name:34} {seconds:8.1f} {budget or '':>7} {share:>10} {peak:9.0f}{flag}")
        print(f"{'total':34} {sum(n['seconds'] for n in notebooks.values()):8.1f}")
    if args.json:
        args.json.write_text(json.dumps(dict(rates=rates, ratios=ratios, notebooks=notebooks), indent=2))


if __name__ == "__main__":
    main()
