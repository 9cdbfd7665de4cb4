# Task runner. `make lab` and `make test` are the README's two commands; both
# create .venv/ on first use, so they work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb)) notebooks/latent_explorer.ipynb

.PHONY: setup chromium lab explorer book test test-one portability screenshots seeds repeat slow unit nbval notebooks assignments quality conv-vs-mlp recipes benchmark clean

# The stamp is rebuilt whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@

setup: $(VENV)/.installed

## Start the series: JupyterLab on notebooks/
lab: setup
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

## Debian's Chromium for tests/test_browser.py. Installed with apt when we may (root or sudo);
## otherwise a note, and the browser tests skip (unless VAE_REQUIRE_BROWSER=1, as in CI).
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; \
	elif ! command -v apt-get >/dev/null; then echo "note: no apt-get; browser tests need Chromium (set VAE_CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else echo "note: no Chromium and no root: the browser tests will be skipped (sudo apt-get install chromium)"; fi

## The latent explorer as a standalone page (Voila, no code showing)
explorer: setup
	$(BIN)/voila notebooks/latent_explorer.ipynb

## The series as a static website, from the stored notebooks (nothing is executed): build/book/html/index.html
book: setup
	$(BIN)/python book/build.py

## Every test: vae_lib unit tests, every notebook under nbval (strict output comparison), then the browser tests
TEST_ARGS := notebooks tests --nbval -p no:cacheprovider --durations=25
test: setup chromium
	$(BIN)/python -m pytest $(TEST_ARGS)

## One notebook, as `make test` checks it: strict nbval, its graded round trip (every catalogued wrong solution),
## and the unit tests marked for it. It trains only what that notebook needs (its models and those it loads).
## Usage: make test-one NB=11   (a number, or a name such as 11_flows_and_learned_priors)
test-one: setup chromium
	@stem="$$($(PYTHON) tests/series.py resolve "$(NB)")" || exit 2; \
	echo "$(BIN)/python -m pytest notebooks/$$stem.ipynb tests --notebook=$$stem --nbval -p no:cacheprovider --durations=10"; \
	$(BIN)/python -m pytest notebooks/$$stem.ipynb tests --notebook=$$stem --nbval -p no:cacheprovider --durations=10

## Every notebook under strict nbval again, with other floating-point kernels: one thread and ATen's portable
## (non-vectorized) kernels, as on a machine unlike ours. After `make test` it loads the models that run saved.
PORTABLE_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default
portability: setup
	$(PORTABLE_ENV) $(BIN)/python -m pytest notebooks --nbval -p no:cacheprovider

## The README's screenshots (figures/latent_sliders.png, figures/digit_style_explorer.png, figures/book_04_vae.png), taken by the browser
## tests; a plain `make test` writes them to build/figures/ instead, so tests never change a tracked file
screenshots: setup chromium
	VAE_FIGURES_DIR=$(CURDIR)/figures VAE_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/test_browser.py tests/test_book.py -p no:cacheprovider

## The seed-to-seed spread behind the notebooks' tolerances: the training notebooks with seeds 0, 1 and 2, each in a
## fresh checkpoint folder; stores what they measured in benchmarks/seed_runs.json, which the notebooks print (tests/README.md)
seeds: setup
	$(BIN)/python tests/seed_spread.py --seeds 0 1 2

## The flakiness check: the whole of `make test` 3 times in a row, with identical outcomes (tests/README.md)
repeat: setup chromium
	$(BIN)/python tests/repeat_runs.py --runs 3 -- $(TEST_ARGS)

## The slow checks left out of `make test` (the learning-rate sweep)
slow: setup
	$(BIN)/python -m pytest tests -m slow -v -s -p no:cacheprovider

unit: setup
	$(BIN)/python -m pytest tests -p no:cacheprovider

nbval: setup
	$(BIN)/python -m pytest notebooks --nbval -p no:cacheprovider

## Execute every notebook in order, rewriting stored outputs and recording the figures in figures/
## (a run in the lab saves them to the git-ignored build/figures/)
notebooks: setup
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  VAE_FIGURES_DIR=$(CURDIR)/figures $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; \
	  $(BIN)/jupyter nbconvert --to notebook --inplace --log-level=WARN \
	    --CoalesceStreamsPreprocessor.enabled=True "$$nb" || exit 1; \
	done

## Student versions of the exercise notebooks, generated by nbgrader into notebooks/assignments/
## (the notebooks with a graded exercise, read off their nbgrader metadata by tests/series.py)
EXERCISE_NOTEBOOKS = $(shell $(PYTHON) tests/series.py graded)
ASSIGNMENTS_OUT ?= notebooks/assignments
assignments: setup
	rm -rf build/course && mkdir -p build/course/source/vae $(ASSIGNMENTS_OUT)
	cp notebooks/assignments/nbgrader_config.py build/course/
	cp $(EXERCISE_NOTEBOOKS:%=notebooks/%.ipynb) build/course/source/vae/
	cd build/course && PATH="$(abspath $(BIN)):$$PATH" nbgrader generate_assignment vae --force --log-level=WARN
	cp build/course/release/vae/*.ipynb $(ASSIGNMENTS_OUT)/

## Test log-likelihood of notebooks 05 and 06 models on the whole test split (README, Quality)
quality: setup
	$(BIN)/python benchmarks/quality.py

## Notebook 08's ConvVAE against the MLP VAE: equal steps, equal time, test log p(x) (benchmarks/conv_vs_mlp.json)
conv-vs-mlp: setup
	$(BIN)/python benchmarks/conv_vs_mlp.py

## The search on the validation split that chose notebooks 05 and 06's recipes (benchmarks/recipe_search.json)
recipes: setup
	$(BIN)/python benchmarks/recipe_search.py

## Training speed against the usual loops, and each notebook's time and memory (benchmarks/README.md)
benchmark: setup
	$(BIN)/python benchmarks/training_speed.py

clean:
	rm -rf $(VENV) .pytest_cache
