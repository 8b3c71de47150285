"""Import and export of a large model: 784-512-512-10 (669,706 float64 parameters).

    python bench/interop.py [--runs 10]

Times, end to end as a user runs them, `nncalc export net.yaml -o net.onnx` and
`nncalc import net.onnx -o back.yaml` (Θ^(1), Θ^(2) to .npy files beside it), each against
a floor: the least code that does the same with the onnx package alone (build the Gemm +
Sigmoid graph from the .npy files and save it; load the model and save its initializers as
.npy). Prints medians and ratios, and checks that the imported weights are bit for bit
the exported ones and that onnxruntime computes nncalc's outputs from the file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

import numpy as np
from timing import NNCALC, wall

EXPORT_FLOOR = """
import sys
from pathlib import Path
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
d = Path(sys.argv[1])
nodes, inits, a = [], [], "x"
for j in (1, 2, 3):
    theta = np.load(d / f"theta{j}.npy")
    inits += [numpy_helper.from_array(theta[:, 1:].copy(), f"W{j}"),
              numpy_helper.from_array(theta[:, 0].copy(), f"b{j}")]
    nodes += [helper.make_node("Gemm", [a, f"W{j}", f"b{j}"], [f"z{j}"], transB=1),
              helper.make_node("Sigmoid", [f"z{j}"], [f"a{j}"])]
    a = f"a{j}"
graph = helper.make_graph(nodes, "floor", [helper.make_tensor_value_info("x", 11, ["N", 784])],
                          [helper.make_tensor_value_info(a, 11, ["N", 10])], inits)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), d / "floor.onnx")
"""

IMPORT_FLOOR = """
import sys
from pathlib import Path
import numpy as np
import onnx
from onnx import numpy_helper
d = Path(sys.argv[1])
for t in onnx.load(d / "net.onnx").graph.initializer:
    np.save(d / f"floor.{t.name}.npy", numpy_helper.to_array(t))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    rng = np.random.default_rng(0)
    sizes = [784, 512, 512, 10]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        lines = ["layers:"]
        for j, (a, b) in enumerate(pairwise(sizes), start=1):
            np.save(d / f"theta{j}.npy", rng.normal(0, 0.05, (b, a + 1)))
            lines.append(f"  - {{theta: {{file: theta{j}.npy}}, activation: sigmoid}}")
        (d / "net.yaml").write_text("\n".join(lines) + "\n")
        commands = {
            "export": (
                [*NNCALC, "export", str(d / "net.yaml"), "-o", str(d / "net.onnx")],
                [sys.executable, "-c", EXPORT_FLOOR, tmp],
            ),
            "import": (
                [*NNCALC, "import", str(d / "net.onnx"), "-o", str(d / "back.yaml")],
                [sys.executable, "-c", IMPORT_FLOOR, tmp],
            ),
        }
        times = {}
        for name, (ours, floor) in commands.items():
            wall(ours), wall(floor)  # warm the caches
            t_ours, t_floor = [], []
            for _ in range(runs):
                t_ours.append(wall(ours))
                t_floor.append(wall(floor))
            times[name] = statistics.median(t_ours), statistics.median(t_floor)
        _check(d)
    print(f"784-512-512-10 sigmoid network (669,706 parameters), {runs} runs, medians:")
    for name, (a, b) in times.items():
        print(
            f"  {name}: nncalc {a * 1000:7.1f} ms   onnx floor {b * 1000:7.1f} ms   "
            f"ratio {a / b:5.2f}"
        )


def _check(d: Path) -> None:
    import onnxruntime

    import nncalc

    net, back = nncalc.load(d / "net.yaml"), nncalc.load(d / "back.yaml")
    for mine, theirs in zip(net.layers, back.layers, strict=True):
        assert mine.theta.tobytes() == theirs.theta.tobytes()
    X = np.random.default_rng(1).normal(size=(100, 784))
    session = onnxruntime.InferenceSession(str(d / "net.onnx"))
    np.testing.assert_allclose(session.run(None, {"x": X})[0], net(X), rtol=1e-12)


if __name__ == "__main__":
    main()
