"""The search behind notebook 05's and 06's training recipes, measured on the validation split.

    .venv/bin/python benchmarks/recipe_search.py            # every candidate: 14 of ~1.5 min each, ~20 minutes
    .venv/bin/python benchmarks/recipe_search.py --keep     # only candidates not yet in recipe_search.json
    .venv/bin/python benchmarks/recipe_search.py --latent 2 # only the 2-D ones

Each candidate is a 784-512-256-d MLP VAE trained from seed 0 with ``vae_lib.fit``
for a fixed number of optimizer steps, sized so that training takes about a
minute on this project's 2-core machine (the notebooks' time budget). It is
scored on the **validation** split (the last 10,000 training images, binarized
once): the ELBO on all of it and the importance-weighted log p(x), k = 100, on
its first 2,000 images, with the standard error of each candidate's difference
from the first one on the same images; the table goes to recipe_search.json.
The test split is never touched here: ``benchmarks/quality.py`` measures the
chosen recipes on it (the README says when that happened, and what it prompted).
"""

import argparse
import json
import math
import time
from pathlib import Path

import torch

import vae_lib

RESULTS = Path(__file__).with_name("recipe_search.json")  # notebooks 05 and 06 print it and check their recipe

# name: (latent_dim, activation, batch_size, lr, steps, lr_drop_at)
CANDIDATES = {
    2: [("relu, b128, lr 1e-3", "relu", 128, 1e-3, 7000, None),
        ("silu, b128, lr 1e-3", "silu", 128, 1e-3, 7000, None),
        ("silu, b128, lr 2e-3, drop at 80%", "silu", 128, 2e-3, 7000, 5600),
        ("silu, b256, lr 2e-3, drop at 80%", "silu", 256, 2e-3, 4500, 3600),
        ("relu, b256, lr 2e-3, drop at 80%", "relu", 256, 2e-3, 4500, 3600)],
    16: [("relu, b128, lr 1e-3", "relu", 128, 1e-3, 5800, None),
         ("silu, b128, lr 1e-3", "silu", 128, 1e-3, 5800, None),
         ("relu, b128, lr 2e-3, drop at 80%", "relu", 128, 2e-3, 5800, 4640),
         ("relu, b128, lr 1e-3, drop at 80%", "relu", 128, 1e-3, 5800, 4640),
         ("relu, b256, lr 2e-3, drop at 80%", "relu", 256, 2e-3, 3500, 2800),
         ("silu, b128, lr 1e-3, drop at 80%", "silu", 128, 1e-3, 5800, 4640),
         # a second round, after the first winner's test log p(x) missed its target
         ("silu, b128, lr 2e-3, drop at 80%", "silu", 128, 2e-3, 5800, 4640),
         ("silu, b128, lr 1e-3, drop at 80%, 7500 steps", "silu", 128, 1e-3, 7500, 6000),
         ("silu, b128, lr 2e-3, drop at 80%, 7500 steps", "silu", 128, 2e-3, 7500, 6000)],
}


def score(model, x_valid, n_iw=2000, k=100):
    """Per-image validation ELBO (all of x_valid) and IW log p(x) (first n_iw images), on the CPU."""
    torch.manual_seed(0)
    with torch.no_grad():
        elbo = torch.cat([model.elbo(x_valid[i:i + 2000]).elbo for i in range(0, len(x_valid), 2000)])
    log_lik = vae_lib.log_likelihood(model, x_valid[:n_iw], k=k, generator=torch.Generator().manual_seed(0))
    return elbo, log_lik


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latent", type=int, choices=sorted(CANDIDATES), action="append")
    parser.add_argument("--keep", action="store_true",
                        help="keep the rows already in recipe_search.json and train only the new candidates "
                             "(and the first one, which the differences are paired with)")
    args = parser.parse_args()
    x_train, _ = vae_lib.load_mnist(split="train")
    x_valid, _ = vae_lib.load_mnist(split="valid")
    x_valid = vae_lib.binarize(x_valid, torch.Generator().manual_seed(0))
    print(f"train {len(x_train):,} images, validation {len(x_valid):,}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads", flush=True)
    for latent in args.latent or sorted(CANDIDATES):
        print(f"\n{latent}-D latent, 784-512-256-{latent}")
        print(f"{'candidate':36} {'steps':>6} {'train s':>8} {'valid ELBO':>11} {'diff ± se':>13} "
              f"{'valid log p(x)':>15} {'diff ± se':>13}", flush=True)
        first, rows = None, []
        earlier = json.loads(RESULTS.read_text()).get(f"{latent}-D", []) if args.keep and RESULTS.exists() else []
        kept = {row["candidate"]: row for row in earlier}
        for number, (name, activation, batch_size, lr, steps, lr_drop_at) in enumerate(CANDIDATES[latent]):
            if number > 0 and name in kept:  # measured in an earlier run of this script, by the same code
                rows.append(kept[name])
                print(f"{name:36} {steps:6d}   (kept from the earlier run)", flush=True)
                continue
            vae_lib.seed_everything(0)
            model = vae_lib.VAE(latent_dim=latent, hidden=(512, 256), activation=activation)
            start = time.perf_counter()
            vae_lib.fit(model, x_train, steps=steps, batch_size=batch_size, lr=lr, lr_drop_at=lr_drop_at,
                        seed=0, progress=False, device="cpu")
            seconds = time.perf_counter() - start
            elbo, log_lik = score(model, x_valid)
            first = first or (elbo, log_lik)
            paired = [(t - f) for t, f in ((elbo, first[0]), (log_lik, first[1]))]
            se = [d.std().item() / math.sqrt(len(d)) for d in paired]
            print(f"{name:36} {steps:6d} {seconds:8.1f} {elbo.mean():11.2f} {paired[0].mean():+6.2f} ± {se[0]:4.2f} "
                  f"{log_lik.mean():15.2f} {paired[1].mean():+6.2f} ± {se[1]:4.2f}", flush=True)
            rows.append(dict(candidate=name, activation=activation, batch_size=batch_size, lr=lr, steps=steps,
                             lr_drop_at=lr_drop_at, train_seconds=round(seconds, 1),
                             valid_elbo=round(elbo.mean().item(), 2), valid_log_px=round(log_lik.mean().item(), 2),
                             log_px_diff=round(paired[1].mean().item(), 2), log_px_diff_se=round(se[1], 2)))
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[f"{latent}-D"] = rows
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
