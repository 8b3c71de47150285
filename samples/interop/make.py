"""Make the interoperability samples: Fisher's iris flowers, learned by scikit-learn and by
PyTorch, saved as their users save them. Run from the repository root:

    python samples/interop/make.py

Needs scikit-learn, skl2onnx, torch, safetensors and onnxscript (pip install -e ".[test,torch]").
Everything is seeded, so the files come out the same each time.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import torch
from safetensors.torch import save_file
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier

HERE = Path(__file__).parent


def main() -> None:
    iris = load_iris()
    X, names = iris.data, iris.target_names[iris.target]

    mlp = MLPClassifier((5,), solver="lbfgs", max_iter=1000, random_state=0).fit(X, names)
    onx = to_onnx(mlp, X[:1], options={id(mlp): {"zipmap": False}}, target_opset=18)
    (HERE / "iris-sklearn.onnx").write_bytes(onx.SerializeToString())

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3), torch.nn.Softmax(dim=-1)
    ).double()
    inputs, labels = torch.from_numpy(X), torch.from_numpy(iris.target)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(500):
        optimizer.zero_grad()
        loss = torch.nn.functional.nll_loss(torch.log(model(inputs)), labels)
        loss.backward()
        optimizer.step()
    save_file(model.state_dict(), HERE / "iris-torch.safetensors")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        batch = {0: torch.export.Dim("batch")}
        torch.onnx.export(
            model.eval(), (inputs[:2],), HERE / "iris-torch.onnx", dynamic_shapes=(batch,)
        )
    (HERE / "iris-torch.onnx.data").unlink(missing_ok=True)  # empty: the weights are inside
    accuracy = (model(inputs).argmax(1) == labels).double().mean().item()
    print(f"scikit-learn accuracy {mlp.score(X, names):.3f}, torch accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
