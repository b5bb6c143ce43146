# plaso-netsupport: `make demo` and `make test` do all set-up on Debian.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the image forge (mkntfs, libntfs-3g, ewfacquire, faketime)
# venv support, and headless Chromium to check the HTML report as rendered.
DEBIAN_PACKAGES := ntfs-3g ewf-tools faketime python3-venv chromium fonts-dejavu-core
DEMO_DIR ?= $(CURDIR)/.demo
DEMO_IMAGE ?= test_data/images/rat_drop.E01

.PHONY: all demo test bench fuzz install system-deps clean

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

test: install
	$(BIN)/pytest -q

fuzz: install
	PLASO_NETSUPPORT_FUZZ_EXAMPLES=100000 $(BIN)/pytest -q tests/test_fuzz.py

bench: install
	$(PY) benchmarks/run.py
	$(PY) benchmarks/sigma_bench.py --large-copies 10

demo: install
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@echo "== log2timeline $(DEMO_IMAGE)"
	$(BIN)/log2timeline --status_view none --quiet --storage_file $(DEMO_DIR)/case.plaso $(DEMO_IMAGE)
	@echo "== psort --analysis netsupport"
	$(BIN)/psort --status_view none --analysis netsupport -o null $(DEMO_DIR)/case.plaso
	@echo "== NetSupport timeline (events tagged netsupport)"
	$(BIN)/psort --status_view none -o dynamic --fields datetime,timestamp_desc,source,tag,message \
	  -w $(DEMO_DIR)/netsupport.csv $(DEMO_DIR)/case.plaso "tag contains 'netsupport'"
	@cat $(DEMO_DIR)/netsupport.csv
	@echo "== Report"
	@$(PY) -m plaso_netsupport.show_report $(DEMO_DIR)/case.plaso

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
