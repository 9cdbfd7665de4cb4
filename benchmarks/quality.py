"""Test log-likelihood of the series' VAEs on the whole test split, for the README.

    .venv/bin/python benchmarks/quality.py            # or: make quality

Loads the checkpoints notebooks 05 (2-D) and 06 (16-D) saved (run them first), binarizes all
10,000 test images once with a fixed seed, and prints the test ELBO and the
importance-weighted estimate of log p(x) with k = 500 samples per image, each
with its standard error, and the training settings stored in each checkpoint:
the recipes live in the notebooks only (chosen there on the validation split,
with benchmarks/recipe_search.py), and this script reads them from the checkpoints.
This is the one place where the series touches MNIST's test split. Notebooks 10 and 11 compare models on
scikit-learn's 8x8 digits; this script prints their final test numbers again from their checkpoints (seeds 0-2):
log p(x) with k = 5,000 on the 300 test digits, binarized as the notebooks do, and each model's paired difference
from its control over the seeds. Notebook 10: a PixelCNN decoder against its control with the masks emptied
(§2; the class is built from the notebook's own code), and K = 1, 5, 50 samples in the bound (§3); notebook 11: a flow posterior
against the Gaussian, and a mixture-of-Gaussians prior and the VampPrior against N(0, I); notebook 13: a two-level
VAE against one level, trained on the ELBO (the two-level model's bottom level collapses) and with the free bits
the notebook chose on validation.
"""

import argparse
import ast
import json
import math
import sys
import time
from pathlib import Path

import torch

import vae_lib

CHECKPOINTS = {"2-D": "vae_2d", "16-D": "vae_16d"}          # what notebooks 05 and 06 save
# The digits comparisons: {label: checkpoint name with {seed}}, the first of each the control. Notebook 11's
# mixture and VampPrior use the number of components C that the notebook chose on validation, and notebook 13's
# free-bits models the free bits it chose: both found again from the checkpoints' validation histories.
DIGITS = {"notebook 10 §3, trained on L_K for 200 epochs": {f"K = {K}": f"10_digits_k{K}_seed{{seed}}" for K in (1, 5, 50)},
          "notebook 11 §3, 200 epochs": {"Gaussian q": "11_digits_Gaussian_seed{seed}", "flow q": "11_digits_flow_seed{seed}"},
          "notebook 11 §4, 200 epochs": {"N(0, I)": "11_digits_Gaussian_seed{seed}",
                                          "mixture": "11_digits_mixture{components}_seed{seed}",
                                          "VampPrior": "11_digits_VampPrior{components}_seed{seed}"},
          "notebook 13 §2, 200 epochs on the ELBO": {"one level": "13_one_level_seed{seed}",
                                                     "two levels": "13_two_levels_seed{seed}"},
          "notebook 13 §2, 200 epochs with free bits": {
              "one level, free bits": "13_one_level_free_bits_{free_bits}_seed{seed}",
              "two levels, free bits": "13_two_levels_free_bits_{free_bits}_seed{seed}"}}
FREE_BITS = ("05", "10")   # notebook 13's candidates (0.5 and 1.0), by their checkpoint names
COMPONENTS = (10, 50, 300)  # notebook 11's candidates for C, tried on the VampPrior with seed 0
NOTEBOOK_10 = Path(__file__).resolve().parent.parent / "notebooks" / "10_strong_decoders_and_iwae.ipynb"  # its PixelVAE


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
            sys.exit(f"{error}\nRun notebooks 05 and 06 first (make notebooks, or open them in "
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

    pixel_comparison(device)
    digits_comparison(device)


def digits_comparison(device, seeds=(0, 1, 2)):
    "Notebooks 10 §3, 11 §3-4 and 13 §2: test log p(x) of the models trained on 8x8 digits, and paired differences from the control."
    x_test = digits_test_images(device)
    for title, models in DIGITS.items():
        if "free bits" in title:
            models = {label: name.replace("{free_bits}", chosen_free_bits(device, seeds)) for label, name in models.items()}
        if "11 §4" in title:
            components = chosen_components(device)
            models = {(f"{label}, C = {components}" if "{components}" in name else label):
                      name.replace("{components}", str(components)) for label, name in models.items()}
        values = {}
        for label, name in models.items():
            for seed in seeds:
                try:
                    model, _ = vae_lib.load_checkpoint(vae_lib.checkpoint_path(name.format(seed=seed)), device=device)
                except vae_lib.CheckpointError as error:
                    sys.exit(f"{error}\nRun notebooks 10 and 11 first: they train the digits models this part measures.")
                log_lik = vae_lib.log_likelihood(model, x_test, k=5000, generator=torch.Generator(device=device).manual_seed(0))
                values[label, seed] = log_lik.mean().item()
        print_paired(title, list(models), values, seeds, len(x_test), 5000)


def pixel_comparison(device, seeds=(0, 1, 2), k=5000):
    """Notebook 10 §2: test log p(x) of the VAEs with a PixelCNN decoder, its masks against the control with the
    masks emptied, for each path of the code, paired over seeds. The class lives in the notebook (README's tour of
    vae_lib says why), so it is built from the notebook's own code."""
    own = notebook_definitions(NOTEBOOK_10, ("MaskedConv2d", "PixelVAE", "pixel_log_likelihood"), device=device)
    x_test = digits_test_images(device)
    for path_label, z_path in (("z as a bias", "bias"), ("z per pixel", "pixel")):
        values, epochs = {}, set()
        for label, masks in (("masks emptied", "masks_emptied"), ("masks", "masks")):
            for seed in seeds:
                path = vae_lib.checkpoint_path(f"10_pixel_vae_{z_path}_{masks}_seed{seed}")
                try:
                    model, history = vae_lib.load_checkpoint(path, device=device, model=own["PixelVAE"](z_path))
                except vae_lib.CheckpointError as error:
                    sys.exit(f"{error}\nRun notebook 10 first: it trains the models this part measures.")
                values[label, seed] = own["pixel_log_likelihood"](model, x_test, k=k).mean().item()
                epochs.add(history["settings"]["epochs"])
        print_paired(f"notebook 10 §2, a PixelCNN decoder, {path_label}, {'/'.join(map(str, sorted(epochs)))} epochs",
                     ("masks emptied", "masks"), values, seeds, len(x_test), k)


def digits_test_images(device):
    "The 300 test digits, binarized once as notebooks 10, 11 and 13 binarize them (seed 1)."
    return vae_lib.binarize(vae_lib.load_digits(split="test", device=device)[0],
                            torch.Generator(device=device).manual_seed(1))


def notebook_definitions(notebook, names, **namespace):
    """{name: object} for the classes and functions ``names`` as a notebook's code cells define them: each
    definition is run alone, in a namespace holding the notebook's imports (torch, nn, F, math, vae_lib) and
    ``namespace``. A name the notebook no longer defines is an error that names it."""
    scope = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "math": math, "vae_lib": vae_lib, **namespace}
    for cell in json.loads(Path(notebook).read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a cell with IPython syntax (%, !): it defines nothing we read
            continue
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in names:
                exec(compile(ast.Module(body=[node], type_ignores=[]), str(notebook), "exec"), scope)
    missing = [name for name in names if name not in scope]
    if missing:
        raise LookupError(f"{Path(notebook).name} defines no {', '.join(missing)}: benchmarks/quality.py reads "
                          f"them from its code cells; update the names there")
    return {name: scope[name] for name in names}


def print_paired(title, labels, values, seeds, images, k):
    "Each label's mean test log p(x) over seeds, and its paired difference from the first label's (the control)."
    control = labels[0]
    print(f"\n8x8 digits ({title}), {images} test images, k = {k:,}")
    for label in labels:
        differences = torch.tensor([values[label, s] - values[control, s] for s in seeds])
        mean = sum(values[label, s] for s in seeds) / len(seeds)
        print(f"{label:>18}: log p(x) {mean:7.2f} (mean over seeds {', '.join(map(str, seeds))}); minus {control}'s: "
              f"{differences.mean():+.2f} ± {differences.std() / math.sqrt(len(seeds)):.2f}")


def final_validation(name, device, notebook):
    "The validation log p(x) at the last epoch of the run saved as `name`, from its checkpoint's history."
    try:
        return vae_lib.load_checkpoint(vae_lib.checkpoint_path(name), device=device)[1]["valid"][-1]
    except vae_lib.CheckpointError as error:
        sys.exit(f"{error}\nRun notebook {notebook} first: it trains the models this part measures.")


def chosen_free_bits(device, seeds):
    "The free bits notebook 13 chose: the candidate with the higher mean validation log p(x) at its last epoch."
    return max(FREE_BITS, key=lambda tag: sum(final_validation(f"13_two_levels_free_bits_{tag}_seed{seed}", device, 13)
                                              for seed in seeds))


def chosen_components(device, seed=0):
    "The C notebook 11 chose: the one whose VampPrior, trained with seed 0, has the higher validation log p(x)."
    return max(COMPONENTS, key=lambda c: final_validation(f"11_digits_VampPrior{c}_seed{seed}", device, 11))


if __name__ == "__main__":
    main()
