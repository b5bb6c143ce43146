# plaso-netsupport: `make demo` and `make test` do all set-up on Debian.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the image forge (mkntfs, libntfs-3g, ewfacquire, faketime)
# venv support, and headless Chromium to check the HTML report as rendered.
DEBIAN_PACKAGES := ntfs-3g ewf-tools faketime python3-venv chromium fonts-dejavu-core
# The OpenRelik worker's tests run a local Redis, OpenRelik's Celery broker.
DEBIAN_PACKAGES += redis-server
DEMO_DIR ?= $(CURDIR)/.demo
DEMO_IMAGE ?= test_data/images/rat_drop.E01

.PHONY: all demo test bench fuzz eval install system-deps test-data clean

all: test

system-deps:
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: not Debian; install$$missing yourself (the forge tests skip without them)"; \
	  fi; \
	fi

$(PY): | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel

install: system-deps $(PY)
	@# A stale build/ directory would ship files deleted from the tree.
	rm -rf build
	$(PY) -m pip install -q ".[test]"
	@# The OpenRelik worker needs Python 3.11+ (openrelik-worker-common does);
	@# its tests skip on older Pythons.
	@if $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	  rm -rf openrelik-worker-netsupport/build && \
	  $(PY) -m pip install -q ./openrelik-worker-netsupport; \
	else echo "Python < 3.11: OpenRelik worker not installed"; fi
	@$(MAKE) --no-print-directory test-data

# Real PE files for the pe_version_info tests: Debian's shim-signed
# (shimx64.efi.signed, signed by Microsoft) is downloaded with apt-get download
# and unpacked with dpkg-deb -x (never installed) into the git-ignored
# test_data/cache, once. tests/real_pe.py does the work.
test-data: $(PY)
	@$(PY) -m tests.real_pe >/dev/null || { \
	  if command -v apt-get >/dev/null; then \
	    $(SUDO) apt-get update -qq && $(PY) -m tests.real_pe >/dev/null; \
	  else false; fi; }

test: install
	$(BIN)/pytest -q -n 2 --dist loadfile

fuzz: install
	PLASO_NETSUPPORT_FUZZ_EXAMPLES=100000 $(BIN)/pytest -q tests/test_fuzz.py

# Detection quality over every forge scenario (real log2timeline + psort):
# per-scenario recall, false tags, verdict confusion matrix; exit 1 on any
# failed check (tests/eval.py).
eval: install
	PYTHONPATH=$(CURDIR) $(PY) -m tests.eval -v

bench: install
	$(PY) benchmarks/run.py
	$(PY) benchmarks/fast_triage.py --work-directory .bench-fast
	$(PY) benchmarks/sigma_bench.py --large-copies 10

demo: install
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@echo "== log2timeline $(DEMO_IMAGE)  (log: $(DEMO_DIR)/log2timeline.log)"
	@$(BIN)/log2timeline --status_view none --quiet --storage_file $(DEMO_DIR)/case.plaso \
	  $(DEMO_IMAGE) > $(DEMO_DIR)/log2timeline.log
	@echo "== psort --analysis netsupport  (log: $(DEMO_DIR)/psort.log)"
	@$(BIN)/psort --status_view none --analysis netsupport -o null $(DEMO_DIR)/case.plaso \
	  > $(DEMO_DIR)/psort.log
	@echo "== NetSupport timeline: time, evidence id, installation, source: description;"
	@echo "   summary; labels (one line per event; a record's equal times share a line)"
	@$(BIN)/plaso-netsupport timeline $(DEMO_DIR)/case.plaso --skip_analysis
	@echo "== Report"
	@$(BIN)/plaso-netsupport report $(DEMO_DIR)/case.plaso
	@$(BIN)/plaso-netsupport report $(DEMO_DIR)/case.plaso -o $(DEMO_DIR)/report.html
	@echo "== CSV and JSONL timelines, HTML report: $(DEMO_DIR)/"
	@$(BIN)/plaso-netsupport timeline $(DEMO_DIR)/case.plaso --skip_analysis \
	  -o $(DEMO_DIR)/netsupport.csv > /dev/null
	@$(BIN)/plaso-netsupport timeline $(DEMO_DIR)/case.plaso --skip_analysis \
	  -o $(DEMO_DIR)/netsupport.jsonl > /dev/null

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info test_data/cache
	rm -rf $(VENV) $(DEMO_DIR) .bench-fast build *.egg-info
