"""Measure, over seeds, notebook 08's equal-steps comparison: the ConvVAE's validation ELBO minus the MLP VAE's.

Each seed trains both 16-D models for 2,000 steps exactly as notebook 08 §2 does (fit's defaults, records every
100 steps on 2,000 validation images) and evaluates both on all 10,000 validation images, binarized once, with the
same z noise (as the notebook does). It prints the difference after 2,000 steps, and the smallest difference among the records from step
500 on, and stores the differences in benchmarks/seed_runs.json (as notebook 08's quantity
"conv_minus_mlp_after_2000_steps"), where the notebook reads and prints them.

    python tests/conv_steps_spread.py          # seeds 0-7, about 45 s a seed on 2 CPU cores
"""

import argparse
import statistics

import torch

import vae_lib
from seed_spread import store


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    args = parser.parse_args()
    x_train, _ = vae_lib.load_mnist(split="train")
    x_valid, _ = vae_lib.load_mnist(split="valid")
    x_eval = vae_lib.binarize(x_valid, torch.Generator().manual_seed(0))
    builds = {"MLP VAE": lambda: vae_lib.VAE(latent_dim=16, hidden=(512, 256)),
              "ConvVAE": lambda: vae_lib.ConvVAE(latent_dim=16, hidden=(16, 32))}
    leads, records = [], {}
    for seed in args.seeds:
        valid, curves = {}, {}
        for name, build in builds.items():
            vae_lib.seed_everything(seed)
            model = build()
            history = vae_lib.fit(model, x_train, steps=2000, x_valid=x_valid[:2000], record_every=100, seed=seed,
                                  progress=False)
            torch.manual_seed(0)
            valid[name] = vae_lib.evaluate_elbo(model, x_eval)["elbo"]
            curves[name] = dict(zip(history["step"], history["valid_loss"]))
        lead = valid["ConvVAE"] - valid["MLP VAE"]
        worst = min(curves["MLP VAE"][step] - curves["ConvVAE"][step] for step in curves["ConvVAE"] if step >= 500)
        leads.append(lead)
        records["08_conv_and_conditional", seed] = {"conv_minus_mlp_after_2000_steps": lead}
        print(f"seed {seed}: ConvVAE minus MLP after 2,000 steps {lead:+.2f} nats; smallest lead over the records "
              f"from step 500 {worst:+.2f}", flush=True)
    print(f"{len(leads)} seeds: mean {statistics.mean(leads):+.2f}, standard deviation {statistics.stdev(leads):.2f}, "
          f"range {min(leads):+.2f} to {max(leads):+.2f}; ConvVAE ahead in {sum(v > 0 for v in leads)}")
    store(records, source="tests/conv_steps_spread.py")


if __name__ == "__main__":
    main()
