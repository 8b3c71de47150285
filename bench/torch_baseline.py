"""PyTorch (CPU, float64) doing the same forward pass as bench/textbook.py, for comparison.

python bench/torch_baseline.py DATA_DIR
"""

import sys
from pathlib import Path

import numpy as np
import torch

data = Path(sys.argv[1])
with torch.no_grad():
    a = torch.from_numpy(np.load(data / "X.npy"))
    j = 1
    while (data / f"W{j}.npy").exists():
        W, b = np.load(data / f"W{j}.npy"), np.load(data / f"b{j}.npy")
        a = torch.sigmoid(torch.nn.functional.linear(a, torch.from_numpy(W), torch.from_numpy(b)))
        j += 1
np.save(data / "out_torch.npy", a.numpy())
