"""Builds tests/kernels_host.cpp: every CUDA kernel compiled for the host."""
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
AVAILABLE = shutil.which("g++") is not None


def build(out_dir):
    """Compiles the host kernel library into `out_dir`; returns its path."""
    so = pathlib.Path(out_dir) / "ferrotorch_kernels_host.so"
    cmd = ["g++", "-std=c++17", "-O1", "-shared", "-fPIC", "-DFT_HOST", "-fno-strict-aliasing", "-Wno-unknown-pragmas",
           "-include", str(ROOT / "tests" / "kernels_host.h"), "-I", str(ROOT / "kernels"),
           "-x", "c++", str(ROOT / "tests" / "kernels_host.cpp"), "-o", str(so)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("building the host kernels failed:\n" + r.stderr)
    return so
