# The two commands of the course (each creates .venv from the pinned binder/requirements.txt when missing):
#   make lab    install and open the course in JupyterLab
#   make test   install and run the whole test suite (unit tests + every notebook under nbval)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.medtutor-installed
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test install unit lint benchmark student site slides freeze clean

$(STAMP): binder/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r binder/requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_welcome.ipynb

lint: install
	$(BIN)/ruff check medtutor tests benchmarks

test: install lint
	MEDTUTOR_STRICT_EXERCISES=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --nbval-cell-timeout=600 -q

unit: install
	$(BIN)/python -m pytest -n 2 --dist loadfile tests -q

benchmark: install
	$(BIN)/python benchmarks/run_notebooks.py

student: install
	$(BIN)/medtutor student notebooks -o build/student

slides: install
	$(BIN)/python -m medtutor.course slides -o build/slides

site: install
	$(BIN)/python -m medtutor.course site -o build/site

freeze:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^medtutor' > binder/requirements.txt.new
	@echo "wrote binder/requirements.txt.new: review, keep the header comment, then replace binder/requirements.txt"

clean:
	rm -rf build .pytest_cache
