# Tierline — two commands for a newcomer:
#   make run    start the app on the embedded demo data (http://127.0.0.1:8501)
#   make test   run every test (installs the test stack, Debian's chromium and poppler-utils if missing)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/tierline.duckdb
PORT   ?= 8501

.PHONY: run test test-slow lint demo bench clean-db chromium poppler

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(DB): | $(VENV)/.runtime
	@echo "Building the demo store $(DB) (about a minute)…"
	rm -f $(DB).build $(DB).build.wal
	$(PY) cli.py --db $(DB).build demo
	mv $(DB).build $(DB)

run: $(VENV)/.runtime $(DB)
	@$(PY) cli.py init-secrets
	@echo ""
	@echo "  Tierline is starting on http://127.0.0.1:$(PORT)"
	@echo "  Demo sign-ins (password for all: tierline-demo):"
	@$(PY) cli.py --db $(DB) users
	@echo ""
	TIERLINE_DB=$(DB) $(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

poppler:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "Installing poppler-utils for the invoice PDF tests…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }

lint: $(VENV)/.dev
	$(PY) -m ruff check .

# Two workers, one test file each at a time (module fixtures such as the demo stores are built
# once per worker): about 9 minutes on the 2-core machine, where one worker takes over 20.
test: $(VENV)/.dev chromium poppler lint
	$(PY) -m pytest -n 2 --dist loadfile

# The larger property test (300 random channels against the reference engine), outside `make test`.
test-slow: $(VENV)/.dev
	$(PY) -m pytest -m slow

demo: $(VENV)/.runtime
	rm -f $(DB) $(DB).wal
	$(MAKE) $(DB)

bench: $(VENV)/.dev
	$(PY) bench/ingest.py
	$(PY) bench/billing.py
	$(PY) bench/baselines.py --shape resource --rows 10000000 --repeat 3
	$(PY) bench/baselines.py --shape scattered --rows 10000000 --repeat 3
	$(PY) bench/portal.py --rows 10000000 --samples 30
	$(PY) bench/load.py --rows 10000000 --sessions 20 --loads 5
