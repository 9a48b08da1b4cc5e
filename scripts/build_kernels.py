#!/usr/bin/env python3
"""Compile the CUDA kernels (kernels/*.cu) to the PTX committed in kernels/ptx/<stem>.ptx.

    python3 scripts/build_kernels.py           # regenerate kernels/ptx/*.ptx, delete PTX with no source
    python3 scripts/build_kernels.py --check   # fail if committed PTX is stale, missing or extra
    ... --src DIR --out DIR                    # other source/output folders (for testing)

How it works:
- Compiler: NVRTC from the pinned PyPI wheel nvidia-cuda-nvrtc, called through ctypes. NVRTC needs no
  GPU, driver, host compiler or CUDA headers, so a machine with only python3 + pip can build. Kernels
  are self-contained CUDA C (#include of CUDA headers does not work; "local.cuh" from the source folder does).
- ptxas (pinned nvidia-cuda-nvcc wheel, same release) then assembles every PTX for sm_80 and the output
  is thrown away: NVRTC copies inline asm() verbatim, so only ptxas catches bad PTX before a GPU does.
- Both wheels are pip-installed on first use into .kernels-venv/ (--no-deps: the nvcc wheel's own
  dependencies are unpinned). A stamp file records the pins; changing PINS reinstalls.
- Target: the GPU machines run driver 580 (CUDA 13.0), which rejects PTX newer than ISA 9.0. The 13.0
  compiler with --gpu-architecture=compute_80 emits `.version 9.0` / `.target sm_80`, which that driver
  JIT-compiles for any GPU from sm_80 up. Every PTX produced is checked against those limits.
- The pinned compiler is deterministic (byte-identical PTX for the same source), so both modes compile
  into a temp folder; the default mode then syncs the output folder, --check compares bytes.
"""
import argparse
import ctypes
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".kernels-venv"
PINS = ["nvidia-cuda-nvrtc==13.0.88", "nvidia-cuda-nvcc==13.0.88"]
ARCH = 80                 # compute_80 / sm_80: A100 and every newer GPU can JIT it
MAX_ISA = (9, 0)          # PTX ISA of CUDA 13.0, the newest driver 580 accepts
NVRTC_OPTIONS = [f"--gpu-architecture=compute_{ARCH}", "-std=c++17"]


def fail(msg, code=1):
    print(f"build_kernels: {msg}", file=sys.stderr)
    sys.exit(code)


def rel(path):
    """Path relative to the working folder when inside it (short, clickable errors), else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- toolchain

def ensure_toolchain():
    """Install the pinned wheels into VENV unless the stamp says they are there; return (nvrtc, ptxas)."""
    stamp = VENV / "pins.txt"
    wanted = "\n".join(PINS) + "\n"
    if not (stamp.exists() and stamp.read_text() == wanted):
        print(f"build_kernels: installing {' '.join(PINS)} into {rel(VENV)}/", file=sys.stderr)
        shutil.rmtree(VENV, ignore_errors=True)
        venv.create(VENV, with_pip=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
               "--no-deps", "--only-binary=:all:", *PINS]
        if subprocess.call(pip) != 0:
            fail("pip install of the kernel compiler failed", 2)
        stamp.write_text(wanted)
    cu13 = glob.glob(str(VENV / "lib" / "python*" / "site-packages" / "nvidia" / "cu13"))
    if not cu13:
        fail(f"no nvidia/cu13 in {rel(VENV)}; delete it and rerun", 2)
    return load_nvrtc(Path(cu13[0]) / "lib"), Path(cu13[0]) / "bin" / "ptxas"


def load_nvrtc(libdir):
    # libnvrtc dlopen()s its builtins library by bare name; loading it first by full path satisfies
    # that lookup without LD_LIBRARY_PATH (which cannot be changed for the running process).
    ctypes.CDLL(str(libdir / "libnvrtc-builtins.so.13.0"), mode=ctypes.RTLD_GLOBAL)
    lib = ctypes.CDLL(str(libdir / "libnvrtc.so.13"))
    P, S = ctypes.c_void_p, ctypes.c_size_t
    lib.nvrtcCreateProgram.argtypes = [ctypes.POINTER(P), ctypes.c_char_p, ctypes.c_char_p,
                                       ctypes.c_int, P, P]
    lib.nvrtcCompileProgram.argtypes = [P, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    for get in ("ProgramLog", "PTX"):
        getattr(lib, f"nvrtcGet{get}Size").argtypes = [P, ctypes.POINTER(S)]
        getattr(lib, f"nvrtcGet{get}").argtypes = [P, ctypes.c_char_p]
    lib.nvrtcDestroyProgram.argtypes = [ctypes.POINTER(P)]
    lib.nvrtcGetErrorString.restype = ctypes.c_char_p
    return lib


# ---------------------------------------------------------------- compile

def nvrtc_get(lib, prog, what):
    size = ctypes.c_size_t()
    getattr(lib, f"nvrtcGet{what}Size")(prog, ctypes.byref(size))
    buf = ctypes.create_string_buffer(size.value)
    getattr(lib, f"nvrtcGet{what}")(prog, buf)
    return buf.raw[: max(size.value - 1, 0)]            # drop the trailing NUL


def compile_cu(lib, src, include_dir):
    """Return (ptx bytes or None, compiler log). The program is named by its path so that
    errors read `kernels/foo.cu(12): error: ...`; the name does not end up in the PTX."""
    prog = ctypes.c_void_p()
    rc = lib.nvrtcCreateProgram(ctypes.byref(prog), src.read_bytes(), rel(src).encode(), 0, None, None)
    if rc != 0:
        return None, f"nvrtcCreateProgram: {lib.nvrtcGetErrorString(rc).decode()}"
    try:
        opts = [o.encode() for o in NVRTC_OPTIONS + [f"--include-path={include_dir}"]]
        rc = lib.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
        log = nvrtc_get(lib, prog, "ProgramLog").decode(errors="replace").strip()
        if rc != 0:
            return None, log or lib.nvrtcGetErrorString(rc).decode()
        return nvrtc_get(lib, prog, "PTX"), log
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


def ptx_limits_error(ptx):
    """None if the PTX header is within what driver 580 loads, else why not."""
    text = ptx.decode(errors="replace")
    version = re.search(r"^\.version (\d+)\.(\d+)\s*$", text, re.M)
    target = re.search(r"^\.target sm_(\d+)(\w*)", text, re.M)
    if not version or not target:
        return "no .version/.target line"
    isa, sm = (int(version[1]), int(version[2])), int(target[1])
    if isa > MAX_ISA or sm > ARCH or target[2]:
        return (f".version {version[1]}.{version[2]} / .target sm_{target[1]}{target[2]}: "
                f"need .version <= {MAX_ISA[0]}.{MAX_ISA[1]} and .target <= sm_{ARCH}")
    return None


def ptxas_error(ptxas, ptx_file):
    """Assemble for sm_ARCH (output discarded); on error also show the offending PTX lines,
    since ptxas reports PTX line numbers, usually inside an inline asm() of the source."""
    run = subprocess.run([str(ptxas), f"-arch=sm_{ARCH}", "-o", os.devnull, ptx_file.name],
                         cwd=ptx_file.parent, capture_output=True, text=True)
    if run.returncode == 0:
        return None
    lines = ptx_file.read_text().splitlines()
    shown = []
    for n in sorted({int(m) for m in re.findall(r"line (\d+);", run.stderr)}):
        if 0 < n <= len(lines):
            shown.append(f"  PTX line {n}: {lines[n - 1].strip()}")
    return ("ptxas rejects its PTX (check asm() statements):\n"
            + run.stderr.strip() + ("\n" + "\n".join(shown) if shown else ""))


def build_all(sources, outdir, src_dir):
    """Compile every source into outdir; print errors per file; return True if all succeeded."""
    lib, ptxas = ensure_toolchain()
    # NVRTC is thread-safe and ctypes releases the GIL, so threads compile in parallel.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda s: compile_cu(lib, s, src_dir), sources))
    ok = True
    for src, (ptx, log) in zip(sources, results):
        if ptx is None:
            print(f"error: {rel(src)} does not compile:\n{log}\n", file=sys.stderr)
            ok = False
            continue
        if log:                                         # warnings: shown, not fatal
            print(log, file=sys.stderr)
        out = outdir / (src.stem + ".ptx")
        out.write_bytes(ptx)
        problem = ptx_limits_error(ptx) or ptxas_error(ptxas, out)
        if problem:
            print(f"error: {rel(src)}: {problem}\n", file=sys.stderr)
            ok = False
    return ok


# ---------------------------------------------------------------- modes

def regenerate(sources, src_dir, out_dir):
    with tempfile.TemporaryDirectory() as tmp:
        if sources and not build_all(sources, Path(tmp), src_dir):
            fail("compile failed; nothing written")
        if sources:
            out_dir.mkdir(parents=True, exist_ok=True)
        for ptx in sorted(Path(tmp).glob("*.ptx")):
            dest = out_dir / ptx.name
            if not dest.exists() or dest.read_bytes() != ptx.read_bytes():
                shutil.copyfile(ptx, dest)
                print(f"wrote {rel(dest)}")
    wanted = {s.stem + ".ptx" for s in sources}
    for old in sorted(out_dir.glob("*.ptx")):
        if old.name not in wanted:
            old.unlink()
            print(f"removed {rel(old)} (no {old.stem}.cu in {rel(src_dir)}/)")
    print(f"build_kernels: {len(sources)} kernel file(s) up to date in {rel(out_dir)}/")


def compare(src, fresh, committed):
    """Problems with one committed PTX file, given the freshly compiled one."""
    if not committed.exists():
        return [f"{rel(committed)} is missing (source {rel(src)})"]
    old, new = committed.read_bytes(), fresh.read_bytes()
    if old == new:
        return []
    limits = ptx_limits_error(old)
    diff = difflib.unified_diff(old.decode(errors="replace").splitlines(), new.decode().splitlines(),
                                "committed", "fresh", lineterm="", n=1)
    return ([f"{rel(committed)}: {limits}"] if limits else []) + [
        f"{rel(committed)} is stale: it differs from what {rel(src)} compiles to\n"
        + "\n".join(list(diff)[:20])]


def check(sources, src_dir, out_dir):
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        if sources and not build_all(sources, Path(tmp), src_dir):
            fail("compile failed")
        for src in sources:
            name = src.stem + ".ptx"
            problems += compare(src, Path(tmp) / name, out_dir / name)
    stems = {s.stem for s in sources}
    for extra in sorted(out_dir.glob("*.ptx")):
        if extra.stem not in stems:
            problems.append(f"{rel(extra)} is extra: there is no {rel(src_dir / (extra.stem + '.cu'))}")
    if problems:
        print("\n".join(f"error: {p}" for p in problems), file=sys.stderr)
        fail("committed PTX is not current: regenerate it (`make kernels`) and commit it")
    print(f"build_kernels: {len(sources)} kernel file(s), committed PTX is current")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="verify committed PTX instead of writing it")
    ap.add_argument("--src", type=Path, default=ROOT / "kernels", help="folder of *.cu (default kernels/)")
    ap.add_argument("--out", type=Path, default=ROOT / "kernels" / "ptx", help="PTX folder (default kernels/ptx/)")
    args = ap.parse_args()
    src_dir, out_dir = args.src.resolve(), args.out.resolve()
    sources = sorted(src_dir.glob("*.cu"))              # no sources: nothing to install or compile
    (check if args.check else regenerate)(sources, src_dir, out_dir)


if __name__ == "__main__":
    main()
