"""Test log-likelihood of the series' VAEs on the whole test split, for the README.

    .venv/bin/python benchmarks/quality.py            # or: make quality

Loads the checkpoints notebooks 05 (2-D), 06 (16-D) and 11 (the 16-D model with a flow posterior, the 2-D
model with a VampPrior, each continued from 06's and 05's) saved (run them first), binarizes all
10,000 test images once with a fixed seed, and prints the test ELBO and the
importance-weighted estimate of log p(x) with k = 500 samples per image, each
with its standard error, and the training settings stored in each checkpoint:
the recipes live in the notebooks only (chosen there on the validation split,
with benchmarks/recipe_search.py), and this script reads them from the checkpoints.
This is the one place where the series touches the test split, besides notebook 10's comparison of training
objectives on scikit-learn's 8x8 digits, whose final test numbers it prints again from notebook 10's nine
checkpoints (K = 1, 5, 50 samples in the bound, seeds 0-2): log p(x) with k = 5,000 on the 300 test digits, binarized
as the notebook does, and each K's paired difference from K = 1 over the seeds.
"""

import argparse
import math
import sys
import time

import torch

import vae_lib

CHECKPOINTS = {"2-D": "vae_2d", "16-D": "vae_16d",          # what notebooks 05 and 06 save
               # notebook 11: each model continued for 1,500 steps with a flow posterior or a VampPrior, and its
               # control, the same model continued for the same steps unchanged
               "16-D flow": "11_flow_vae_16d", "16-D cont": "11_vae_16d_continued",
               "2-D Vamp": "11_vampprior_vae_2d", "2-D cont": "11_vae_2d_continued"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=500, help="importance samples per image (default 500)")
    parser.add_argument("--images", type=int, default=None, help="evaluate only the first N test images")
    args = parser.parse_args()

    device = vae_lib.choose_device()
    x_test, _ = vae_lib.load_mnist(split="test", device=device)
    x_eval = vae_lib.binarize(x_test, torch.Generator(device=device).manual_seed(0))[:args.images]
    print(f"device {device}; evaluating on {len(x_eval):,} test images, k = {args.k}")
    print(f"{'model':>9} {'test ELBO':>16} {'log p(x)':>16} {'gap':>6} {'seconds':>8}  model and training")
    for name, filename in CHECKPOINTS.items():
        try:
            model, history = vae_lib.load_checkpoint(vae_lib.checkpoint_path(filename), device=device)
        except vae_lib.CheckpointError as error:
            sys.exit(f"{error}\nRun notebooks 05, 06 and 11 first (make notebooks, or open them in "
                     f"JupyterLab): they train and save the models this script measures.")
        start = time.perf_counter()
        torch.manual_seed(0)
        with torch.no_grad():
            elbo = torch.cat([model.elbo(x_eval[i:i + 2000]).elbo for i in range(0, len(x_eval), 2000)])
        log_lik = vae_lib.log_likelihood(model, x_eval, k=args.k, generator=torch.Generator(device=device).manual_seed(0))
        seconds = time.perf_counter() - start
        se = lambda t: t.std().item() / math.sqrt(len(t))
        recipe = ", ".join(f"{key}={value}" for key, value in history.get("settings", {}).items())
        print(f"{name:>9} {elbo.mean():9.2f} ± {se(elbo):4.2f} {log_lik.mean():9.2f} ± {se(log_lik):4.2f} "
              f"{(log_lik - elbo).mean():6.2f} {seconds:8.0f}  {type(model).__name__}, "
              f"hidden={list(model.config.hidden)}, {model.config.activation}; {recipe}")

    digits_comparison(device)


def digits_comparison(device, samples=(1, 5, 50), seeds=(0, 1, 2)):
    "Notebook 10 §3: test log p(x) of the VAEs trained on L_K on 8x8 digits, and the paired differences from K = 1."
    x_test = vae_lib.binarize(vae_lib.load_digits(split="test", device=device)[0],
                              torch.Generator(device=device).manual_seed(1))       # as notebook 10 binarizes it
    values = {}
    for K in samples:
        for seed in seeds:
            try:
                model, _ = vae_lib.load_checkpoint(vae_lib.checkpoint_path(f"10_digits_k{K}_seed{seed}"), device=device)
            except vae_lib.CheckpointError as error:
                sys.exit(f"{error}\nRun notebook 10 first: it trains the nine digits models this part measures.")
            log_lik = vae_lib.log_likelihood(model, x_test, k=5000, generator=torch.Generator(device=device).manual_seed(0))
            values[K, seed] = log_lik.mean().item()
    print(f"\n8x8 digits (notebook 10 §3), {len(x_test)} test images, k = 5,000; trained on L_K for 200 epochs")
    for K in samples:
        differences = torch.tensor([values[K, s] - values[samples[0], s] for s in seeds])
        mean = sum(values[K, s] for s in seeds) / len(seeds)
        print(f"K = {K:2d}: log p(x) {mean:7.2f} (mean over seeds {', '.join(map(str, seeds))}); minus K = {samples[0]}'s: "
              f"{differences.mean():+.2f} ± {differences.std() / math.sqrt(len(seeds)):.2f}")


if __name__ == "__main__":
    main()
