"""The flakiness check: run the full test command several times in a row and compare the outcomes.

    make repeat            # = python tests/repeat_runs.py --runs 3 -- <the arguments of `make test`>

Every run must pass, and every test (each nbval cell included) must have the same
outcome in every run. nbval compares each cell's fresh outputs with the stored
ones, so passing runs also mean identical notebook outputs.
"""

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path


def outcomes(junit_xml):
    """{test id: outcome} from a pytest --junitxml report."""
    result = {}
    for case in ElementTree.parse(junit_xml).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        result[f"{case.get('classname')}::{case.get('name')}"] = kinds[0] if kinds else "passed"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest, after --")
    args = parser.parse_args()
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.runs + 1):
            report = Path(tmp) / f"run{run}.xml"
            start = time.perf_counter()
            code = subprocess.call([sys.executable, "-m", "pytest", *args.pytest_args, f"--junitxml={report}"])
            reports.append(outcomes(report) if report.exists() else {})
            counts = {kind: list(reports[-1].values()).count(kind) for kind in sorted(set(reports[-1].values()))}
            print(f"run {run}: exit {code}, {counts}, {time.perf_counter() - start:.0f} s", flush=True)
            if code != 0:
                sys.exit(f"run {run} failed: the suite is not green, so it cannot be called stable")
    first = reports[0]
    for run, report in enumerate(reports[1:], start=2):
        changed = sorted(k for k in first.keys() | report.keys() if first.get(k) != report.get(k))
        if changed:
            sys.exit(f"run {run} differs from run 1 in {len(changed)} test(s): {changed[:10]}")
    print(f"{args.runs} runs, {len(first)} tests each, identical outcomes")


if __name__ == "__main__":
    main()
