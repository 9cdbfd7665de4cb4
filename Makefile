# Task runner. `make lab` and `make test` are the README's two commands; both
# create .venv/ on first use, so they work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb)) notebooks/latent_explorer.ipynb

.PHONY: setup student-setup teacher-setup chromium lab workspace explorer book repository test test-one portability screenshots seeds repeat slow unit nbval notebooks assignments course quality conv-vs-mlp recipes benchmark clean

# Three sets of packages (pyproject.toml): a student's (.[lab]: vae_lib, JupyterLab, Voila), a teacher's
# (.[teacher]: adds nbgrader) and a maintainer's (.[dev]: adds the tests and the book). Each stamp is rebuilt
# whenever pyproject.toml changes.
define install
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[$(1)]'
	touch $@
endef
$(VENV)/.installed-lab: pyproject.toml
	$(call install,lab)
$(VENV)/.installed-teacher: pyproject.toml
	$(call install,teacher)
$(VENV)/.installed: pyproject.toml
	$(call install,dev)

student-setup: $(VENV)/.installed-lab
teacher-setup: $(VENV)/.installed-teacher
setup: $(VENV)/.installed

## Start the series: JupyterLab on your own copies of the notebooks, in my_notebooks/ (installs the student's set:
## no nbgrader, no test tools). Git ignores that folder, so running and saving never changes a tracked file.
lab: student-setup workspace
	@if $(BIN)/python -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('nbgrader') is None)"; then \
	  echo "note: this .venv also holds the teacher's or the maintainer's set (make course, make test), so JupyterLab"; \
	  echo "      shows nbgrader's tools; a student's clone, set up by make lab alone, has no nbgrader"; fi
	$(BIN)/jupyter lab $(WORKSPACE)/ $(if $(filter 0,$(shell id -u)),--allow-root)

## Your copies: each notebook and student version copied into $(WORKSPACE)/ once, never overwritten; a note names
## the ones the repository has changed since (a `git pull`): rename your copy to take the new one.
WORKSPACE ?= my_notebooks
workspace:
	@mkdir -p "$(WORKSPACE)/assignments"
	@for source in notebooks/[0-9][0-9]_*.ipynb notebooks/latent_explorer.ipynb notebooks/assignments/[0-9][0-9]_*.ipynb; do \
	  copy="$(WORKSPACE)/$${source#notebooks/}"; \
	  if [ ! -e "$$copy" ]; then cp "$$source" "$$copy"; \
	  elif [ "$$source" -nt "$$copy" ]; then echo "note: $$source has changed since you copied it to $$copy (to take it, rename your copy and run make lab again)"; fi; \
	done

## Debian's Chromium for tests/test_browser.py. Installed with apt when we may (root or sudo);
## otherwise a note, and the browser tests skip (unless VAE_REQUIRE_BROWSER=1, as in CI).
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; \
	elif ! command -v apt-get >/dev/null; then echo "note: no apt-get; browser tests need Chromium (set VAE_CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	else echo "note: no Chromium and no root: the browser tests will be skipped (sudo apt-get install chromium)"; fi

## The latent explorer as a standalone page (Voila, no code showing)
explorer: student-setup
	$(BIN)/voila notebooks/latent_explorer.ipynb

## The series as a static website, from the stored notebooks (nothing is executed): build/book/html/index.html.
## The student edition by default; `make book EDITION=teacher` (build/book-teacher/html) shows the solutions.
EDITION ?= student
book: setup
	$(BIN)/python book/build.py --edition "$(EDITION)"

## Point the launch buttons and every notebook's install cell at a fork: make repository URL=https://github.com/you/fork
repository:
	$(PYTHON) book/set_repository.py "$(URL)"

## Every test: vae_lib unit tests, every notebook under nbval (strict output comparison), then the browser tests.
## Two pytest-xdist workers, each running whole notebooks on its share of the cores (conftest.py); TEST_WORKERS=1
## runs everything in one process (tests/README.md, "Two workers").
TEST_WORKERS ?= 2
PARALLEL := $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS))
TEST_ARGS := notebooks tests --nbval -p no:cacheprovider --durations=25 $(PARALLEL)
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
	$(PORTABLE_ENV) $(BIN)/python -m pytest notebooks --nbval -p no:cacheprovider $(PARALLEL)

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

## Student versions of the exercise notebooks, generated by nbgrader into notebooks/assignments/: a scratch
## course in build/course with one assignment per notebook (notebooks/assignments/course.py)
EXERCISE_NOTEBOOKS = $(shell $(PYTHON) tests/series.py graded)
ASSIGNMENTS_OUT ?= notebooks/assignments
assignments: teacher-setup
	rm -rf build/course && mkdir -p $(ASSIGNMENTS_OUT)
	$(BIN)/python notebooks/assignments/course.py build/course
	cd build/course && for nb in $(EXERCISE_NOTEBOOKS); do \
	  PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/nbgrader generate_assignment $$nb --force --log-level=WARN || exit 1; \
	done
	cp build/course/release/*/*.ipynb $(ASSIGNMENTS_OUT)/

course-folder-missing:
	@echo "make course: say where the course goes, e.g. make course COURSE=~/vae-course"; exit 2

## A teacher's nbgrader course, one assignment per notebook: make course COURSE=~/vae-course EXCHANGE=/srv/nbgrader/exchange
course: $(if $(COURSE),teacher-setup,course-folder-missing)
	$(BIN)/python notebooks/assignments/course.py "$(COURSE)" $(if $(EXCHANGE),--exchange "$(EXCHANGE)")

## Test log-likelihood of notebooks 05 and 06 models on the whole test split, and of the digits comparisons of 10, 11 and 13 (README, Quality)
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
