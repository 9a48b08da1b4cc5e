"""GPU benchmarks: ferrotorch side by side with PyTorch on the same CUDA device, in
one process. Each case reports its metric for both and the ratio ferrotorch/PyTorch
of that metric, with the issue's target for the ratio.

    python benches/gpu_bench.py [--quick] [-k FILTER] [--json PATH]

Exits 0 with a message when ferrotorch sees no CUDA device; runs ferrotorch alone
when PyTorch (with CUDA) is not importable. Exits 1 if a ferrotorch case fails.
Add a case by appending a Case to CASES.
"""
import argparse
import json
import os
import statistics
import sys
import time

import ferrotorch as ft

try:
    import torch
except ImportError:  # PyTorch is an optional reference
    torch = None

M = 1 << 20


class Case:
    """``setup(lib)`` returns a zero-argument callable running the work once on ``lib``'s CUDA device.
    ``unit`` is "GB/s" or "GFLOP/s" (``work`` bytes or flops per call, higher is better) or
    "us/op" (``work`` ops per call, lower is better). ``target`` bounds the ratio ft/torch;
    None marks a case without one (reported for information)."""

    def __init__(self, name, unit, setup, work, iters, target):
        self.name, self.unit, self.setup, self.work, self.iters, self.target = name, unit, setup, work, iters, target

    @property
    def higher_is_better(self):
        return self.unit != "us/op"

    def metric(self, seconds):
        """The reported number for one call taking ``seconds``: GB/s or GFLOP/s, else microseconds per op."""
        return self.work / seconds / 1e9 if self.higher_is_better else seconds / self.work * 1e6

    def meets(self, ratio):
        if self.target is None:
            return None
        return ratio >= self.target if self.higher_is_better else ratio <= self.target


def randn(lib, *shape):
    return lib.randn(*shape, device="cuda")


def add_setup(n):
    def setup(lib):
        a, b = randn(lib, n), randn(lib, n)
        return lambda: a + b
    return setup


def matmul_setup(n):
    def setup(lib):
        a, b = randn(lib, n, n), randn(lib, n, n)
        return lambda: a @ b
    return setup


def tiny_setup(ops):
    def setup(lib):
        a, b = randn(lib, 1), randn(lib, 1)

        def run():
            for _ in range(ops):
                a + b
        return run
    return setup


def method_setup(fn, *shape):
    """``fn`` applied to one random tensor of ``shape``."""
    def setup(lib):
        a = randn(lib, *shape)
        return lambda: fn(a)
    return setup


def tiny_backward_setup(ops):
    """``ops`` tiny elementwise ops on 1-element tensors, then backward through them."""
    def setup(lib):
        w = randn(lib, 1).requires_grad_()

        def run():
            y = w
            for _ in range(ops // 2):
                y = (y * 1.0001).sin()
            y.backward()
            w.grad = None
        return run
    return setup


def conv_setup(n, c, hw, k):
    """3x3 convolution forward and backward (input and weight grads)."""
    def setup(lib):
        x = randn(lib, n, c, hw, hw).requires_grad_()
        w = randn(lib, k, c, 3, 3).requires_grad_()

        def run():
            lib.nn.functional.conv2d(x, w, padding=1).sum().backward()
            x.grad = w.grad = None
        return run
    return setup


def cnn_step_setup(batch):
    """One SGD step of a small CNN (conv, relu, max_pool, linear, cross_entropy) on 28x28 inputs."""
    def setup(lib):
        nn = lib.nn
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 7 * 7, 10)).to("cuda")
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = randn(lib, batch, 1, 28, 28), lib.randint(0, 10, (batch,), device="cuda")

        def run():
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return run
    return setup


CASES = [
    # CUDA backend I
    Case("add 64M float32", "GB/s", add_setup(64 * M), work=3 * 4 * 64 * M, iters=20, target=0.90),
    Case("matmul 4096 float32", "GFLOP/s", matmul_setup(4096), work=2 * 4096 ** 3, iters=10, target=0.95),
    Case("tiny add (1 element)", "us/op", tiny_setup(1000), work=1000, iters=5, target=1.0),
    # CUDA backend II
    Case("sum 64M float32", "GB/s", method_setup(lambda a: a.sum(), 64 * M), work=4 * 64 * M, iters=20, target=0.90),
    Case("log_softmax 4096x1024 float32", "GB/s", method_setup(lambda a: a.log_softmax(1), 4096, 1024), work=2 * 4 * 4096 * 1024,
         iters=20, target=0.80),
    Case("20 tiny ops + backward", "us/op", tiny_backward_setup(20), work=20, iters=50, target=1.0),
    # no target: how the new kernels compare
    Case("sort 4096x4096 float32", "GB/s", method_setup(lambda a: a.sort(1), 4096, 4096), work=(4 + 4 + 8) * 4096 * 4096, iters=5,
         target=None),
    Case("conv2d 32x64x56x56 3x3 f+b", "GFLOP/s", conv_setup(32, 64, 56, 64), work=3 * 2 * 32 * 64 * 56 * 56 * 64 * 9,
         iters=5, target=None),
    Case("CNN SGD step (batch 256)", "us/op", cnn_step_setup(256), work=1, iters=10, target=None),
]


def time_call(lib, fn, iters):
    """Seconds per call of ``fn``: ``iters`` calls queued back to back, between two synchronizations."""
    lib.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    lib.cuda.synchronize()
    return (time.perf_counter() - t0) / iters


def run_case(case, libs, reps):
    """Median seconds per call for each library; the libraries alternate within each repetition,
    so drifting clocks and neighbours affect both alike."""
    fns = {}
    for label, lib in libs.items():
        fns[label] = case.setup(lib)
        for _ in range(3):  # warm up: kernel loading, allocator caches, cuBLAS heuristics
            fns[label]()
        lib.cuda.synchronize()
    times = {label: [] for label in libs}
    for _ in range(reps):
        for label, lib in libs.items():
            times[label].append(time_call(lib, fns[label], case.iters))
    return {label: statistics.median(ts) for label, ts in times.items()}


def set_tf32(flags):
    """Set (ferrotorch, torch) allow_tf32 flags; returns the previous ones."""
    mods = [ft] + ([torch] if torch is not None else [])
    old = tuple(m.backends.cuda.matmul.allow_tf32 for m in mods)
    for m, flag in zip(mods, flags):
        m.backends.cuda.matmul.allow_tf32 = flag
    return old


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 repetitions instead of 7")
    ap.add_argument("--json", default=os.environ.get("BENCH_JSON"))
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    args = ap.parse_args()
    report = {"ferrotorch": ft.__version__, "torch": getattr(torch, "__version__", None), "cases": []}

    if not ft.cuda.is_available():
        print("gpu_bench: skipped, ferrotorch sees no CUDA device")
        report["skipped"] = "ferrotorch sees no CUDA device"
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=1)
        return 0
    libs = {"ferrotorch": ft}
    if torch is not None and torch.cuda.is_available():
        libs["torch"] = torch
    else:
        print("gpu_bench: PyTorch with CUDA is not importable; timing ferrotorch alone")
    report["device"] = ft.cuda.get_device_name()
    print(f"device: {report['device']}; ferrotorch {ft.__version__}; torch {report['torch'] or '-'}")
    print(f"{'case':28s} {'unit':8s} {'ferrotorch':>11s} {'torch':>11s} {'ft/torch':>9s}  target")
    failed = False
    old_tf32 = set_tf32((False, False))  # full float32 matmuls on both sides, PyTorch's default
    try:
        for case in CASES:
            if args.k not in case.name:
                continue
            row = {"name": case.name, "unit": case.unit, "higher_is_better": case.higher_is_better,
                   "target": case.target}
            try:
                secs = run_case(case, libs, 3 if args.quick else 7)
            except Exception as e:  # report and go on: the other cases still say something
                row["error"] = f"{type(e).__name__}: {e}"
                failed = True
                print(f"{case.name:28s} {case.unit:8s} ERROR {row['error']}", flush=True)
                report["cases"].append(row)
                continue
            for label, s in secs.items():
                row[label] = case.metric(s)
            line = f"{case.name:28s} {case.unit:8s} {row['ferrotorch']:11.2f} "
            if "torch" in row:
                row["ratio"] = row["ferrotorch"] / row["torch"]
                row["meets_target"] = case.meets(row["ratio"])
                cmp = ">=" if case.higher_is_better else "<="
                line += f"{row['torch']:11.2f} {row['ratio']:9.3f}  "
                if case.target is not None:
                    line += f"{cmp} {case.target:.2f} {'ok' if row['meets_target'] else 'MISSED'}"
            print(line, flush=True)
            report["cases"].append(row)
            for lib in libs.values():
                lib.cuda.empty_cache()
    finally:
        set_tf32(old_tf32)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
