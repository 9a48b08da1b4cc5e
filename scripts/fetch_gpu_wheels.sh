#!/usr/bin/env bash
# Download the wheels scripts/gpu-check.sh falls back on when the GPU machine (no internet)
# lacks numpy or pytest: numpy for each CPython in PY_VERSIONS, and pytest with its pure-Python
# dependencies, into target/wheels/ beside the ferrotorch wheel from `maturin build --release`.
#
#   scripts/fetch_gpu_wheels.sh                          # CPython 3.12 (the GPU image's Python)
#   PY_VERSIONS="3.10 3.11 3.12 3.13" scripts/fetch_gpu_wheels.sh
#
# Each numpy wheel is about 17 MB and whatever travels to the GPU machine is capped (64 MiB in
# this workplace), so fetch only the versions that can be there.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${DEST:-$ROOT/target/wheels}
PY=${PYTHON:-python3}
PY_VERSIONS=${PY_VERSIONS:-3.12}
mkdir -p "$DEST"

for v in $PY_VERSIONS; do
    tag=cp${v/./}
    echo "== CPython $v"
    # pip evaluates dependency markers for the running interpreter, not --python-version, so
    # pytest's markers for older Pythons (exceptiongroup, tomli) are named explicitly.
    "$PY" -m pip download -q --only-binary=:all: --python-version "$v" --implementation cp --abi "$tag" \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$DEST" numpy pytest exceptiongroup tomli typing_extensions
done

ls -l "$DEST"
total=$(du -cm "$DEST"/*.whl | tail -1 | cut -f1)
echo "target/wheels holds ${total} MB of wheels"
if [ "$total" -gt 48 ]; then
    echo "warning: over 48 MB; the copy sent to the GPU machine is capped at 64 MiB in all" >&2
fi
