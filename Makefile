# Every target sets up what it needs: a fresh clone runs `make demo` or `make test` and nothing else.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test demo lint typecheck docs format messages clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint,example,docs]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python scripts/run_tests.py --cov --cov-report=term

# ruff, mypy and the layers contract (pyproject.toml's [tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy django_workfront_oauth
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy django_workfront_oauth

# The Sphinx site, warnings as errors (the test suite builds it too: tests/test_docs.py).
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# The French catalogue: new strings into the .po (translate them there), then the .mo; needs GNU
# gettext (apt-get install gettext). tests/test_locale.py checks both without it.
messages: $(STAMP)
	cd django_workfront_oauth && ../$(BIN)/django-admin makemessages -l fr --no-obsolete \
		--add-location file --ignore 'testing/*' --ignore 'migrations/*'
	$(BIN)/python scripts/clear_fuzzy_po.py django_workfront_oauth/locale/*/LC_MESSAGES/django.po
	cd django_workfront_oauth && ../$(BIN)/django-admin compilemessages

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: $(STAMP)
	$(BIN)/python example_project/demo.py

clean:
	rm -rf $(VENV) build dist docs/_build *.egg-info .coverage htmlcov .pytest_cache .mypy_cache .ruff_cache
