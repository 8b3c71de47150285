"""The baseline for bench/batch.py: the forward pass a student writes with NumPy.

python bench/textbook.py DATA_DIR   (reads X.npy, W1.npy, b1.npy, …; writes out_textbook.npy)
"""

import sys
from pathlib import Path

import numpy as np

data = Path(sys.argv[1])
a = np.load(data / "X.npy")
j = 1
while (data / f"W{j}.npy").exists():
    W, b = np.load(data / f"W{j}.npy"), np.load(data / f"b{j}.npy")
    a = 1 / (1 + np.exp(-(a @ W.T + b)))
    j += 1
np.save(data / "out_textbook.npy", a)
