"""ferrotorch main example.

1. Runs the tensor and autograd examples of SEED.md sections 3.1-3.3 verbatim.
2. Fits a linear model to scikit-learn's bundled diabetes data set
   (442 patients, 10 features; no network) by full-batch gradient descent,
   with gradients from ferrotorch's autograd, and checks it against numpy's
   least-squares solution.
"""
import time

import numpy as np
import ferrotorch as torch


def seed_examples():
    print("== SEED.md 3.1 / 3.2 ==")
    # Creating a tensor from a list
    x = torch.tensor([1, 2, 3])
    print(x)  # Output: tensor([1, 2, 3])

    # Creating a tensor with uninitialized values
    y = torch.empty(2, 2)  # 2x2 tensor
    print(y)

    # Creating a tensor filled with zeros
    z = torch.zeros(2, 3)  # 2x3 tensor
    print(z)

    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    x_gpu = x.to(device)  # Move tensor to GPU
    print(x_gpu.device)

    # Element-wise addition
    y = torch.tensor([4, 5, 6])
    z = x + y
    print(z)  # Output: tensor([5, 7, 9])

    # Matrix Multiplication
    a = torch.randn(2, 3)
    b = torch.randn(3, 2)
    result = torch.matmul(a, b)
    print(result)

    # Reshaping a tensor
    reshaped = x.view(3, 1)  # Change shape to 3x1
    print(reshaped)

    # Indexing
    print(x[1])  # Output: tensor(2)


def seed_autograd_examples():
    print("\n== SEED.md 3.3 ==")
    # Enabling gradient calculation
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 2  # y = x^2
    y.backward()  # Compute the gradient
    print(x.grad)  # Output: tensor(4.0), which is dy/dx

    x1 = torch.tensor(3.0, requires_grad=True)
    x2 = torch.tensor(4.0, requires_grad=True)
    y = x1 * x2
    y.backward()  # Compute gradients
    print(x1.grad, x2.grad)  # Outputs: tensor(4.0), tensor(3.0)


def diabetes_regression():
    print("\n== Linear regression on the diabetes data set (scikit-learn, bundled) ==")
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    X = torch.from_numpy(data.data).float()
    y = torch.from_numpy(data.target).float().unsqueeze(1)
    n, d = X.shape
    # standardise the target so one learning rate fits all
    y_mean, y_std = y.mean(), y.std()
    yn = (y - y_mean) / y_std
    w = torch.zeros(d, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    lr = 0.5
    t0 = time.perf_counter()
    for step in range(3001):
        loss = ((X @ w + b - yn) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
        if step % 1000 == 0:
            print(f"step {step:5d}  mse(standardised) {loss.item():.4f}")
    elapsed = time.perf_counter() - t0
    with torch.no_grad():
        pred = (X @ w + b) * y_std + y_mean
    resid = ((pred - y) ** 2).sum().item()
    total = ((y - y_mean) ** 2).sum().item()
    r2 = 1 - resid / total
    # reference: numpy least squares with an intercept column
    A = np.hstack([data.data, np.ones((n, 1))])
    coef, *_ = np.linalg.lstsq(A, data.target, rcond=None)
    r2_ref = 1 - ((A @ coef - data.target) ** 2).sum() / ((data.target - data.target.mean()) ** 2).sum()
    print(f"R^2 ferrotorch gradient descent: {r2:.4f}   numpy lstsq: {r2_ref:.4f}   ({elapsed:.2f}s)")
    assert abs(r2 - r2_ref) < 0.02, "gradient descent did not reach the least-squares fit"


if __name__ == "__main__":
    seed_examples()
    seed_autograd_examples()
    diabetes_regression()
