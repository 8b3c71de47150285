"""`nncalc page` in headless Chromium: a 98,750-parameter network, recomputed on each edit.

    python bench/page.py [--runs 30]

Opens the page of a 300-250-90-10 network (ReLU, tanh, softmax) from file:// in Debian's
chromium (Playwright), times its opening (until the load event; until every weight field
is in the DOM; the longest task of the page's script after the load event, as the Long
Tasks API reports it), then alternates two timings in the same tab: an edited weight's
`input` event until the page has recomputed every z and a, rewritten every unit's data-a,
data-z and label and laid itself out again; and a plain JavaScript loop of the same
matrix products (Float64Array, no activations, no DOM). Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from nncalc.network import Layer, Network
from nncalc.render.page import to_page

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

EDIT = """k => {
  const field = document.querySelector(`input[data-theta="2,${1 + (k % 250)},7"]`);
  field.value = String(0.01 * k);
  const t = performance.now();
  field.dispatchEvent(new Event("input", { bubbles: true }));
  document.body.getBoundingClientRect();  // style and layout included
  return performance.now() - t;
}"""

LONG_TASKS = """
window.longTasks = [];
new PerformanceObserver((list) => window.longTasks.push(...list.getEntries())).observe({
  type: "longtask",
  buffered: true,
});
"""

AFTER_LOAD = """() => {
  const load = performance.getEntriesByType("navigation")[0].loadEventEnd;
  return Math.max(0, ...window.longTasks.filter((t) => t.startTime >= load).map((t) => t.duration));
}"""

BASELINE = """() => {
  const net = JSON.parse(document.getElementById("network").textContent);
  const layers = net.layers.map((l) => Float64Array.from(l.theta.flat()));
  window.baseline = () => {
    const t = performance.now();
    let a = Float64Array.from(net.x);
    for (const [k, theta] of layers.entries()) {
      const units = net.sizes[k + 1], n = a.length, z = new Float64Array(units);
      for (let i = 0, row = 0; i < units; i++, row += n + 1) {
        let s = 0;
        for (let m = 0; m < n; m++) s += theta[row + 1 + m] * a[m];
        z[i] = s + theta[row];
      }
      a = z;
    }
    return [performance.now() - t, a[0]];
  };
}"""


def network() -> tuple[Network, np.ndarray]:
    rng = np.random.default_rng(0)
    sizes = [300, 250, 90, 10]
    layers = [
        Layer(rng.normal(0, 1 / np.sqrt(n), (s, n + 1)), g)
        for n, s, g in zip(sizes, sizes[1:], ("relu", "tanh", "softmax"), strict=False)
    ]
    return Network(tuple(layers), name="300-250-90-10"), rng.normal(size=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    from playwright.sync_api import sync_playwright

    net, x = network()
    html = to_page(net, x)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        path = Path(tmp) / "page.html"
        path.write_text(html, encoding="utf-8")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page()
        tab.add_init_script(LONG_TASKS)
        opened, ready, longest = [], [], []
        for _ in range(3):
            t = time.perf_counter()
            tab.goto(path.as_uri(), wait_until="load")
            opened.append(time.perf_counter() - t)
            # polled from a timer: Playwright's selector waits cost the page time themselves
            tab.wait_for_function("() => 'ready' in document.documentElement.dataset", polling=20)
            ready.append(time.perf_counter() - t)
            longest.append(tab.evaluate(AFTER_LOAD))
        tab.evaluate(BASELINE)
        page_ms, base_ms = [], []
        for k in range(runs):
            page_ms.append(tab.evaluate(EDIT, k))
            base_ms.append(tab.evaluate("() => window.baseline()")[0])
        browser.close()
    params = sum(layer.theta.size for layer in net.layers)
    page, base = statistics.median(page_ms), statistics.median(base_ms)
    print(f"{net.name}: {params:,} parameters, page {len(html.encode()) / 1e6:.1f} MB")
    print(f"open (until load), median of 3: {statistics.median(opened) * 1000:.0f} ms")
    print(f"every weight field in the DOM: {statistics.median(ready) * 1000:.0f} ms")
    print(f"longest task of the page after the load event: {statistics.median(longest):.0f} ms")
    print(f"recompute after an edit, median of {runs}: {page:.2f} ms")
    print(f"plain JS matrix products, median of {runs}: {base:.3f} ms")
    print(f"ratio: {page / base:.1f}")


if __name__ == "__main__":
    main()
