#!/usr/bin/env bash
# The size of each set of packages (README, "Installing"): each installed alone into a fresh virtual environment.
#   bash benchmarks/install_sizes.sh     (downloads PyTorch four times unless pip's cache has it)
set -uo pipefail
cd "$(dirname "$0")/.."
for extra in "" lab teacher dev; do
  venv="$(mktemp -d)/venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet ".${extra:+[$extra]}" > /dev/null 2>&1 || { echo "${extra:-library}: install failed"; continue; }
  site="$(echo "$venv"/lib/python3*/site-packages)"
  echo "${extra:-library}: $(du -sm "$venv" | cut -f1) MiB, $("$venv/bin/pip" list 2>/dev/null | tail -n +3 | wc -l) packages;" \
       "torch $(du -sm "$site/torch" | cut -f1), nvidia $(du -sm "$site/nvidia" 2>/dev/null | cut -f1), triton $(du -sm "$site/triton" 2>/dev/null | cut -f1) MiB"
  rm -rf "$(dirname "$venv")"
done
