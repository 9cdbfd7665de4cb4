"""Test log-likelihood of notebook 05's VAEs on the whole test split, for the README.

    .venv/bin/python benchmarks/quality.py            # or: make quality

Loads the checkpoints notebook 05 saved (or trains them with the same settings
when they are missing or stale), binarizes all 10,000 test images once with a
fixed seed, and prints the test ELBO and the importance-weighted estimate of
log p(x) with k = 500 samples per image, each with its standard error.
"""

import argparse
import math
import time

import torch

import vae_lib

# The settings of notebook 05, section 1. load_or_fit reuses its checkpoints only if these match.
MODELS = {
    "2-D": dict(model=dict(latent_dim=2, activation="silu"), path="vae_2d.pt",
                fit=dict(steps=4000, batch_size=128, lr=1e-3, seed=0)),
    "16-D": dict(model=dict(latent_dim=16, activation="relu"), path="vae_16d.pt",
                 fit=dict(steps=3000, batch_size=256, lr=1e-3, seed=0)),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=500, help="importance samples per image (default 500)")
    parser.add_argument("--images", type=int, default=None, help="evaluate only the first N test images")
    args = parser.parse_args()

    device = vae_lib.choose_device()
    x_train, _ = vae_lib.load_mnist(train=True, device=device)
    x_test, _ = vae_lib.load_mnist(train=False, device=device)
    x_eval = vae_lib.binarize(x_test, torch.Generator(device=device).manual_seed(0))[:args.images]
    print(f"device {device}; {len(x_train):,} training images; evaluating on {len(x_eval):,} test images, k = {args.k}")
    print(f"{'latent':>6} {'test ELBO':>16} {'log p(x)':>16} {'gap':>6} {'seconds':>8}")
    for name, spec in MODELS.items():
        vae_lib.seed_everything(0)
        model = vae_lib.VAE(hidden=(512, 256), **spec["model"])
        vae_lib.load_or_fit(model, vae_lib.train.CHECKPOINT_DIR / spec["path"], x_train, progress=False, **spec["fit"])
        start = time.perf_counter()
        torch.manual_seed(0)
        with torch.no_grad():
            elbo = torch.cat([model.elbo(x_eval[i:i + 2000]).elbo for i in range(0, len(x_eval), 2000)])
        log_lik = vae_lib.log_likelihood(model, x_eval, k=args.k, generator=torch.Generator(device=device).manual_seed(0))
        seconds = time.perf_counter() - start
        se = lambda t: t.std().item() / math.sqrt(len(t))
        print(f"{name:>6} {elbo.mean():9.2f} ± {se(elbo):4.2f} {log_lik.mean():9.2f} ± {se(log_lik):4.2f} "
              f"{(log_lik - elbo).mean():6.2f} {seconds:8.0f}")


if __name__ == "__main__":
    main()
