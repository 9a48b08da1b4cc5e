"""ferrotorch main example.

1. Runs the tensor and autograd examples of SEED.md sections 3.1-3.3 verbatim.
2. Trains a small CNN on scikit-learn's bundled handwritten digits (1797 8x8
   images, no network) with SEED.md's Dataset/DataLoader (6.2), optimizer,
   loss and training loop (4.2) and evaluation loop (4.3), prints the test
   accuracy, saves the model (6.3), reloads it into a fresh model and checks
   the reloaded model scores the same.
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


def digits_cnn(epochs=15, min_accuracy=0.95):
    print("\n== CNN on the digits data set (scikit-learn, bundled) ==")
    import os
    import sys
    import tempfile

    from sklearn.datasets import load_digits

    import ferrotorch.nn as nn
    import ferrotorch.nn.functional as F
    from ferrotorch.utils.data import DataLoader, Dataset

    class CustomDataset(Dataset):  # SEED.md 6.2
        def __init__(self, data, labels):
            self.data = data
            self.labels = labels

        def __len__(self):
            return len(self.data)

        def __getitem__(self, idx):
            return self.data[idx], self.labels[idx]

    class DigitsCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)   # 16 x 8 x 8
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)  # 32 x 4 x 4 after pooling
            self.fc1 = nn.Linear(32 * 2 * 2, 64)
            self.dropout = nn.Dropout(0.2)
            self.fc2 = nn.Linear(64, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = self.dropout(F.relu(self.fc1(torch.flatten(x, 1))))
            return self.fc2(x)

    torch.manual_seed(0)
    digits = load_digits()
    images = torch.from_numpy((digits.images / 16.0).astype(np.float32)).unsqueeze(1)
    targets = torch.from_numpy(digits.target).long()
    perm = torch.randperm(len(targets))
    train_idx, test_idx = perm[:1437], perm[1437:]  # 80% / 20%
    train_loader = DataLoader(CustomDataset(images[train_idx], targets[train_idx]), batch_size=32, shuffle=True)
    test_loader = DataLoader(CustomDataset(images[test_idx], targets[test_idx]), batch_size=128)
    print(f"train {len(train_idx)} images, test {len(test_idx)} images")

    model = DigitsCNN()
    print(model)
    # Define the optimizer and loss function (SEED.md 4.2, with momentum)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()  # For multi-class classification

    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        seen, total_loss = 0, 0.0
        for step, (data, target) in enumerate(train_loader, 1):
            optimizer.zero_grad()  # Clear gradients from the previous step
            output = model(data)   # Forward pass
            loss = criterion(output, target)  # Compute the loss
            loss.backward()  # Backpropagation
            optimizer.step()  # Update model parameters
            seen += target.size(0)
            total_loss += loss.item() * target.size(0)
            done = step * 30 // len(train_loader)
            if sys.stdout.isatty():
                print(f"\repoch {epoch + 1:2d}/{epochs} [{'#' * done}{'.' * (30 - done)}] "
                      f"loss {total_loss / seen:.4f}", end="", flush=True)
        acc = evaluate(model, test_loader)
        line = (f"epoch {epoch + 1:2d}/{epochs} [{'#' * 30}] loss {total_loss / seen:.4f}  "
                f"test accuracy {acc:.4f}  ({time.perf_counter() - t0:.1f}s)")
        print(("\r" + line) if sys.stdout.isatty() else line, flush=True)

    accuracy = evaluate(model, test_loader)
    print(f"Accuracy: {accuracy:.4f}  (training took {time.perf_counter() - t0:.1f}s)")

    # Save the model's state dictionary (SEED.md 6.3), then load it into a fresh model
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pth")
        torch.save(model.state_dict(), path)
        reloaded = DigitsCNN()
        reloaded.load_state_dict(torch.load(path))
        reloaded.eval()  # Set to evaluation mode
    again = evaluate(reloaded, test_loader)
    print(f"reloaded from model.pth: accuracy {again:.4f}")
    assert again == accuracy, "the reloaded model must score the same"
    assert accuracy >= min_accuracy, f"test accuracy {accuracy:.4f} is below {min_accuracy}"


def evaluate(model, test_loader):
    # Evaluation loop (SEED.md 4.3)
    model.eval()  # Set the model to evaluation mode
    correct = 0
    total = 0

    with torch.no_grad():  # Disable gradient calculation for evaluation
        for data, target in test_loader:
            output = model(data)
            _, predicted = torch.max(output.data, 1)  # Get the predicted class
            total += target.size(0)  # Increment total count
            correct += (predicted == target).sum().item()  # Count correct predictions

    return correct / total


if __name__ == "__main__":
    seed_examples()
    seed_autograd_examples()
    digits_cnn()
