#!/usr/bin/env bash
# How long nbgrader's autograde takes for one submission of each assignment (README, "For teachers").
# The submission is the teacher's solved notebook. Two cases per assignment: "models there" (VAE_CHECKPOINT_DIR
# holds every model the notebook trains or loads, from `make test`'s cache) and "none yet" (an empty folder, so
# the submission trains them, and the earlier notebooks' models first). Run it with nothing else running:
#   VAE_DATA_DIR=/path/to/mnist bash benchmarks/autograde_times.sh [assignment ...] > times.txt
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export PATH="$ROOT/.venv/bin:$PATH"
work="$(mktemp -d)"
python notebooks/assignments/course.py "$work/course" > /dev/null
models="$(python -c "import sys; sys.path.insert(0, 'tests'); import series; print(series.union_cache(series.notebook_stems()))")"
cd "$work/course"
# Arguments: the assignments to time (stems, e.g. 12_discrete_latents); none: every graded notebook.
for nb in ${@:-$(python "$ROOT/tests/series.py" graded)}; do
  nbgrader generate_assignment "$nb" --force --log-level=WARN
  for case in there none; do
    rm -rf submitted autograded && mkdir -p "submitted/$case/$nb" && cp "$ROOT/notebooks/$nb.ipynb" "submitted/$case/$nb/"
    folder="$models"; [ "$case" = none ] && folder="$work/empty-$nb" && mkdir -p "$folder"
    start=$(date +%s.%N)
    VAE_CHECKPOINT_DIR="$folder" VAE_FIGURES_DIR="$work/figures" nbgrader autograde "$nb" --force --log-level=ERROR 2> /dev/null
    end=$(date +%s.%N)
    score=$(python -c "from nbgrader.api import Gradebook
with Gradebook('sqlite:///gradebook.db') as g: s = g.find_submission('$nb', '$case'); print(s.score, '/', s.max_score)")
    echo "$nb models-$case $(python -c "print(round($end - $start, 1))") s, score $score"
  done
done
rm -rf "$work"
