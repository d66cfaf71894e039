# The two commands of the README: `make demo` and `make test`.
# Each creates .venv on first use and installs what it needs into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-deep lint format bench derivations docs serve-docs check-site system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "funcnet needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned to 2.13.0 in the test extra: it is only a reference oracle.
	$(BIN)/python -m pip install --quiet -e '.[test,examples,docs]'
	touch $(STAMP)

# Debian's packages beside Python: Node.js renders the site's formulas with KaTeX at
# build time, chromium drives the browser check, and a CJK font lets its screenshots
# show the Chinese pages. Installed when missing (as root).
system-deps:
	@packages=""; \
	command -v node >/dev/null || packages="$$packages nodejs"; \
	command -v npm >/dev/null || packages="$$packages npm"; \
	command -v chromium >/dev/null || packages="$$packages chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || packages="$$packages fonts-wqy-microhei"; \
	if [ -n "$$packages" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages; install them: sudo apt-get install$$packages"; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$packages; \
	fi

# KaTeX itself, the version locked in docsite/package-lock.json.
KATEX := docsite/node_modules/katex/package.json

$(KATEX): docsite/package.json docsite/package-lock.json | system-deps
	npm ci --prefix docsite --no-audit --no-fund --loglevel=error
	touch $(KATEX)

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "funcnet needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(BIN)/funcnet demo

test: $(STAMP) $(KATEX)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 -q

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks

# The Hypothesis suites with many fresh examples (a nightly-style run).
test-deep: $(STAMP) $(KATEX)
	FUNCNET_HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -n 2 -q

derivations: $(STAMP)
	$(BIN)/python -m derivations

docs: $(STAMP) $(KATEX)
	$(BIN)/mkdocs build --strict --site-dir site

# Preview the site on http://127.0.0.1:8000 while editing.
serve-docs: $(STAMP) $(KATEX)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# The built site in a real browser (Debian's chromium), every page, both languages.
check-site: docs
	$(BIN)/python -m docsite.check site --screenshots ci-artifacts/screenshots --report ci-artifacts/site-check.json

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) docsite/node_modules .pytest_cache .ruff_cache .hypothesis build *.egg-info
