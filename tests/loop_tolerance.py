"""Measure the tolerance of notebook 04's training-loop check (Exercise 9).

The check trains a 784-256-2 VAE for 300 steps with the student's loop and with
`vae_lib.fit` from the same initial weights and compares their validation ELBOs.
The two loops draw different batches, so the right tolerance is set by how much
`fit`'s result moves from one seed to the next. This script prints that spread
(fit with seeds 0-19: its validation ELBO and its last recorded loss), then the
teacher's loop and each catalogued wrong loop (tests/test_assignments.py),
measured exactly as the check measures them.

    python tests/loop_tolerance.py        # about a minute on 2 CPU cores (20 seeds of fit)
"""

import statistics
import sys
from pathlib import Path

import nbformat
import torch

import vae_lib

sys.path.insert(0, str(Path(__file__).parent))
from test_assignments import WRONG_SOLUTIONS  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_vae.ipynb"
SETTINGS = dict(steps=300, batch_size=128, lr=1e-3)


def teacher_loop_source():
    cell = next(c for c in nbformat.read(NOTEBOOK, 4).cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "train_vae")
    return cell.source.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", "")


def validation_elbo(model, x_eval):
    torch.manual_seed(1)
    return vae_lib.evaluate_elbo(model, x_eval)["elbo"]


def main():
    x_train, _ = vae_lib.load_mnist(split="train")
    x_valid, _ = vae_lib.load_mnist(split="valid")
    x_eval = vae_lib.binarize(x_valid[:2000], torch.Generator().manual_seed(0))
    fits, recorded = [], []
    for seed in range(20):
        vae_lib.seed_everything(seed)
        model = vae_lib.VAE(latent_dim=2, hidden=(256,))
        history = vae_lib.fit(model, x_train, progress=False, seed=seed, **SETTINGS)
        fits.append(validation_elbo(model, x_eval))
        recorded.append(history["loss"][-1])
        print(f"fit, seed {seed}: validation ELBO {fits[-1]:.2f}, last recorded loss {recorded[-1]:.2f}")
    for label, values in (("validation ELBO", fits), ("last recorded loss", recorded)):
        spread = statistics.stdev(values)
        print(f"fit over 20 seeds, {label}: mean {statistics.mean(values):.2f}, range {min(values):.2f} to "
              f"{max(values):.2f}, standard deviation {spread:.2f} nats; the difference of two runs has a "
              f"standard deviation of about {spread * 2 ** 0.5:.2f}")
    variants = [("teacher's loop", teacher_loop_source())]
    variants += [(mistake, teacher_loop_source().replace(correct, wrong))
                 for mistake, correct, wrong in WRONG_SOLUTIONS["train_vae"]]
    for label, source in variants:
        namespace = {"torch": torch, "vae_lib": vae_lib}
        exec(source, namespace)
        vae_lib.seed_everything(0)
        model = vae_lib.VAE(latent_dim=2, hidden=(256,))
        torch.manual_seed(0)  # as the check does: the random state fit starts from
        losses = namespace["train_vae"](model, x_train, seed=0, **SETTINGS)
        print(f"{label:>40}: validation ELBO {validation_elbo(model, x_eval):8.2f}, "
              f"last 100 recorded losses {sum(losses[-100:]) / 100:10.2f}   (seed-0 fit: {fits[0]:.2f}, "
              f"{recorded[0]:.2f})")


if __name__ == "__main__":
    main()
