"""Smoke tests: the benchmark scripts still run (on a tiny budget). They measure nothing here."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_training_speed_prints_every_loop_and_ratio():
    result = subprocess.run([sys.executable, "benchmarks/training_speed.py", "--seconds", "0.2", "--no-notebooks"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for label in ("fit, 784-400-20", "DataLoader loop", "bare step", "blog post loop", "fit / bare step"):
        assert re.search(re.escape(label) + r".*\d", result.stdout), f"missing row {label!r}:\n{result.stdout}"


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
