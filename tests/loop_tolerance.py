"""Measure the tolerance of notebook 04's training-loop check (Exercise 9).

The check trains a 784-256-2 VAE for 300 steps with the student's loop and compares the loss it records at every
step with the loss `vae_lib.fit` recorded at that step (record_every=1), from the same initial weights and the same
random state. A loop written as the exercise says draws the same batches and the same noise as `fit`, so the two
sequences agree up to float rounding; this script measures how far apart they get for correct loops written in
other ways, and for `fit` run with one thread against two (the check may load a `fit` trained by another process),
then for the teacher's loop and each catalogued wrong loop (tests/test_assignments.py), and for a loop that takes
two optimizer steps per batch. Each is measured exactly as the check measures it.

    python tests/loop_tolerance.py --save fit_losses.json       # about a minute on 2 CPU cores
    OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default python tests/loop_tolerance.py --reference fit_losses.json

The second line measures the loops under make portability's kernels against the first run's `fit`, as the
portability run's check compares them with the `fit` that make test trained and saved.
"""

import argparse
import json
import sys
from pathlib import Path

import nbformat
import torch

import vae_lib

sys.path.insert(0, str(Path(__file__).parent))
from test_assignments import WRONG_SOLUTIONS  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_vae.ipynb"
SETTINGS = dict(steps=300, batch_size=128, lr=1e-3, seed=0)
CORRECT_REWRITES = [  # correct loops, written another way: their gaps set the tolerance's floor
    ("loss as sum / batch size", "loss = -model.elbo(x).elbo.mean()", "loss = -model.elbo(x).elbo.sum() / len(x)"),
    ("zero_grad(set_to_none=False)", "optimizer.zero_grad()", "optimizer.zero_grad(set_to_none=False)"),
]
# not in the round trip's catalogue any more (its four slots), but the notebook's text still names it
SUMMED_LOSS = ("sum over the batch instead of the mean", "loss = -model.elbo(x).elbo.mean()",
               "loss = -model.elbo(x).elbo.sum()")
DOUBLED_STEP = ("a second optimizer.step() per batch", "            optimizer.step()\n",
                "            optimizer.step()\n            optimizer.step()\n")


def teacher_loop_source():
    cell = next(c for c in nbformat.read(NOTEBOOK, 4).cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "train_vae")
    return cell.source.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", "")


def fit_losses(x_train, threads):
    torch.set_num_threads(threads)
    vae_lib.seed_everything(0)
    model = vae_lib.VAE(latent_dim=2, hidden=(256,))
    return vae_lib.fit(model, x_train, progress=False, record_every=1, **SETTINGS)["loss"]


def loop_losses(source, x_train):
    namespace = {"torch": torch, "vae_lib": vae_lib}
    exec(source, namespace)
    vae_lib.seed_everything(0)
    model = vae_lib.VAE(latent_dim=2, hidden=(256,))
    torch.manual_seed(0)  # as the check does: the random state fit starts from
    return namespace["train_vae"](model, x_train, **SETTINGS)


def gaps(losses, reference):
    diff = (torch.tensor(losses, dtype=torch.float64) - torch.tensor(reference, dtype=torch.float64)).abs()
    return diff[:100].max().item(), diff.max().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", help="write this run's fit losses to this JSON file")
    parser.add_argument("--reference", help="compare against the fit losses in this JSON file")
    args = parser.parse_args()
    x_train, _ = vae_lib.load_mnist(split="train")
    threads = torch.get_num_threads()
    own = fit_losses(x_train, threads)
    if args.save:
        Path(args.save).write_text(json.dumps(own))
    rows = []
    if args.reference:
        reference = json.loads(Path(args.reference).read_text())
        rows.append((f"fit here ({threads} threads) against the saved fit", gaps(own, reference)))
    else:
        reference = own
        rows.append((f"fit with 1 thread against {threads}", gaps(fit_losses(x_train, 1), reference)))
        torch.set_num_threads(threads)
    teacher = teacher_loop_source()
    variants = [("the teacher's loop", teacher)]
    variants += [(f"correct, {label}", teacher.replace(a, b)) for label, a, b in CORRECT_REWRITES]
    variants += [(f"wrong: {label}", teacher.replace(a, b)) for label, a, b in WRONG_SOLUTIONS["train_vae"]]
    if DOUBLED_STEP[1:] not in [(correct, wrong) for _, correct, wrong in WRONG_SOLUTIONS["train_vae"]]:
        variants.append((f"wrong: {DOUBLED_STEP[0]}", teacher.replace(DOUBLED_STEP[1], DOUBLED_STEP[2])))
    variants.append((f"wrong: {SUMMED_LOSS[0]}", teacher.replace(SUMMED_LOSS[1], SUMMED_LOSS[2])))
    for label, source in variants:
        assert source != teacher or label == "the teacher's loop", f"{label}: the rewrite did not apply"
        rows.append((label, gaps(loop_losses(source, x_train), reference)))
    print(f"{'largest |loss - fit loss| at any step (nats)':52} {'steps 1-100':>12} {'steps 1-300':>12}")
    for label, (first, whole) in rows:
        print(f"{label:52} {first:12.3g} {whole:12.3g}")


if __name__ == "__main__":
    main()
