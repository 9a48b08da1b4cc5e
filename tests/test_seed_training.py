"""SEED.md sections 4.1, 4.2, 4.3, 6.1 (CPU), 6.2 and 6.3 run verbatim, in that
order, with only the `epochs` and loader definitions the fragments assume."""
import subprocess
import sys

import ferrotorch as torch

SEED_PROGRAM = '''
import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F

# Define a simple feedforward neural network
class SimpleNN(nn.Module):
    def __init__(self):
        super(SimpleNN, self).__init__()
        self.fc1 = nn.Linear(784, 128)  # Input layer (784) to hidden layer (128)
        self.fc2 = nn.Linear(128, 10)    # Hidden layer (128) to output layer (10)
        
    def forward(self, x):
        x = F.relu(self.fc1(x))  # Apply ReLU activation function
        x = self.fc2(x)  # Output layer
        return F.log_softmax(x, dim=1)  # Log softmax for multi-class classification

# Instantiate the model
model = SimpleNN()

from ferrotorch.utils.data import Dataset, DataLoader

class CustomDataset(Dataset):
    def __init__(self, data, labels):
        self.data = data
        self.labels = labels
    
    def __len__(self):
        return len(self.data)
    
    def __getitem__(self, idx):
        return self.data[idx], self.labels[idx]

# Instantiate and load custom dataset
data = torch.randn(100, 784)  # 100 samples, 784 features
labels = torch.randint(0, 10, (100,))  # Random labels
dataset = CustomDataset(data, labels)
dataloader = DataLoader(dataset, batch_size=32, shuffle=True)

train_loader = test_loader = dataloader  # the loaders the fragments below assume
epochs = 30

device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Moving a tensor to the GPU
x = torch.tensor([1, 2, 3]).to(device)

model = SimpleNN().to(device)  # Move model to GPU

# Define the optimizer and loss function
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)  # Stochastic Gradient Descent
criterion = nn.CrossEntropyLoss()  # For multi-class classification

# Training loop
for epoch in range(epochs):
    for data, target in train_loader:
        optimizer.zero_grad()  # Clear gradients from the previous step
        output = model(data)   # Forward pass
        loss = criterion(output, target)  # Compute the loss
        loss.backward()  # Backpropagation
        optimizer.step()  # Update model parameters

# Evaluation loop
model.eval()  # Set the model to evaluation mode
correct = 0
total = 0

with torch.no_grad():  # Disable gradient calculation for evaluation
    for data, target in test_loader:
        output = model(data)
        _, predicted = torch.max(output

.data, 1)  # Get the predicted class
        total += target.size(0)  # Increment total count
        correct += (predicted == target).sum().item()  # Count correct predictions

accuracy = correct / total
print(f'Accuracy: {accuracy:.2f}')

# Save the model's state dictionary
torch.save(model.state_dict(), 'model.pth')

# Load the model
model = SimpleNN()
model.load_state_dict(torch.load('model.pth'))
model.eval()  # Set to evaluation mode

with torch.no_grad():
    again = sum((model(d).argmax(1) == t).sum().item() for d, t in test_loader) / total
print(f'Reloaded: {again:.2f}')
'''


def test_seed_training_sections_verbatim(tmp_path):
    r = subprocess.run([sys.executable, "-c", SEED_PROGRAM], capture_output=True, text=True, cwd=tmp_path)
    if torch.cuda.is_available():
        # SEED moves the model to the GPU but feeds it the loader's CPU batches:
        # PyTorch stops there, as SEED 6.1 warns ("ensure that your model and
        # data are on the same device").
        assert r.returncode != 0
        assert "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!" in r.stderr
        return
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    acc = float(out[0].split(": ")[1])
    # 100 random points with 784 features are separable: SGD memorises them
    assert out[0].startswith("Accuracy: ") and acc >= 0.9
    assert out[1] == f"Reloaded: {acc:.2f}"
    assert (tmp_path / "model.pth").exists()
