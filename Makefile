# Two commands: `make demo` and `make test`. Both install what is missing first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.secaudit-installed

.PHONY: demo test bench sysdeps venv clean

sysdeps:
	@./scripts/ensure-sysdeps.sh

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip >/dev/null
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: sysdeps $(STAMP)

test: venv
	$(PY) -m pytest

demo: venv
	@$(PY) -m secaudit demo

bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache build *.egg-info
