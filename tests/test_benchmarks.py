"""The benchmark scripts still run on a tiny budget, and what they print or store is consistent: each ratio is the
quotient of the rates it names, and an equal-time run stops at its time. The speeds themselves are measured by
`make benchmark` (benchmarks/README.md), not asserted here: 0.2 s per loop is too short to compare loops."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import vae_lib

ROOT = Path(__file__).resolve().parent.parent


def test_training_speed_prints_every_loop_and_ratio():
    result = subprocess.run([sys.executable, "benchmarks/training_speed.py", "--seconds", "0.2", "--no-notebooks"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = dict(re.findall(r"^(\S.*?)\s{2,}([\d,.]+)$", result.stdout, re.M))
    value = {label: float(number.replace(",", "")) for label, number in rows.items()}
    for label in ("fit, 784-400-20", "DataLoader loop, 784-400-20", "bare step, 784-400-20",
                  "blog post loop (784-128-2, batch 8)", "fit / bare step (target >= 0.90)"):
        assert value.get(label, 0) > 0, f"missing row {label!r}:\n{result.stdout}"
    for ratio, top, bottom in (("fit / DataLoader loop (target >= 1.8)", "fit, 784-400-20", "DataLoader loop, 784-400-20"),
                               ("fit / bare step (target >= 0.90)", "fit, 784-400-20", "bare step, 784-400-20"),
                               ("fit 2-D / blog post loop", "fit, 2-D VAE (512-256, SiLU)",
                                "blog post loop (784-128-2, batch 8)")):
        assert abs(value[ratio] - value[top] / value[bottom]) <= 0.006 + 0.001 * value[ratio], (ratio, result.stdout)


def test_notebook_timing_reports_time_and_memory():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from training_speed import run_notebook
    seconds, peak_mib = run_notebook(ROOT / "notebooks" / "00_setup_check.ipynb")
    assert 0 < seconds < 120 and peak_mib > 50


def test_conv_vs_mlp_writes_its_three_rows(tmp_path):
    out = tmp_path / "conv_vs_mlp.json"
    result = subprocess.run([sys.executable, "benchmarks/conv_vs_mlp.py", "--steps", "20", "--k", "2", "--images", "20",
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    stored = json.loads(out.read_text())
    assert [r["model"] for r in stored["rows"]] == ["MLP VAE, equal steps", "ConvVAE, equal steps",
                                                      "ConvVAE, equal time"]
    mlp, conv, conv_time = stored["rows"]
    assert mlp["steps"] == conv["steps"] == 20 and stored["test_images"] == 20
    assert conv_time["steps"] <= 20 and conv_time["train_seconds"] < mlp["train_seconds"] + 1.0  # stops one step late at most
    assert all(r["test_log_px"] < 0 and r["test_log_px"] >= r["test_elbo"] - 50 for r in stored["rows"])


@pytest.mark.notebooks("10")
def test_quality_builds_notebook_10s_pixel_vae_from_the_notebook_and_loads_its_checkpoints(tmp_path):
    """make quality measures notebook 10 §2's PixelVAEs with the notebook's own class and estimator (one copy of
    each, in the notebook): the definitions are found, a saved model loads back into one built from them and gets
    the same log p(x) estimates, and a name the notebook does not define is an error that names it."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import quality
    own = quality.notebook_definitions(quality.NOTEBOOK_10, ("MaskedConv2d", "PixelVAE", "pixel_log_likelihood"),
                                       device="cpu")
    torch.manual_seed(0)
    trained = own["PixelVAE"]("pixel")

    def train(model, epochs):
        return {"epochs": epochs}

    vae_lib.load_or_train(trained, tmp_path / "pixel.pt", train, epochs=1)
    loaded, history = vae_lib.load_checkpoint(tmp_path / "pixel.pt", model=own["PixelVAE"]("pixel"))
    x = torch.bernoulli(torch.full((5, 64), 0.3), generator=torch.Generator().manual_seed(1))
    first, again = (own["pixel_log_likelihood"](model, x, k=3) for model in (trained.eval(), loaded))
    assert history["epochs"] == 1 and first.shape == (5,) and (first < 0).all() and torch.equal(first, again)
    with pytest.raises(LookupError, match="defines no NotThere"):
        quality.notebook_definitions(quality.NOTEBOOK_10, ("PixelVAE", "NotThere"))
