#!/usr/bin/env bash
# GPU check: run from the repo root on a machine with an NVIDIA GPU (no cargo, no internet needed):
#
#   bash scripts/gpu-check.sh
#
# Needs target/wheels/ferrotorch-*.whl (`maturin build --release`) and, if that machine's Python
# lacks numpy or pytest, their wheels beside it (scripts/fetch_gpu_wheels.sh). Installs the wheel
# into a fresh temporary directory put first on sys.path (so the source tree's python/, which has
# no CUDA-built _C, is never imported), runs the CUDA test cases (pytest -m cuda) and the GPU
# benchmarks side by side with the PyTorch installed there, and writes gpu-check.log, pytest.log,
# junit.xml, bench.log, bench.json and summary.json to $OUT, or ./gpu-check-out when OUT is unset.
# Exits non-zero when the wheel cannot be imported, ferrotorch sees no GPU, a test fails or a
# benchmark breaks; the summary is written in every case. Takes well under 8 minutes (timeouts).
set -uo pipefail # no -e: every step runs, so the summary is always written

cd "$(dirname "$0")/.." || exit 1
OUT_DIR=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT_DIR"
PY=${PYTHON:-python3}
SITE=$(mktemp -d "${TMPDIR:-/tmp}/ferrotorch-site.XXXXXX")
trap 'rm -rf "$SITE"' EXIT
LOG=$OUT_DIR/gpu-check.log
: >"$LOG"
PROBLEMS=()
READY=1 # the wheel imports and sees a GPU: worth running tests and benchmarks

say() { echo "== $*" | tee -a "$LOG"; }
problem() {
    echo "gpu-check: FAILED: $*" | tee -a "$LOG" >&2
    PROBLEMS+=("$*")
}

say "machine"
{
    nvidia-smi || echo "nvidia-smi: not available"
    "$PY" -VV
    "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' ||
        echo "torch: not importable (benchmarks will time ferrotorch alone)"
    ldconfig -p 2>/dev/null | grep -E 'lib(cuda|cublas|cublasLt|nvrtc|curand)\.so' || echo "ldconfig lists no CUDA libraries"
} 2>&1 | tee -a "$LOG"

# ferrotorch loads the CUDA libraries at run time; if the loader cannot find cuBLAS, offer the
# toolkit's folders and those of the pip nvidia-* packages (which PyTorch's wheels use).
if ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so'; then
    extra=$("$PY" -c '
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
dirs = glob.glob("/usr/local/cuda*/lib64") + [d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "**", "lib"), recursive=True)]
print(":".join(sorted(set(dirs))))')
    if [ -n "$extra" ]; then
        export LD_LIBRARY_PATH=$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        say "cuBLAS not in the loader cache; LD_LIBRARY_PATH gains $extra"
    fi
fi

say "installing the wheel into $SITE"
WHEEL= # the newest ferrotorch wheel
for w in target/wheels/ferrotorch-*.whl; do
    if [ -f "$w" ] && { [ -z "$WHEEL" ] || [ "$w" -nt "$WHEEL" ]; }; then WHEEL=$w; fi
done
if [ -z "$WHEEL" ]; then
    problem "no target/wheels/ferrotorch-*.whl (build it with: maturin build --release)"
    READY=0
else
    echo "$WHEEL" | tee -a "$LOG"
    # a wheel is a zip archive: unpacking it is the fallback where pip is missing
    if ! "$PY" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$WHEEL" >>"$LOG" 2>&1 &&
        ! "$PY" -m zipfile -e "$WHEEL" "$SITE" >>"$LOG" 2>&1; then
        problem "could not install $WHEEL"
        READY=0
    fi
fi
# PYTHONPATH comes before site-packages on sys.path; no user site either
export PYTHONPATH=$SITE PYTHONNOUSERSITE=1 PYTHONUNBUFFERED=1

for mod in numpy pytest; do
    if ! "$PY" -c "import $mod" 2>/dev/null; then
        say "$mod missing: installing it from target/wheels"
        "$PY" -m pip install -q --no-index --find-links target/wheels --no-compile --target "$SITE" "$mod" >>"$LOG" 2>&1 ||
            problem "$mod is not installed and target/wheels has no wheel of it for this Python (scripts/fetch_gpu_wheels.sh)"
    fi
done

if [ "$READY" = 1 ]; then
    say "ferrotorch under test"
    "$PY" -c '
import os, sys
import ferrotorch as ft
print("ferrotorch", ft.__version__, "from", ft.__file__)
if not os.path.realpath(ft.__file__).startswith(os.path.realpath(sys.argv[1]) + os.sep):
    sys.exit("ferrotorch was imported from outside the wheel install")
print("CUDA backend built:", ft.backends.cuda.is_built(), "available:", ft.cuda.is_available(),
      "devices:", ft.cuda.device_count())
if not ft.cuda.is_available():
    sys.exit(3)
print(ft.cuda.get_device_properties(0))' "$SITE" 2>&1 | tee -a "$LOG"
    case ${PIPESTATUS[0]} in
    0) ;;
    3)
        problem "ferrotorch sees no CUDA device (ferrotorch.cuda.is_available() is False)"
        READY=0
        ;;
    *)
        problem "the installed wheel cannot be imported"
        READY=0
        ;;
    esac
fi

if [ "$READY" = 1 ]; then
    # every test file with device-parametrized or GPU-only cases
    mapfile -t FILES < <(grep -lE 'DEVICES|cuda_only|mark\.cuda|default_device' tests/test_*.py)
    say "CUDA tests: pytest -m cuda ${FILES[*]}"
    timeout -k 10 270 "$PY" -m pytest -m cuda -q -rfEs -p no:cacheprovider --continue-on-collection-errors \
        --junitxml="$OUT_DIR/junit.xml" "${FILES[@]}" >"$OUT_DIR/pytest.log" 2>&1
    rc=$?
    tail -n 40 "$OUT_DIR/pytest.log" | tee -a "$LOG"
    case $rc in
    0) ;;
    1) problem "CUDA tests failed (pytest.log, junit.xml)" ;;
    5) problem "no CUDA test was collected" ;;
    124 | 137) problem "CUDA tests timed out after 270 s" ;;
    *) problem "pytest exited with status $rc" ;;
    esac

    say "GPU benchmarks"
    timeout -k 10 150 "$PY" benches/gpu_bench.py --json "$OUT_DIR/bench.json" 2>&1 | tee "$OUT_DIR/bench.log" | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    case $rc in
    0) ;;
    124 | 137) problem "benchmarks timed out after 150 s" ;;
    *) problem "benchmarks exited with status $rc (bench.log)" ;;
    esac
fi

say "summary"
"$PY" - "$OUT_DIR" ${PROBLEMS[@]+"${PROBLEMS[@]}"} <<'PY' 2>&1 | tee -a "$LOG"
import json
import os
import sys
import xml.etree.ElementTree as ET

out, problems = sys.argv[1], sys.argv[2:]
summary = {"ok": not problems, "problems": problems, "tests": None, "benchmarks": {}, "benchmark_details": []}
try:
    root = ET.parse(os.path.join(out, "junit.xml")).getroot()
    tests = dict.fromkeys(("passed", "failed", "skipped", "errors"), 0)
    for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
        n, failed, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        tests["failed"] += failed
        tests["errors"] += errors
        tests["skipped"] += skipped
        tests["passed"] += n - failed - errors - skipped
    summary["tests"] = tests
except (OSError, ET.ParseError):
    pass
try:
    with open(os.path.join(out, "bench.json")) as f:
        report = json.load(f)
    summary["device"] = report.get("device")
    summary["torch"] = report.get("torch")
    for case in report["cases"]:
        # ratio = ferrotorch/PyTorch of the case's metric (GB/s, GFLOP/s: higher is better; us/op: lower)
        summary["benchmarks"][case["name"]] = case.get("ratio", case.get("error"))
        summary["benchmark_details"].append(case)
except (OSError, ValueError, KeyError):
    pass
if summary["tests"] is not None and summary["tests"]["passed"] == 0:
    problems.append("no CUDA test passed (every selected case skipped?)")
summary["ok"] = not problems
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
print(json.dumps({k: summary[k] for k in ("ok", "problems", "tests", "benchmarks")}, indent=1))
sys.exit(0 if summary["ok"] else 1)
PY
[ "${PIPESTATUS[0]}" = 0 ] && [ ${#PROBLEMS[@]} -eq 0 ]
