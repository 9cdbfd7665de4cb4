# Task runner. `make lab` and `make test` are the README's two commands; both
# create .venv/ on first use, so they work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: setup lab test unit nbval notebooks quality benchmark clean

# The stamp is rebuilt whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@

setup: $(VENV)/.installed

## Start the series: JupyterLab on notebooks/
lab: setup
	$(BIN)/jupyter lab notebooks/

## Every test: vae_lib unit tests, then every notebook under nbval (strict output comparison)
test: setup
	$(BIN)/python -m pytest tests notebooks $(NBVAL) --ignore=notebooks/assignments -p no:cacheprovider

unit: setup
	$(BIN)/python -m pytest tests -p no:cacheprovider

nbval: setup
	$(BIN)/python -m pytest notebooks $(NBVAL) --ignore=notebooks/assignments -p no:cacheprovider

## Execute every notebook in order, rewriting stored outputs and figures/
notebooks: setup
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	  $(BIN)/jupyter nbconvert --to notebook --inplace --log-level=WARN \
	    --CoalesceStreamsPreprocessor.enabled=True "$$nb" || exit 1; \
	done

## Test log-likelihood of notebook 05's models on the whole test split (README, Quality)
quality: setup
	$(BIN)/python benchmarks/quality.py

## Training speed against the usual loops, and each notebook's time and memory (benchmarks/README.md)
benchmark: setup
	$(BIN)/python benchmarks/training_speed.py

clean:
	rm -rf $(VENV) .pytest_cache
