"""Foundation benchmarks: ferrotorch side by side with numpy and, when it is
importable in the same interpreter, PyTorch (CPU). Prints times and ratios;
ratios < 1 mean ferrotorch is faster.

    python benches/run_all.py            # everything
    python benches/run_all.py --quick    # fewer repeats

To include PyTorch, run with an interpreter that has both torch and ferrotorch
installed (e.g. `VIRTUAL_ENV=/path/to/bench-venv maturin develop --release`).
"""
import argparse
import json
import os
import sys
import timeit

import numpy as np

import ferrotorch as ft

try:
    import torch
except ImportError:  # PyTorch is an optional reference
    torch = None


ONLY = ""  # -k filter


def best(fn, number, repeat):
    fn()  # warm up
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def case(name, make, number, repeat, results):
    """make(lib) returns a zero-arg callable for lib in (ft, np, torch)."""
    if ONLY not in name:
        return
    row = {"name": name}
    for label, lib in (("ferrotorch", ft), ("numpy", np), ("torch", torch)):
        if lib is None:
            continue
        fn = make(lib)
        if fn is None:
            continue
        row[label] = best(fn, number, repeat)
    parts = [f"{k} {v * 1e6:10.2f} us" for k, v in row.items() if k != "name"]
    ratios = []
    if "torch" in row:
        row["ratio_vs_torch"] = row["ferrotorch"] / row["torch"]
        ratios.append(f"ft/torch {row['ratio_vs_torch']:.2f}")
    if "numpy" in row:
        row["ratio_vs_numpy"] = row["ferrotorch"] / row["numpy"]
        ratios.append(f"ft/numpy {row['ratio_vs_numpy']:.2f}")
    print(f"{name:34s} " + "  ".join(parts) + "   " + "  ".join(ratios), flush=True)
    results.append(row)


def tensors(lib, shape, seed=0, dtype="float32"):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if lib is np:
        return a
    return lib.from_numpy(a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", default=os.environ.get("BENCH_JSON"))
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    args = ap.parse_args()
    rep = 3 if args.quick else 7
    global ONLY
    ONLY = args.k
    results = []
    print(f"threads: ferrotorch=rayon default, torch={torch.get_num_threads() if torch else '-'}; torch {'%s' % torch.__version__ if torch else 'not installed'}")

    def tiny_add(lib):
        a, b = tensors(lib, (1,)), tensors(lib, (1,), 1)
        return lambda: a + b

    case("tiny a+b (1 element)", tiny_add, 20000, rep, results)

    def tiny_chain(lib):
        a = tensors(lib, (8,))
        return lambda: (a * 1.01 + 0.5)

    case("tiny (a*1.01+0.5) (8 elements)", tiny_chain, 20000, rep, results)

    def tiny_autograd(lib):
        # autograd overhead: 20 x (z * 1.01 + 0.5).relu() on an 8-element leaf, then backward
        if lib is np:
            return None
        z = lib.ones(8, requires_grad=True)

        def run():
            y = z
            for _ in range(20):
                y = (y * 1.01 + 0.5).relu()
            y.sum().backward()
        return run

    case("autograd 20x(z*1.01+0.5).relu()+backward", tiny_autograd, 200, rep, results)

    def mlp_step(lib):
        # forward + backward of a 784-256-10 MLP on a 256-sample batch (float32)
        if lib is np:
            return None
        x = tensors(lib, (256, 784))
        w1 = (tensors(lib, (784, 256), 1) * 0.05).requires_grad_()
        w2 = (tensors(lib, (256, 10), 2) * 0.05).requires_grad_()

        def run():
            h = (x @ w1).relu()
            loss = ((h @ w2) ** 2).mean()
            loss.backward()
            w1.grad = None
            w2.grad = None
        return run

    case("autograd MLP 784-256-10 fwd+bwd (256)", mlp_step, 20, rep, results)

    n = 1 << 24
    big = {}

    def big_t(lib, seed):
        key = (lib.__name__, seed)
        if key not in big:
            big[key] = tensors(lib, (n,), seed)
        return big[key]

    case("16M a+b float32", lambda lib: (lambda a=big_t(lib, 0), b=big_t(lib, 1): a + b), 5, rep, results)
    case("16M a*b float32", lambda lib: (lambda a=big_t(lib, 0), b=big_t(lib, 1): a * b), 5, rep, results)
    case("16M exp float32", lambda lib: (lambda a=big_t(lib, 0): lib.exp(a)), 3, rep, results)
    case("16M sum float32", lambda lib: (lambda a=big_t(lib, 0): a.sum()), 5, rep, results)
    case("16M relu float32", lambda lib: (lambda a=big_t(lib, 0): np.maximum(a, 0)) if lib is np else (lambda a=big_t(lib, 0): a.relu()), 5, rep, results)

    def rows_sum(lib):
        a = tensors(lib, (4096, 4096))
        return (lambda: a.sum(axis=1)) if lib is np else (lambda: a.sum(1))

    case("4096x4096 sum(dim=1) float32", rows_sum, 5, rep, results)

    def cols_sum(lib):
        a = tensors(lib, (4096, 4096))
        return (lambda: a.sum(axis=0)) if lib is np else (lambda: a.sum(0))

    case("4096x4096 sum(dim=0) float32", cols_sum, 5, rep, results)

    def mm(lib):
        a, b = tensors(lib, (1024, 1024)), tensors(lib, (1024, 1024), 1)
        return lambda: a @ b

    case("matmul 1024x1024 float32", mm, 3, rep, results)

    def log_softmax(lib):
        a = tensors(lib, (4096, 1024))
        if lib is np:
            return lambda: a - np.log(np.exp(a - a.max(1, keepdims=True)).sum(1, keepdims=True)) - a.max(1, keepdims=True)
        return lambda: a.log_softmax(1)

    case("log_softmax 4096x1024 float32", log_softmax, 5, rep, results)

    def conv(batch, backward=False):
        # ResNet's 64->64 3x3 layer on 56x56 maps (float32, padding 1)
        def make(lib):
            if lib is np:
                return None
            F = lib.nn.functional
            x = tensors(lib, (batch, 64, 56, 56))
            w = (tensors(lib, (64, 64, 3, 3), 1) * 0.05).requires_grad_(backward)
            b = tensors(lib, (64,), 2).requires_grad_(backward)
            if not backward:
                return lambda: F.conv2d(x, w, b, padding=1)

            def run():
                F.conv2d(x.requires_grad_(), w, b, padding=1).sum().backward()
                x.grad = w.grad = b.grad = None
            return run
        return make

    for batch in (1, 8):
        case(f"conv2d 64->64 3x3 56x56 batch {batch}", conv(batch), 3, rep, results)
    case("conv2d 64->64 3x3 56x56 b8 fwd+bwd", conv(8, True), 1, rep, results)

    def pool(lib):
        if lib is np:
            return None
        x = tensors(lib, (8, 64, 56, 56))
        return lambda: lib.nn.functional.max_pool2d(x, 3, 2, 1)

    case("max_pool2d 3x3/2 8x64x56x56", pool, 5, rep, results)

    def mlp_train(lib):
        # one SGD training step of a 784-512-256-10 MLP on a 256-sample batch
        if lib is np:
            return None
        nn = lib.nn
        lib.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = tensors(lib, (256, 784))
        y = lib.randint(0, 10, (256,))

        def run():
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return run

    case("train step MLP 784-512-256-10 b256", mlp_train, 5, rep, results)

    def mnist_cnn(lib):
        # pytorch/examples mnist Net, Adadelta, batch 64 of 28x28 images
        if lib is np:
            return None
        nn, F = lib.nn, lib.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 32, 3, 1)
                self.conv2 = nn.Conv2d(32, 64, 3, 1)
                self.dropout1 = nn.Dropout(0.25)
                self.dropout2 = nn.Dropout(0.5)
                self.fc1 = nn.Linear(9216, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = F.relu(self.conv2(x))
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = lib.flatten(x, 1)
                x = F.relu(self.fc1(x))
                x = self.dropout2(x)
                return F.log_softmax(self.fc2(x), dim=1)

        lib.manual_seed(0)
        model = Net()
        opt = lib.optim.Adadelta(model.parameters(), lr=1.0)
        x = tensors(lib, (64, 1, 28, 28))
        y = lib.randint(0, 10, (64,))

        def run():
            opt.zero_grad()
            F.nll_loss(model(x), y).backward()
            opt.step()
        return run

    case("train step MNIST CNN (pytorch/examples) b64", mnist_cnn, 2, rep, results)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
