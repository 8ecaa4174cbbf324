# The two commands of the course (each creates .venv from the pinned binder/requirements.txt when missing):
#   make lab    install and open the course in JupyterLab
#   make test   install and run the whole test suite (unit tests + every notebook under nbval)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.medtutor-installed
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root,)
RUFF_PATHS = medtutor tests benchmarks binder notebooks conftest.py

.PHONY: lab lab-solutions test install unit lint format floors lock lock-check site slides colab-cell freeze clean benchmark student browser

$(STAMP): binder/requirements.txt pyproject.toml binder/overrides.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r binder/requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp binder/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

install: $(STAMP)

# JupyterLab with the repository root as its root (glossary, dataset cards and instructors/ are browsable),
# opening on notebook 00, with the course's JupyterLab settings (binder/overrides.json: no news pop-up).
# Students work in my-notebooks/: the student build (no solutions), untracked by git, created on first use and
# never overwritten (new course notebooks are added). `make lab-solutions` opens notebooks/ with the solutions.
lab: install
	$(BIN)/medtutor student notebooks -o my-notebooks --keep-existing
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=$(CURDIR) my-notebooks/00_welcome.ipynb

lab-solutions: install
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=$(CURDIR) notebooks/00_welcome.ipynb

lint: install
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/ruff format --check $(RUFF_PATHS)
	$(BIN)/python -m medtutor course sync --check

format: install
	$(BIN)/ruff format $(RUFF_PATHS)
	$(BIN)/ruff check --fix $(RUFF_PATHS)

# Everything, slow tests included; a line per notebook as it finishes, and the total time.
# The nbval run saves each executed notebook in build/executed (conftest.py); the figure render test then
# checks those copies (alt text, matplotlib warnings) without executing any notebook a second time; it runs
# even when the first run failed (a notebook that failed under nbval is skipped there), so one CI run shows both.
EXECUTED = build/executed
test: install lint
	rm -rf $(EXECUTED)
	MEDTUTOR_STRICT_EXERCISES=1 MEDTUTOR_EXECUTED_DIR= MEDTUTOR_SAVE_EXECUTED=$(EXECUTED) $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --nbval-cell-timeout=600 -q; \
	status=$$?; MEDTUTOR_EXECUTED_DIR=$(EXECUTED) $(BIN)/python -m pytest -n 2 -q tests/test_figures_render.py && exit $$status

# The fast loop: unit tests without the slow ones (model training, site rendering, browser, network).
unit: install
	$(BIN)/python -m pytest -n 2 --dist loadfile tests -q -m "not slow"

# The figures the last test run logged (MEDTUTOR_RESULTS) against benchmarks/expected.json.
floors: install
	$(BIN)/python benchmarks/check_floors.py

# The universal lock: binder/requirements.txt for every platform and Python 3.10-3.13 (needs PyPI).
lock: install
	$(BIN)/python binder/lock.py compile

lock-check: install
	$(BIN)/python binder/lock.py check

benchmark: install
	$(BIN)/python benchmarks/run_notebooks.py

student: install
	$(BIN)/medtutor student notebooks -o build/student

slides: install
	$(BIN)/medtutor course slides -o build/slides

# The course site: executes every notebook on the data of MEDTUTOR_DATA_DIR (about 15 min on one core),
# then renders HTML with outputs, widget state and navigation into build/site (a release step, see CONTRIBUTING).
site: install
	$(BIN)/medtutor course site -o build/site

# Insert/update the Colab install cell in every course notebook (idempotent).
colab-cell: install
	$(BIN)/medtutor course colab-cell --write

# The real-browser smoke test alone (JupyterLab + headless Chromium; skips when no browser is installed).
browser: install
	$(BIN)/python -m pytest tests/test_browser.py -q -rs

freeze:
	@echo "binder/requirements.txt is a universal lock now: change pyproject.toml or binder/constraints.txt, then make lock"

clean:
	rm -rf build .pytest_cache
