"""Smoke tests: the benchmark scripts still run (on a tiny budget). They measure nothing here."""

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
