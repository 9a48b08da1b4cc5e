"""A small CNN + LSTM + Transformer model written against a torch.nn-like
namespace, so the same code builds it in PyTorch (fixture) and ferrotorch (test)."""


def build(nn):
    class Hybrid(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(8, 16, 3, stride=2, bias=False), nn.GroupNorm(4, 16), nn.GELU(),
                nn.AdaptiveAvgPool2d((1, 4)), nn.Dropout(0.1))
            self.proj = nn.Linear(16, 32)
            self.lstm = nn.LSTM(32, 24, num_layers=2, batch_first=True, bidirectional=True)
            layer = nn.TransformerEncoderLayer(48, 4, dim_feedforward=64, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
            self.embed = nn.Embedding(10, 48, padding_idx=0)
            self.norm = nn.LayerNorm(48)
            self.head = nn.Linear(48, 10)

        def forward(self, x, tokens):
            f = self.features(x).flatten(2).transpose(1, 2)  # [N, 4, 16]
            h, _ = self.lstm(self.proj(f))  # [N, 4, 48]
            h = self.encoder(h + self.embed(tokens))
            return self.head(self.norm(h).mean(1))

    return Hybrid()
