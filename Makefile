# Quick start: `make demo` (main example) and `make test` (all tests).
# Both create .venv, install Python deps and build the extension on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deps-installed

.PHONY: demo test build dev bench rust-test py-test kernels kernels-check clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.7,<2" "numpy>=1.22" "pytest>=7" "scikit-learn>=1.3"
	touch $(STAMP)

# Release build of the extension, installed editable into the venv.
build: $(STAMP)
	. $(VENV)/bin/activate && maturin develop --release -q

# Faster debug-profile build for iteration (kernels still optimised, see Cargo.toml).
dev: $(STAMP)
	. $(VENV)/bin/activate && maturin develop -q

demo: build
	$(PY) examples/demo.py

rust-test:
	cargo test -p ferrotorch-core

py-test: build
	$(PY) -m pytest -q tests

# CUDA kernels: kernels/*.cu -> committed kernels/ptx/*.ptx. The script installs its
# pinned compiler (NVRTC + ptxas, no GPU needed) into .kernels-venv on first use.
kernels:
	python3 scripts/build_kernels.py

# Fails if the committed PTX is stale, missing or extra (run `make kernels` and commit).
kernels-check:
	python3 scripts/build_kernels.py --check

test: kernels-check rust-test py-test

bench: build
	$(PY) benches/run_all.py

clean:
	rm -rf $(VENV) .kernels-venv target
