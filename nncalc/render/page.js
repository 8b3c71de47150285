// nncalc page: forward propagation in the browser, in float64, computed as nncalc computes
// it (the same formulas in the same order, see nncalc/activations.py), and each unit's
// arithmetic written as `nncalc forward --explain` writes it (nncalc/render/explain.py).
"use strict";

(() => {
  const net = JSON.parse(document.getElementById("network").textContent);
  const L = net.sizes.length;
  const P = net.precision; // significant digits of the arithmetic, as --explain
  const SHOWN = 3; // significant digits in the diagram, as `nncalc draw`
  const MAX_TERMS = net.maxTerms; // longer sums show their first and last terms (explain.py)

  // ---- Numbers as nncalc shows them (nncalc/render/numbers.py) ----

  /** Python's format(x, ".pg"): p significant digits, ties to even, exponent of 2+ digits. */
  function pyG(x, p) {
    if (x === 0) return "0";
    const text = Math.abs(x).toExponential(99); // 100 digits, correctly rounded
    const cut = text.indexOf("e");
    const all = text[0] + text.slice(2, cut);
    let e = Number(text.slice(cut + 1));
    let d = all.slice(0, p);
    const rest = all.slice(p);
    const odd = Number(d[p - 1]) % 2 === 1;
    if (rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || odd))) {
      const up = String(BigInt(d) + 1n);
      if (up.length > p) e += 1;
      d = up.slice(0, p);
    }
    const sign = x < 0 ? "-" : "";
    if (e >= -4 && e < p) {
      const whole = e >= 0 ? d.slice(0, e + 1) : "0";
      const frac = (e >= 0 ? d.slice(e + 1) : "0".repeat(-e - 1) + d).replace(/0+$/, "");
      return sign + whole + (frac ? "." + frac : "");
    }
    const tail = d.slice(1).replace(/0+$/, "");
    const exponent = String(Math.abs(e)).padStart(2, "0");
    return `${sign}${d[0]}${tail ? "." + tail : ""}e${e < 0 ? "-" : "+"}${exponent}`;
  }

  /** numbers.fmt: p significant digits, a true minus sign. */
  function fmt(x, p) {
    if (x === 0) return "0";
    const text = pyG(x, p);
    return text.startsWith("-") ? text.replaceAll("-", "−") : text;
  }

  /** numbers.exact: 1 − gap for values that round to ±1, e^log for those stored as 0. */
  function exact(x, gap, log, p) {
    const text = fmt(x, p);
    if (text === "1" || text === "−1") {
      const g = gap ?? 1 - Math.abs(x);
      if (g > 0) return x > 0 ? `1 − ${pyG(g, 2)}` : `−1 + ${pyG(g, 2)}`;
    }
    if (x === 0 && log != null && Number.isFinite(log)) {
      return (Object.is(x, -0) ? "−" : "") + fromLog(log);
    }
    return text;
  }

  /** numbers._from_log: e^log in scientific notation, or as e^log when huge. */
  function fromLog(log) {
    const decimal = log / Math.LN10;
    if (Math.abs(decimal) > 1e15) return `e^${fmt(log, 3)}`;
    let exponent = Math.floor(decimal);
    let mantissa = 10 ** (decimal - exponent);
    if (pyG(mantissa, 2) === "10") [mantissa, exponent] = [1, exponent + 1];
    return `${pyG(mantissa, 2)}e${exponent}`;
  }

  // ---- float64 functions, as NumPy and nncalc compute them ----

  const EXP_EDGE = -708; // e^−z overflows below about −709.78
  const LOGE2 = 0.6931471805599453;
  const SQRT_HALF = 0.7071067811865476;
  const SQRT_HALF_LO = -4.833646656726457e-17; // 1/√2 − SQRT_HALF
  const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter
  const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
  const GELU_KAPPA = 0.044715;

  function sigmoid(z) {
    if (z < EXP_EDGE) {
      const e = Math.exp(z);
      return e / (1 + e);
    }
    return 1 / (1 + Math.exp(-z));
  }

  /** NumPy's logaddexp(x, y) = log(e^x + e^y). */
  function logaddexp(x, y) {
    if (x === y) return x + LOGE2;
    const d = x - y;
    return d > 0 ? x + Math.log1p(Math.exp(-d)) : y + Math.log1p(Math.exp(d));
  }

  const sigmoidLog = (z) => -logaddexp(0, -z);
  const siluLog = (z) => Math.log(Math.abs(z)) + sigmoidLog(z);

  /** GELU z·Φ(z) with −z/√2 carried as x + dx (activations.gelu). */
  function gelu(z) {
    const x = -z * SQRT_HALF;
    const small = Math.abs(z) < 64;
    const xs = small ? x : 0;
    const dx = productError(-(small ? z : 0));
    const r = xs < 5 ? (2 / Math.sqrt(Math.PI)) * Math.exp(-xs * xs) / erfc(xs) : 2 * xs + 1 / xs;
    return 0.5 * z * erfc(x) * (1 - r * dx);
  }

  /** PyTorch's GELU(approximate='tanh') as z·σ(2y), y = √(2/π)·(z + 0.044715·z³). */
  function geluTanh(z) {
    const y2 = 2 * (SQRT_2_OVER_PI * (z + GELU_KAPPA * (z * z * z)));
    return z * sigmoid(y2);
  }

  /** log(1 + e^(βz))/β as max(z, 0) + log1p(e^−|βz|)/β; z where βz > threshold, if given. */
  function softplus(z, { beta, threshold }) {
    const bz = beta === 1 ? z : beta * z;
    const tail = Math.log1p(Math.exp(-Math.abs(bz)));
    const value = Math.max(z, 0) + (beta === 1 ? tail : tail / beta);
    return threshold !== null && bz > threshold ? z : value;
  }

  /** z for z > 0, α·(e^z − 1) below, with expm1. */
  const elu = (z, { alpha }) => (z > 0 ? z : alpha * Math.expm1(Math.min(z, 0)));

  /** z·min(max(z + 3, 0), 6)/6, as m·(m + 3)/6 with m = z clipped to [−3, 3]. */
  function hardswish(z) {
    const m = Math.min(Math.max(z, -3), 3);
    return z >= 3 ? z : (m * (m + 3)) / 6;
  }

  /** v/√2 − fl(v·SQRT_HALF), by Dekker's two-product. */
  function productError(v) {
    const hi = v * SQRT_HALF;
    const [vHi, vLo] = split(v);
    const [cHi, cLo] = split(SQRT_HALF);
    const error = vHi * cHi - hi + vHi * cLo + vLo * cHi + vLo * cLo;
    return error + v * SQRT_HALF_LO;
  }

  function split(v) {
    const c = SPLIT * v;
    const hi = c - (c - v);
    return [hi, v - hi];
  }

  // erfc(x), to float64 accuracy: the piecewise rational approximations of Sun's fdlibm
  // (s_erf.c): a series near 0, erf about 1 near 1, and exp(−x² − 0.5625 + R/S)/x beyond.
  const word = new Float64Array(1);
  const words = new Uint32Array(word.buffer); // little-endian: [low, high]
  const high = (x) => ((word[0] = x), words[1] | 0);
  const withoutLow = (x) => ((word[0] = x), (words[0] = 0), word[0]);
  const poly = (c, s) => c.reduceRight((sum, k) => k + s * sum, 0);
  const PP = [1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2,
    -5.77027029648944159157e-3, -2.37630166566501626084e-5];
  const QQ = [1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3,
    1.32494738004321644526e-4, -3.9602282787753681232e-6];
  const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1,
    3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2,
    -2.166375594868790843e-3];
  const QA = [1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2,
    1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.1984499846799107417e-2];
  const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1,
    -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2,
    -8.12874355063065934246e1, -9.81432934416914548592];
  const SA = [1, 1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2,
    6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2,
    6.57024977031928170135, -6.04244152148580987438e-2];
  const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1,
    -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3,
    -4.83519191608651397019e2];
  const SB = [1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3,
    3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2,
    -2.24409524465858183362e1];
  const ERX = 8.45062911510467529297e-1; // erf(1), rounded to 24 bits

  function erfc(x) {
    const hx = high(x);
    const ix = hx & 0x7fffffff;
    if (Number.isNaN(x)) return x;
    if (ix < 0x3feb0000) {
      // |x| < 0.84375: erf(x) = x + x·P(x²)/Q(x²)
      if (ix < 0x3c700000) return 1 - x;
      const z = x * x;
      const y = poly(PP, z) / poly(QQ, z);
      return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x * y + (x - 0.5));
    }
    if (ix < 0x3ff40000) {
      // 0.84375 ≤ |x| < 1.25: erf(1 + s) = ERX + P(s)/Q(s)
      const s = Math.abs(x) - 1;
      const pq = poly(PA, s) / poly(QA, s);
      return hx >= 0 ? 1 - ERX - pq : 1 + (ERX + pq);
    }
    if (ix >= 0x403c0000) return hx > 0 ? 0 : 2; // |x| ≥ 28
    const a = Math.abs(x);
    const s = 1 / (a * a);
    if (hx < 0 && ix >= 0x40180000) return 2; // x < −6
    const near = ix < 0x4006db6d; // |x| < 1/0.35
    const rs = near ? poly(RA, s) / poly(SA, s) : poly(RB, s) / poly(SB, s);
    const t = withoutLow(a);
    const r = Math.exp(-t * t - 0.5625) * Math.exp((t - a) * (t + a) + rs);
    return hx > 0 ? r / a : 2 - r / a;
  }

  // ---- The activations g, one small function each, keyed by nncalc's names ----
  // nncalc/render/page.py reads this table's names and the parameters each one reads
  // (`name: { params: [...], ...`, one entry a line): a network with an activation, or a
  // parameter value other than the default, missing here is refused, never computed wrong.
  // g, gap and log take z^(j) and the layer's parameters, {alpha: 0.2, ...}.

  const each = (f) => (z, p) => z.map((v, i) => f(v, unitParams(p, i)));

  /** Unit i's parameters: entry i of each one given per unit (PReLU's slopes). */
  const unitParams = (p, i) =>
    Object.fromEntries(Object.entries(p || {}).map(([k, v]) => [k, Array.isArray(v) ? v[i] : v]));

  function softmax(z) {
    const e = z.map(shifted(z)).map(Math.exp);
    const sum = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / sum);
  }

  /** v ↦ v − max z; −inf where that overflows, so e^ of it is exactly 0. */
  const shifted = (z) => {
    const top = largest(z);
    return (v) => v - top;
  };

  const largest = (z) => z.reduce((top, v) => Math.max(top, v), -Infinity);

  /** 1 − p_i as the sum of the other p_k, so a p_i that rounds to 1 keeps its gap. */
  function softmaxGap(z) {
    const e = z.map(shifted(z)).map(Math.exp);
    const sum = e.reduce((s, v) => s + v, 0);
    const before = cumulative(e);
    const after = cumulative(e.slice().reverse()).reverse();
    return e.map((_, i) => Math.min((before[i] + after[i]) / sum, 1));
  }

  /** For each unit, the sum of the units before it. */
  function cumulative(e) {
    const out = new Float64Array(e.length);
    for (let i = 1; i < e.length; i++) out[i] = out[i - 1] + e[i - 1];
    return out;
  }

  /** ln p_i = (z_i − max z) − ln(1 + Σ of the other e^(z_k − max z)). */
  function softmaxLog(z) {
    const s = z.map(shifted(z));
    const e = s.map(Math.exp);
    e[z.indexOf(largest(z))] = 0; // the 1 of the max
    const rest = Math.log1p(e.reduce((sum, v) => sum + v, 0));
    return s.map((v) => v - rest);
  }

  const G = {
    sigmoid: { g: each(sigmoid), gap: each((z) => sigmoid(-z)), log: each(sigmoidLog) },
    tanh: { g: each(Math.tanh), gap: each((z) => 2 * sigmoid(-2 * Math.abs(z))) },
    relu: { g: each((z) => Math.max(z, 0)) },
    leaky_relu: { params: ["alpha"], g: each((z, { alpha }) => (z >= 0 ? z : alpha * z)) },
    identity: { g: each((z) => z) },
    softmax: { g: softmax, gap: softmaxGap, log: softmaxLog },
    log_softmax: { g: softmaxLog },
    softplus: { params: ["beta", "threshold"], g: each(softplus) },
    silu: { g: each((z) => z * sigmoid(z)), log: each(siluLog) },
    gelu: { g: each(gelu) },
    gelu_tanh: { g: each(geluTanh) },
    elu: { params: ["alpha"], g: each(elu) },
    relu6: { g: each((z) => Math.min(Math.max(z, 0), 6)) },
    hardswish: { g: each(hardswish) },
    mish: { g: each((z) => z * Math.tanh(logaddexp(0, z))) },
    step: { g: each((z) => (z >= 0 ? 1 : 0)) },
  };

  /** SwiGLU: z·Swish_β(u) = z·u·σ(βu). */
  const swiglu = (z, u, beta) => z.map((v, i) => v * (u[i] * sigmoid(beta * u[i])));

  // ---- g′, as nncalc/derivatives.py computes it ----
  // Each takes one z and the layer's parameters. SiLU′, GELU′, GELU_tanh′ and Mish′ cross
  // zero at z*: near it g′(z) = ∫ g″ from z* to z by Gauss–Legendre (derivatives._Crossing),
  // z*, the radius, the nodes and the weights given by page.py.

  const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

  function sigmoidPrime(z) {
    const t = Math.exp(-Math.abs(z));
    return t / ((1 + t) * (1 + t));
  }

  function tanhPrime(z) {
    const t = Math.exp(-2 * Math.abs(z));
    return (4 * t) / ((1 + t) * (1 + t));
  }

  /** φ(z) with z² carried as p + e (Dekker), so that e^ keeps its digits. */
  function normalPdf(z) {
    const p = z * z;
    const [hi, lo] = split(z);
    let e = hi * hi - p + 2 * hi * lo + lo * lo;
    if (!Number.isFinite(e)) e = 0;
    return Math.exp(-0.5 * p) * (1 - 0.5 * e) * INV_SQRT_2PI;
  }

  /** (σ(2y), σ(−2y), y′, y″) with y = √(2/π)·(z + 0.044715·z³). */
  function geluTanhParts(z) {
    const y2 = 2 * (SQRT_2_OVER_PI * (z + GELU_KAPPA * (z * z * z)));
    const dy = SQRT_2_OVER_PI * (1 + 3 * GELU_KAPPA * (z * z));
    return [sigmoid(y2), sigmoid(-y2), dy, 6 * SQRT_2_OVER_PI * GELU_KAPPA * z];
  }

  function mishParts(z) {
    const sp = softplus(z, { beta: 1, threshold: null });
    return [Math.tanh(sp), tanhPrime(sp), sigmoid(z)];
  }

  const FIRST = {
    silu: (z) => sigmoid(z) * (1 + z * sigmoid(-z)),
    gelu: (z) => (Math.abs(z) < 2 ** -100 ? 0.5 : gelu(z) / z + z * normalPdf(z)),
    gelu_tanh: (z) => {
      const [s, r, dy] = geluTanhParts(z);
      const both = s * r;
      return s + (both === 0 ? 0 : z * 2 * dy * both);
    },
    mish: (z) => {
      const [t, s2, s] = mishParts(z);
      return t + z * s2 * s;
    },
  };

  const SECOND = {
    silu: (z) => sigmoid(z) * sigmoid(-z) * (2 + z * Math.tanh(-z / 2)),
    gelu: (z) => normalPdf(z) * (2 - z * z),
    gelu_tanh: (z) => {
      const [s, r, dy, ddy] = geluTanhParts(z);
      return s * r * (4 * dy + 2 * z * ddy + 4 * z * dy * dy * (r - s));
    },
    mish: (z) => {
      const [t, s2, s] = mishParts(z);
      return s2 * (2 * s + z * s * sigmoid(-z) - 2 * z * t * s * s);
    },
  };

  /** g′ of a function whose derivative crosses zero at z* = hi + lo. */
  function crossing(name) {
    const [hi, lo, radius] = net.derivatives.roots[name];
    const { nodes, weights } = net.derivatives;
    return (z) => {
      if (!(Math.abs(z - hi) < radius)) return FIRST[name](z);
      const d = z - hi - lo;
      let total = 0;
      for (let k = 0; k < nodes.length; k++) {
        total += SECOND[name](hi + (d * nodes[k] + lo)) * weights[k];
      }
      return d * total;
    };
  }

  const PRIME = {
    sigmoid: sigmoidPrime,
    tanh: tanhPrime,
    relu: (z) => (z > 0 ? 1 : 0),
    leaky_relu: (z, { alpha }) => (z > 0 ? 1 : alpha),
    identity: () => 1,
    softplus: (z, { beta, threshold }) => {
      const bz = beta === 1 ? z : beta * z;
      return threshold !== null && bz > threshold ? 1 : sigmoid(bz);
    },
    silu: crossing("silu"),
    gelu: crossing("gelu"),
    gelu_tanh: crossing("gelu_tanh"),
    elu: (z, { alpha }) => (z > 0 ? 1 : alpha * Math.exp(Math.min(z, 0))),
    relu6: (z) => (z > 0 && z < 6 ? 1 : 0),
    hardswish: (z) => {
      const m = Math.min(Math.max(z, -3), 3);
      return z <= -3 ? 0 : z < 3 ? (2 * m + 3) / 6 : 1;
    },
    mish: crossing("mish"),
    step: (z) => (z === 0 ? NaN : 0),
  };

  // ---- The network, forward propagation ----

  const layers = net.layers.map((layer, k) => ({
    ...layer,
    j: k + 1,
    units: net.sizes[k + 1],
    inputs: net.sizes[k],
    theta: Float64Array.from(layer.theta.flat()),
    gate: layer.gate && Float64Array.from(layer.gate.flat()),
  }));
  const x = Float64Array.from(net.x);
  const invalid = new Set();
  let A = [];
  let Z = [];
  let U = [];

  /** Θ·[1; a]: the products summed, then the bias added, as a @ Θ[:, 1:].T + Θ[:, 0]. */
  function affine(theta, a, units) {
    const n = a.length;
    const out = new Float64Array(units);
    for (let i = 0, row = 0; i < units; i++, row += n + 1) {
      let s = 0;
      for (let m = 0; m < n; m++) s += theta[row + 1 + m] * a[m];
      out[i] = s + theta[row];
    }
    return out;
  }

  /** a^(1) … a^(L), z^(2) … z^(L); an error message when a layer overflows. */
  function forward() {
    const a = [null, x.slice()];
    const z = [null, null];
    const u = [null, null];
    for (const layer of layers) {
      const j = layer.j + 1;
      z[j] = affine(layer.theta, a[j - 1], layer.units);
      if (layer.gate) {
        u[j] = affine(layer.gate, a[j - 1], layer.units);
        a[j] = swiglu(z[j], u[j], layer.beta ?? 1);
      } else {
        a[j] = G[layer.activation].g(z[j], layer.params);
      }
      if (!z[j].every(Number.isFinite) || !a[j].every(Number.isFinite)) {
        return `layer ${j}: values overflow float64 (beyond ±1.8e308); smaller weights or inputs`;
      }
    }
    [A, Z, U] = [a, z, u];
    return null;
  }

  // ---- Formulas: one model, written as text (as --explain writes it) or in MathML ----
  // A formula is a list of tokens. A derivation is a list of lines: {head, rhs} (head: the
  // tokens left of the first " = ", or null on the lines aligned under it) or {note}.

  const op = (text) => ({ op: text }); // " = ", " + ", "·", "(", …
  const num = (text) => ({ num: text }); // a number as shown: "−0.5", "1 − 9.5e-19"
  const prose = (text) => ({ prose: text }); // "… (5 more terms) …"
  const fn = (name) => ({ fn: name }); // g's symbol: "σ", "LeakyReLU_(α=0.2)"
  const indent = { indent: "   " }; // a line under a line, indented (SwiGLU's z and u)
  /** base_sub^(sup): a_1^(2), x_3, h_Θ, a^(3); sub [i, m] for Θ_im (Θ_i,m when comma). */
  const sym = (base, sub = null, sup = null, comma = false) => ({ base, sub, sup, comma });
  /** tokens_index: the i-th unit of a layer-wise g, LogSoftmax(z^(4))_2. */
  const indexed = (tokens, index) => ({ tokens, index });

  function subText(t) {
    return Array.isArray(t.sub) ? t.sub.join(t.comma ? "," : "") : String(t.sub);
  }

  function asText(tokens) {
    return tokens
      .map((t) => {
        if (t.tokens) return `${asText(t.tokens)}_${t.index}`;
        const text = t.op ?? t.num ?? t.prose ?? t.fn ?? t.indent;
        if (text !== undefined) return text;
        return (
          t.base + (t.sub === null ? "" : `_${subText(t)}`) + (t.sup === null ? "" : `^(${t.sup})`)
        );
      })
      .join("");
  }

  /** The derivation as --explain writes it (explain.unit_lines). */
  function derivationText(lines) {
    const pad = " ".repeat(asText(lines[0].head).length);
    return lines
      .map((line) =>
        line.note
          ? `* ${asText(line.note)}`
          : (line.head ? asText(line.head) : pad) + asText(line.rhs),
      )
      .join("\n");
  }

  /** MathML's namespace, as the HTML parser gives it to <math> (the page holds no URL). */
  const MATHML = (() => {
    const parsed = document.createElement("template");
    parsed.innerHTML = "<math></math>";
    return parsed.content.firstChild.namespaceURI;
  })();

  function leaf(name, text) {
    const e = document.createElementNS(MATHML, name);
    e.textContent = text;
    return e;
  }

  const TIGHT = { stretchy: "false", lspace: "0", rspace: "0" };

  /** An operator; brackets and a number's sign (tight) keep their size and no space. */
  function mo(text, tight = /^[()[\]]$/.test(text)) {
    const e = leaf("mo", text);
    if (tight) for (const [k, v] of Object.entries(TIGHT)) e.setAttribute(k, v);
    return e;
  }

  function node(name, ...children) {
    const e = document.createElementNS(MATHML, name);
    e.append(...children);
    return e;
  }

  /** A number as shown, typeset: its signs as operators, 9.5e-19 as 9.5×10^−19, e^x. */
  function numberMath(text) {
    const out = [];
    for (let part of text.split(/ ([−+]) /)) {
      if (part === "−" || part === "+") {
        out.push(mo(part));
        continue;
      }
      if (part.startsWith("−")) {
        out.push(mo("−", true));
        part = part.slice(1);
      }
      if (part.startsWith("e^")) {
        out.push(node("msup", leaf("mi", "e"), node("mrow", ...numberMath(part.slice(2)))));
        continue;
      }
      const e = /^(\d+(?:\.\d+)?)e([+-])(\d+)$/.exec(part);
      if (!e) {
        out.push(leaf("mn", part));
        continue;
      }
      const exponent = node(
        "mrow",
        ...(e[2] === "-" ? [mo("−", true)] : []),
        leaf("mn", String(Number(e[3]))),
      );
      out.push(leaf("mn", e[1]), mo("×"), node("msup", leaf("mn", "10"), exponent));
    }
    return out;
  }

  /** An index: 2, or the two of Θ_im, 10 read as 1 and 0 (Θ_1,10 with its comma). */
  function indexMath(t) {
    if (!Array.isArray(t.sub))
      return /^\d+$/.test(String(t.sub)) ? leaf("mn", String(t.sub)) : leaf("mi", String(t.sub));
    return node(
      "mrow",
      leaf("mn", String(t.sub[0])),
      mo(t.comma ? "," : "\u2063"),
      leaf("mn", String(t.sub[1])),
    );
  }

  function symbolMath(t) {
    const base = leaf("mi", t.base);
    const sup = t.sup === null ? null : node("mrow", mo("("), leaf("mn", String(t.sup)), mo(")"));
    if (t.sub === null) return sup ? node("msup", base, sup) : base;
    return sup ? node("msubsup", base, indexMath(t), sup) : node("msub", base, indexMath(t));
  }

  /** g's symbol: σ, tanh, or LeakyReLU with its parameters as a subscript. */
  function fnMath(name) {
    const p = /^(.*?)_\((.*)\)$/.exec(name);
    if (!p) return leaf("mi", name);
    return node("msub", leaf("mi", p[1]), node("mrow", mo("("), leaf("mtext", p[2]), mo(")")));
  }

  function asMath(tokens) {
    return tokens.flatMap((t) => {
      if (t.tokens)
        return [node("msub", node("mrow", ...asMath(t.tokens)), leaf("mn", String(t.index)))];
      if (t.op !== undefined) return [mo(t.op.trim() || t.op)];
      if (t.num !== undefined) return numberMath(t.num);
      if (t.prose !== undefined) return [leaf("mtext", t.prose.replace(/^ | $/g, "\u00a0"))];
      if (t.fn !== undefined) return [fnMath(t.fn)];
      if (t.indent !== undefined) return [];
      return [symbolMath(t)];
    });
  }

  const math = (tokens) => node("math", node("mrow", ...asMath(tokens)));

  /** The derivation typeset: each line's left side right-aligned, its = under the first. */
  function derivationMath(lines) {
    const out = document.createElement("div");
    out.className = "lines";
    for (const line of lines) {
      if (line.note) {
        const note = document.createElement("p");
        note.className = "note";
        note.append("* ", math(line.note));
        out.append(note);
        continue;
      }
      const head = line.head ? math(line.head) : document.createElement("span");
      const rhs = math(line.rhs);
      if (line.rhs[0]?.indent) rhs.classList.add("indent");
      out.append(head, rhs);
    }
    return out;
  }

  // ---- The forward view: what the diagram shows, each unit's derivation, h_Θ(x) ----
  // A view computes from the network and x, gives the values the diagram shows and
  // derives a unit; the page draws whichever view is shown (forward propagation here).

  // Until the first edit the page shows what nncalc prints (net.shown, by precision and
  // layer: digits of the exact values, with their footnotes); after one, float64's values.
  let pristine = true;
  const first = (p, j) => net.shown[String(p)][j - 2];

  /** a^(j) as shown: exact() with the layer's gaps and logs, and g(0) where z is 0 to
   *  rounding and g takes each unit alone (forward.exact_layer). */
  function shownLayer(j, p) {
    if (pristine) return first(p, j).a;
    const layer = layers[j - 2];
    const g = layer.gate ? {} : G[layer.activation];
    const gaps = g.gap && g.gap(Z[j], layer.params);
    const logs = g.log && g.log(Z[j], layer.params);
    const shown = Array.from(A[j], (v, i) => exact(v, gaps?.[i], logs?.[i], p));
    if (layer.gate || layer.layerwise) return shown;
    const atZero = fmt(g.g([0], layer.params)[0], p);
    return shown.map((text, i) => (shownZ(j, i + 1)[1] && text !== atZero ? atZero : text));
  }

  /** t_0 + t_1 − t_2 …, the middle left out (and counted) when there are many terms; each
   *  term a list of tokens, a negative first number subtracted. */
  function sum(count, term) {
    const terms =
      count <= MAX_TERMS
        ? Array.from({ length: count }, (_, m) => term(m))
        : [0, 1, 2]
            .map(term)
            .concat(
              [[prose(`… (${count - 5} more terms) …`)]],
              [term(count - 2)],
              [term(count - 1)],
            );
    return terms.flatMap((t, m) => {
      if (m === 0) return t;
      const first = t[0].num;
      if (first?.startsWith("−")) return [op(" − "), num(first.slice(1)), ...t.slice(1)];
      return [op(" + "), ...t];
    });
  }

  /** Θ_im^(j), or Θ_i,m^(j) when an index can have two digits (Θ_7,30^(2)). */
  function thetaSymbol(layer, i, m, j, base = "Θ") {
    return sym(base, [i, m], j, Math.max(layer.units, layer.inputs) >= 10);
  }

  /** z_i^(j) as shown, and why when it is 0 to rounding: below γ_n·Σ|Θ_im·a_m|, the float64
   *  error bound of its sum of n terms (γ_n = n·u/(1 − n·u), u = 2^−53; Trace.z_bound). */
  function shownZ(j, i) {
    if (pristine) {
      const note = first(P, j).z_note[i - 1];
      return [first(P, j).z[i - 1], note ? [prose(note)] : null];
    }
    const layer = layers[j - 2];
    const n = layer.inputs + 1;
    const row = (i - 1) * n;
    let size = 0;
    for (let m = 1; m < n; m++) size += Math.abs(A[j - 1][m - 1]) * Math.abs(layer.theta[row + m]);
    const bound = ((n * 2 ** -53) / (1 - n * 2 ** -53)) * (size + Math.abs(layer.theta[row]));
    const z = Z[j][i - 1];
    if (z === 0 || Math.abs(z) >= bound) return [fmt(z, P), null];
    const why = [
      sym("z", i, j),
      op(" = "),
      num(fmt(z, 2)),
      prose(" is 0 to rounding: below the float64 error bound "),
      num(fmt(bound, 2)),
      prose(" of its sum"),
    ];
    return ["0", why];
  }

  /** Unit i of layer j, derived as --explain derives it. */
  function derivation(j, i) {
    const a = sym("a", i, j);
    if (j === 1)
      return [{ head: [a], rhs: [op(" = "), sym("x", i), op(" = "), num(fmt(A[1][i - 1], P))] }];
    const layer = layers[j - 2];
    const n = layer.inputs + 1;
    const factor = (text) =>
      text.startsWith("−") || text.includes(" ") ? [op("("), num(text), op(")")] : [num(text)];
    const aPrev = (m) => {
      if (m === 0) return [num("1")];
      if (!pristine || j === 2) return factor(fmt(A[j - 1][m - 1], P));
      return factor(first(P, j - 1).a[m - 1]);
    }; // −0.5·(−1) and 2·(1 − 4.5e-5), as --explain
    const products = (w) => (m) => [num(fmt(w[(i - 1) * n + m], P)), op("·"), ...aPrev(m)];
    const shown = shownLayer(j, P)[i - 1];
    const [z, why] = shownZ(j, i);
    const own = pristine ? first(P, j) : null;
    const notes = [why, own?.u_note[i - 1] && [prose(own.u_note[i - 1])]]
      .filter(Boolean)
      .map((note) => ({ note }));
    if (own?.a_note[i - 1].startsWith("float64 computes ")) {
      notes.push({ note: [sym("a", i, j), op(" = "), num(shown), prose(`: ${own.a_note[i - 1]}`)] });
    }
    if (layer.gate) {
      const u = sym("u", i, j);
      return [
        {
          head: [a],
          rhs: [
            op(" = "),
            sym("z", i, j),
            op("·"),
            u,
            op("·"),
            fn("σ"),
            op("("),
            num(fmt(layer.beta ?? 1, P)),
            op("·"),
            u,
            op(")"),
          ],
        },
        {
          rhs: [
            indent,
            sym("z", i, j),
            op(" = "),
            ...sum(n, products(layer.theta)),
            op(" = "),
            num(z),
          ],
        },
        {
          rhs: [
            indent,
            u,
            op(" = "),
            ...sum(n, products(layer.gate)),
            op(" = "),
            num(own ? own.u[i - 1] : fmt(U[j][i - 1], P)),
          ],
        },
        { rhs: [op(" = "), num(shown)] },
        ...notes,
      ];
    }
    const symbols = (m) => [thetaSymbol(layer, i, m, j - 1), op("·"), sym("a", m, j - 1)];
    const symbol = layer.symbols[i - 1];
    const g = [fn(symbol), op("("), layer.layerwise ? sym("z", null, j) : num(z), op(")")];
    return [
      { head: [a], rhs: [op(" = "), fn("g"), op("("), ...sum(n, symbols), op(")")] },
      { rhs: [op(" = "), fn(symbol), op("("), ...sum(n, products(layer.theta)), op(")")] },
      { rhs: [op(" = "), ...(layer.layerwise ? [indexed(g, i)] : g), op(" = "), num(shown)] },
      ...notes,
    ];
  }

  /** h_Θ(x) = a^(L) = [h_1, …], as forward prints it. */
  function output() {
    const h = shownLayer(L, P).flatMap((v, k) => (k ? [op(", "), num(v)] : [num(v)]));
    return [
      sym("h", "Θ"),
      op("("),
      sym("x"),
      op(")"),
      op(" = "),
      sym("a", null, L),
      op(" = "),
      op("["),
      ...h,
      op("]"),
    ];
  }

  const FORWARD = {
    /** Every unit's value as the diagram shows it, by layer. */
    values() {
      const shown = [null, Array.from(A[1], (v) => fmt(v, SHOWN))];
      for (let j = 2; j <= L; j++) shown[j] = shownLayer(j, SHOWN);
      return shown;
    },
    derivation,
    output,
    /** The predicted output unit: the first largest, as argmax. */
    prediction: () => A[L].indexOf(largest(A[L])) + 1,
  };
  // ---- The backward view: δ^(j) and ∂J/∂Θ^(j) for the label y (nncalc backward) ----
  // δ^(L) = a^(L) − y for the output g's matching loss (page.py names it, or says why there
  // is none), δ^(j) = (Θ^(j))ᵀδ^(j+1) .* g′(z^(j)), and ∂J/∂Θ_im^(j) = δ_i^(j+1)·a_m^(j) for
  // the one example (m = 1, λ = 0); each δ below the bound of its rounding error shows 0
  // (backprop.Errors), as nncalc backward shows it.

  const loss = net.loss; // {name, output, title}, or {refusal}
  const y = Float64Array.from(net.y);
  const ROUNDOFF = 2 ** -53;
  const gamma = (n) => (n * ROUNDOFF) / (1 - n * ROUNDOFF);
  const ONE = { beta: 1, threshold: null };
  let Delta = []; // δ^(j), by layer
  let DeltaGate = []; // δ_gate^(j) of SwiGLU layers
  let Sent = []; // (Θ^(j))ᵀδ^(j+1), by layer j
  let Err = { delta: [], gate: [], sent: [] }; // their rounding error bounds
  let J = NaN;

  /** δ^(L) = a^(L) − y, with nothing cancelling where y is 0 or 1 (cost.output_delta). */
  function outputDelta() {
    const z = Z[L];
    const h = A[L];
    if (loss.output === "sigmoid") return z.map((v, i) => (1 - y[i]) * h[i] - y[i] * sigmoid(-v));
    if (loss.output === "softmax" || loss.output === "log_softmax") {
      const p = loss.output === "softmax" ? h : softmax(z);
      const total = y.reduce((s, v) => s + v, 0);
      const gap = softmaxGap(z);
      return p.map((v, i) => (y[i] === 1 && total === 1 ? -gap[i] : v * total - y[i]));
    }
    return h.map((v, i) => v - y[i]);
  }

  /** J(Θ) of the example, from z^(L) (cost._data_terms). */
  function cost() {
    const z = Z[L];
    const h = A[L];
    const weigh = (w, t) => (w === 0 ? 0 : w * t);
    const logp = loss.output === "softmax" ? softmaxLog(z) : h;
    let total = 0;
    for (let i = 0; i < z.length; i++) {
      if (loss.output === "sigmoid")
        total += weigh(y[i], softplus(-z[i], ONE)) + weigh(1 - y[i], softplus(z[i], ONE));
      else if (loss.output === "identity") total += 0.5 * (h[i] - y[i]) ** 2;
      else total += weigh(y[i], -logp[i]);
    }
    return total;
  }

  /** δ^(L) … δ^(2) and their bounds; an error message when they cannot be computed. */
  function backward() {
    Delta = [];
    if (loss.refusal) return loss.refusal;
    const delta = [];
    const gated = [];
    const sent = [];
    const err = [];
    const errGate = [];
    const errSent = [];
    delta[L] = outputDelta();
    err[L] = delta[L].map((v) => ROUNDOFF * Math.abs(v));
    const own = (values) => values.map((v) => net.gUlps * ROUNDOFF * Math.abs(v));
    for (let j = L - 1; j >= 2; j--) {
      const above = layers[j - 1];
      const below = layers[j - 2];
      const width = above.inputs + 1;
      const n = above.units * (above.gate ? 2 : 1);
      const s = new Float64Array(above.inputs);
      const e = new Float64Array(above.inputs);
      for (let i = 0; i < above.inputs; i++) {
        let total = 0;
        let size = 0;
        for (const [weights, d, de] of [
          [above.theta, delta[j + 1], err[j + 1]],
          ...(above.gate ? [[above.gate, gated[j + 1], errGate[j + 1]]] : []),
        ]) {
          for (let r = 0; r < above.units; r++) {
            const w = weights[r * width + 1 + i];
            total += w * d[r];
            size += Math.abs(w) * (gamma(n) * Math.abs(d[r]) + de[r]);
          }
        }
        s[i] = total;
        e[i] = size;
      }
      sent[j] = s;
      errSent[j] = e;
      const z = Z[j];
      if (below.gate) {
        const beta = below.beta ?? 1;
        const swish = U[j].map((u) => u * sigmoid(beta * u));
        const slope = U[j].map((u, i) => z[i] * PRIME.silu(beta * u));
        delta[j] = s.map((v, i) => v * swish[i]);
        gated[j] = s.map((v, i) => v * slope[i]);
        const [od, og] = [own(delta[j]), own(gated[j])];
        err[j] = e.map((v, i) => Math.abs(swish[i]) * v + od[i]);
        errGate[j] = e.map((v, i) => Math.abs(slope[i]) * v + og[i]);
      } else if (below.activation === "softmax") {
        const p = A[j];
        const dot = s.reduce((t, v, i) => t + v * p[i], 0);
        const spread = e.reduce((t, v, i) => t + v * p[i], 0);
        delta[j] = p.map((v, i) => v * (s[i] - dot));
        const od = own(delta[j]);
        err[j] = p.map((v, i) => v * (e[i] + spread) + od[i]);
      } else if (below.activation === "log_softmax") {
        const p = softmax(z);
        const total = s.reduce((t, v) => t + v, 0);
        const spread = e.reduce((t, v) => t + v, 0);
        delta[j] = s.map((v, i) => v - p[i] * total);
        const od = own(delta[j]);
        err[j] = e.map((v, i) => v + p[i] * spread + od[i]);
      } else {
        const prime = z.map((v, i) => PRIME[below.activation](v, unitParams(below.params, i)));
        const at = prime.findIndex(Number.isNaN);
        if (at >= 0)
          return `layer ${j}: z_${at + 1}^(${j}) = 0, where the step's derivative is not defined`;
        delta[j] = s.map((v, i) => v * prime[i]);
        const od = own(delta[j]);
        err[j] = e.map((v, i) => Math.abs(prime[i]) * v + od[i]);
      }
      if (!delta[j].every(Number.isFinite) || (gated[j] && !gated[j].every(Number.isFinite)))
        return `δ^(${j}) overflows float64 (beyond ±1.8e308)`;
    }
    [Delta, DeltaGate, Sent] = [delta, gated, sent];
    Err = { delta: err, gate: errGate, sent: errSent };
    J = cost();
    return Number.isFinite(J) ? null : "J overflows float64 (beyond 1.8e308)";
  }

  /** ∂J/∂Θ_im^(j) = δ_i^(j+1)·a_m^(j), with a_0^(j) = 1. */
  const gradient = (j, i, m) => Delta[j + 1][i - 1] * (m === 0 ? 1 : A[j][m - 1]);

  /** A value as shown, and whether it is 0 to rounding (below its bound). */
  const rounded = (v, bound, p) =>
    v !== 0 && Math.abs(v) < bound ? ["0", true] : [fmt(v, p), false];

  /** Until the first edit, layer j as nncalc backward shows it at precision p (net.backShown:
   *  the digits its error bounds leave certain); null after one (float64's values). */
  const backShown = (p, j) =>
    pristine && net.backShown ? net.backShown[String(p)].layers[j - 2] : null;

  /** A negative factor in parentheses: 2·(−0.5), not 2·−0.5. */
  const factor = (text) => (text.startsWith("−") ? [op("("), num(text), op(")")] : [num(text)]);

  /** δ_i^(j), derived as nncalc backward --explain derives it (render/backward.unit_lines). */
  function backDerivation(j, i) {
    if (j === 1)
      return [{ head: [sym("x", i)], rhs: [op(": "), prose("an input has no δ")] }];
    const head = [sym("δ", i, j)];
    const shown = backShown(P, j);
    const [d, zero] = shown
      ? [shown.delta[i - 1], false]
      : rounded(Delta[j][i - 1], Err.delta[j][i - 1], P);
    const notes = shown?.note[i - 1]
      ? [{ note: [sym("δ", i, j), prose(shown.note[i - 1])] }]
      : zero
      ? [
          {
            note: [
              sym("δ", i, j),
              op(" = "),
              num(fmt(Delta[j][i - 1], 2)),
              prose(" is 0 to rounding: below the float64 error bound "),
              num(fmt(Err.delta[j][i - 1], 2)),
              prose(" of its sums"),
            ],
          },
        ]
      : [];
    if (j === L) {
      const yi = fmt(y[i - 1], P);
      if (loss.output === "log_softmax") {
        const p = shown ? net.backShown[String(P)].p[i - 1] : fmt(softmax(Z[L])[i - 1], P);
        const rhs = [op(" = "), sym("p", i), op(" − "), sym("y", i), op(" = "), prose("e^")];
        rhs.push(sym("a", i, L), op(" − "), sym("y", i), op(" = "), num(p), op(" − "), num(yi));
        return [{ head, rhs: [...rhs, op(" = "), num(d)] }, ...notes];
      }
      const a = shownLayer(L, P)[i - 1];
      const aShown = a.includes(" ") ? [op("("), num(a), op(")")] : [num(a)];
      const rhs = [op(" = "), sym("a", i, L), op(" − "), sym("y", i), op(" = "), ...aShown];
      return [{ head, rhs: [...rhs, op(" − "), ...factor(yi), op(" = "), num(d)] }, ...notes];
    }
    const above = layers[j - 1];
    const below = layers[j - 2];
    const units = above.units;
    const width = above.inputs + 1;
    const count = units * (above.gate ? 2 : 1);
    const symbols = (t) => {
      if (t < units) return [thetaSymbol(above, t + 1, i, j), op("·"), sym("δ", t + 1, j + 1)];
      const r = t - units + 1;
      return [sym("Θ", [`gate,${r}`, i], j), op("·"), sym("δ", `gate,${r}`, j + 1)];
    };
    const sentBack = backShown(P, j + 1); // δ^(j+1) as shown
    const products = (t) => {
      const r = t < units ? t : t - units;
      const [w, d2] = t < units ? [above.theta, Delta[j + 1]] : [above.gate, DeltaGate[j + 1]];
      const d2Text = sentBack ? sentBack[t < units ? "delta" : "gate"][r] : fmt(d2[r], P);
      return [num(fmt(w[r * width + i], P)), op("·"), ...factor(d2Text)];
    };
    const eps = sym("ε", i);
    if (below.gate) return swigluLines(j, i, head, symbols, products, count, shown);
    const sentText = () => shown?.sent[i - 1] ?? rounded(Sent[j][i - 1], Err.sent[j][i - 1], P)[0];
    if (below.layerwise) {
      const s = sentText();
      const jacobian =
        below.activation === "softmax"
          ? `p_${i}·(ε_${i} − Σ_k ε_k·p_k)`
          : `ε_${i} − p_${i}·Σ_k ε_k`;
      return [
        {
          head,
          rhs: [op(" = "), eps, op("·"), prose("… with ε = "), op("("), sym("Θ", null, j), op(")")]
            .concat([prose("ᵀ"), sym("δ", null, j + 1), op(": "), eps, op(" = ")])
            .concat(sum(count, symbols)),
        },
        { rhs: [indent, eps, op(" = "), ...sum(count, products), op(" = "), num(s)] },
        { rhs: [op(" = "), prose(jacobian), op(" = "), num(d)] },
        ...notes,
      ];
    }
    const s = sentText();
    const z = shown ? shownZ(j, i)[0] : fmt(Z[j][i - 1], P);
    const prime =
      shown?.prime[i - 1] ??
      fmt(PRIME[below.activation](Z[j][i - 1], unitParams(below.params, i - 1)), P);
    const g = [op("·"), fn("g′"), op("("), sym("z", i, j), op(")")];
    return [
      { head, rhs: [op(" = "), op("("), ...sum(count, symbols), op(")"), ...g] },
      {
        rhs: [op(" = "), op("("), ...sum(count, products), op(")"), op("·"), fn(`${below.symbols[i - 1]}′`)]
          .concat([op("("), num(z), op(")")]),
      },
      { rhs: [op(" = "), ...factor(s), op("·"), ...factor(prime), op(" = "), num(d)] },
      ...notes,
    ];
  }

  /** A SwiGLU unit's two δ: ε·Swish_β(u) for Θ, ε·z·Swish_β′(u) for the gate. */
  function swigluLines(j, i, head, symbols, products, count, shown) {
    const below = layers[j - 2];
    const beta = fmt(below.beta ?? 1, P);
    const b = below.beta ?? 1;
    const [z, u] = [Z[j][i - 1], U[j][i - 1]];
    const text = (key, value) => shown?.[key][i - 1] ?? fmt(value, P);
    const eps = sym("ε", i);
    const sentText = text("sent", Sent[j][i - 1]);
    const e = factor(sentText);
    const swish = `Swish_${beta}`;
    const [zText, uText] = shown ? [shownZ(j, i)[0], first(P, j).u[i - 1]] : [fmt(z, P), fmt(u, P)];
    const gate = [sym("δ", `gate,${i}`, j)];
    const gatePad = " ".repeat(asText(gate).length);
    return [
      {
        head,
        rhs: [op(" = "), eps, op("·"), fn(swish), op("("), sym("u", i, j), op(")"), op(", ")]
          .concat([eps, op(" = "), ...sum(count, symbols)]),
      },
      { rhs: [indent, eps, op(" = "), ...sum(count, products), op(" = "), num(sentText)] },
      {
        rhs: [op(" = "), ...e, op("·"), fn(swish), op("("), num(uText), op(")"), op(" = ")]
          .concat([...e, op("·"), ...factor(text("swish", u * sigmoid(b * u)))])
          .concat([op(" = "), num(text("delta", Delta[j][i - 1]))]),
      },
      {
        head: gate,
        rhs: [op(" = "), eps, op("·"), sym("z", i, j), op("·"), fn(`${swish}′`), op("(")]
          .concat([sym("u", i, j), op(")")]),
      },
      {
        head: [prose(gatePad)],
        rhs: [op(" = "), ...e, op("·"), ...factor(zText), op("·")]
          .concat(factor(text("slope", PRIME.silu(b * u))))
          .concat([op(" = "), num(text("gate", DeltaGate[j][i - 1]))]),
      },
    ];
  }

  const BACKWARD = {
    /** Each unit's δ as the diagram shows it (nothing for the inputs). */
    values() {
      const shown = [null, Array.from(A[1], () => "")];
      for (let j = 2; j <= L; j++)
        shown[j] =
          backShown(SHOWN, j)?.delta ??
          Array.from(Delta[j], (v, i) => rounded(v, Err.delta[j][i], SHOWN)[0]);
      return shown;
    },
    derivation: backDerivation,
    /** J(Θ) for this example and y. */
    output: () => [
      fn("J"),
      op("("),
      fn("Θ"),
      op(")"),
      op(" = "),
      num(pristine && net.backShown ? net.backShown[String(P)].J : fmt(J, P)),
      prose(` (${loss.title}, one example)`),
    ],
    prediction: () => FORWARD.prediction(),
  };

  /** The edges of layer j drawn by ∂J/∂Θ^(j): coloured by its sign, dashed when negative,
   *  as wide as its size in the layer (restyle draws them by Θ again). */
  function restyleGradients(j) {
    const layer = layers[j - 1];
    const { colours, thinnest, widest, dash } = net.drawing;
    const edges = [...document.querySelectorAll(`line[data-edge^="${j},"]`)];
    const values = edges.map((edge) => gradient(...edge.dataset.edge.split(",").map(Number)));
    const biggest = values.reduce((b, v) => Math.max(b, Math.abs(v)), 0) || 1;
    edges.forEach((edge, k) => {
      const [, i, m] = edge.dataset.edge.split(",").map(Number);
      const d = values[k];
      const line = thinnest + ((widest - thinnest) * Math.abs(d)) / biggest;
      edge.setAttribute("stroke", d >= 0 ? colours[0] : colours[1]);
      edge.setAttribute("stroke-width", line.toFixed(2));
      if (d < 0) {
        const [a, b, c, e] = dash;
        const pattern = `${(a + b * line).toFixed(2)} ${(c + e * line).toFixed(2)}`;
        edge.setAttribute("stroke-dasharray", pattern);
      } else edge.removeAttribute("stroke-dasharray");
      const w = layer.theta[(i - 1) * (layer.inputs + 1) + m];
      const theta = asText([thetaSymbol(layer, i, m, j)]);
      const title = `${theta} = ${fmt(w, 6)}, ∂J/∂${theta} = ${fmt(d, 6)}`;
      edge.querySelector("title").textContent = title;
    });
  }

  /** data-delta on each unit and data-d on each edge, while backward has values. */
  function mark() {
    for (const { unit, j, i } of cells) {
      if (j > 1 && Delta.length) unit.dataset.delta = String(Delta[j][i - 1]);
      else delete unit.dataset.delta;
    }
    for (const edge of document.querySelectorAll("line[data-edge]")) {
      const [j, i, m] = edge.dataset.edge.split(",").map(Number);
      if (Delta.length) edge.dataset.d = String(gradient(j, i, m));
      else delete edge.dataset.d;
    }
  }

  let view = FORWARD;

  // ---- The page ----

  const $ = (selector) => document.querySelector(selector);
  const units = [...document.querySelectorAll("[data-layer][data-unit]")];
  const drawn = units.filter((unit) => unit.matches("g"));
  const diagram = $("figure.diagram svg");
  const editor = $("#editor");
  const status = $("#status");
  let current = null; // the unit whose arithmetic is shown

  function show(unit) {
    if (!unit || !A.length) return;
    const lines = view.derivation(Number(unit.dataset.layer), Number(unit.dataset.unit));
    $("#arithmetic").textContent = derivationText(lines);
    $("#derivation").replaceChildren(derivationMath(lines));
  }

  /** Each unit of the diagram (and of the lists of those it leaves out) with its parts. */
  const cells = units.map((unit) => {
    const circle = unit.querySelector("circle.unit");
    const at = (a) => Number(circle?.getAttribute(a));
    return {
      unit,
      j: Number(unit.dataset.layer),
      i: Number(unit.dataset.unit),
      value: unit.querySelector(".value"),
      name: unit.querySelector(".name"),
      ring: unit.querySelector(".ring"),
      label: unit.querySelector(".class"),
      circle,
      cx: at("cx"),
      cy: at("cy"),
      r: at("r"),
    };
  });

  function render() {
    const shown = view.values();
    const k = view.prediction();
    for (const { unit, j, i, value, ring } of cells) {
      unit.dataset.a = String(A[j][i - 1]);
      if (j > 1) unit.dataset.z = String(Z[j][i - 1]);
      value.textContent = shown[j][i - 1];
      if (ring) {
        unit.classList.toggle("predicted", i === k);
        ring.setAttribute("visibility", i === k ? "visible" : "hidden");
      }
    }
    mark();
    if (view === BACKWARD) for (const layer of layers) restyleGradients(layer.j);
    $("#output").replaceChildren(math(view.output()));
    $("[data-prediction]").textContent = String(k);
    $("#class").textContent = net.classes ? ` (${net.classes[k - 1]})` : "";
    fit();
    show(current);
  }

  function recompute() {
    if (invalid.size) return say(`not a number: ${[...invalid].join(", ")}`);
    let error = forward();
    if (!error) {
      const back = backward();
      if (view === BACKWARD) error = back;
    }
    if (error) return say(error);
    say("");
    render();
  }

  /** Show the forward view (every a_i^(j)) or the backward one (every δ_i^(j) and, on the
   *  edges, ∂J/∂Θ). */
  function choose(name) {
    view = name === "backward" ? BACKWARD : FORWARD;
    document.documentElement.dataset.view = name;
    for (const button of document.querySelectorAll("[data-view]"))
      button.setAttribute("aria-pressed", String(button.dataset.view === name));
    if (view === FORWARD) for (const layer of layers) restyle(layer.j);
    const backward = view === BACKWARD;
    for (const { j, name } of cells) {
      if (name && j > 1) name.textContent = (backward ? "δ" : "a") + name.textContent.slice(1);
    }
    const meaning = diagram.querySelector("text.meaning");
    if (meaning)
      meaning.textContent = backward ? "∂J/∂Θ; width ∝ |∂J/∂Θ|" : "weight; width ∝ |weight|";
    $("#command").textContent = name;
    recompute();
  }

  function say(message) {
    status.textContent = message;
    status.hidden = !message;
  }

  /** A weight's edge as `nncalc draw` draws it (svg.stroke): coloured by sign, dashed when
   *  negative, as wide as its size in its layer. */
  function restyle(j) {
    const layer = layers[j - 1];
    const { colours, thinnest, widest, dash } = net.drawing;
    const biggest = layer.theta.reduce((b, w) => Math.max(b, Math.abs(w)), 0) || 1;
    for (const edge of document.querySelectorAll(`line[data-edge^="${j},"]`)) {
      const [, i, m] = edge.dataset.edge.split(",").map(Number);
      const w = layer.theta[(i - 1) * (layer.inputs + 1) + m];
      const width = thinnest + ((widest - thinnest) * Math.abs(w)) / biggest;
      edge.dataset.weight = String(w);
      edge.setAttribute("stroke", w >= 0 ? colours[0] : colours[1]);
      edge.setAttribute("stroke-width", width.toFixed(2));
      if (w < 0) {
        const [a, b, c, d] = dash;
        edge.setAttribute(
          "stroke-dasharray",
          `${(a + b * width).toFixed(2)} ${(c + d * width).toFixed(2)}`,
        );
      } else edge.removeAttribute("stroke-dasharray");
      edge.querySelector("title").textContent =
        `${asText([thetaSymbol(layer, i, m, j)])} = ${fmt(w, 6)}`;
    }
  }

  // ---- Fitting the diagram: unit values at least 14 px in presentation mode ----

  const MIN_VALUE_PX = 14; // the least size of a unit's value on screen, presenting
  const NAME_SIZE = 10; // a_i^(j)'s size in the drawing
  const LEAST = 8; // the least size of a value shrunk to fit its unit (a longer one overflows)
  let scale = 1; // CSS px per unit of the drawing, as last measured

  /** An upper bound of the width of text (svg.text_width). */
  function widthOf(text, size, bold = false) {
    const { em, bold: wider } = net.drawing;
    let sum = 0;
    for (const c of text) sum += em[c] ?? em[""];
    return size * sum * (bold ? wider : 1);
  }

  /** The drawing's viewBox for the mode, and its scale on screen (a layout). */
  function measure() {
    const present = document.documentElement.dataset.mode === "present";
    diagram.setAttribute("viewBox", diagram.dataset[present ? "tight" : "viewBox"]);
    scale = diagram.getScreenCTM()?.a || 1;
    fit();
  }

  /** Each unit's a_i^(j) and value sized to the drawing's scale, its unit as wide as the
   *  value, short of the next unit: the value at least MIN_VALUE_PX on screen when
   *  presenting, else as drawn, shrunk (down to LEAST) to fit. Only writes: no layout. */
  function fit() {
    const present = document.documentElement.dataset.mode === "present";
    const least = Math.ceil((MIN_VALUE_PX / scale) * 100) / 100; // as written, to 2 decimals
    const size = present ? Math.max(net.drawing.valueSize, least) : net.drawing.valueSize;
    const nameSize = present ? Math.max(NAME_SIZE, 11 / scale) : NAME_SIZE;
    const room = Number(diagram.dataset.gapY) / 2 - 4; // the largest radius
    for (const { circle, value, name, ring, label, cx, cy, r: r0 } of cells) {
      if (!circle) continue;
      const wide = widthOf(value.textContent, size, true) + 6;
      const r = Math.min(Math.max(r0, wide / 2), Math.max(room, r0));
      const shown = present || wide <= 2 * r ? size : Math.max(LEAST, (size * 2 * r) / wide);
      set(value, "font-size", shown);
      set(value, "y", cy + 0.75 * shown + 1);
      set(name, "font-size", nameSize);
      set(name, "y", cy - 0.3 * shown - 1);
      set(circle, "r", r);
      if (ring) set(ring, "r", r + 5);
      if (label) set(label, "x", cx + r + 6);
    }
  }

  /** An attribute of the drawing set to a number, if it changes (else nothing to redo). */
  function set(element, name, v) {
    const text = v.toFixed(2);
    if (element.getAttribute(name) !== text) element.setAttribute(name, text);
  }

  /** The drawing's viewBox around what it shows, without its margins, with room for its
   *  units (and the class names beside them) grown as large as fit() can make them. */
  function tight() {
    const grow =
      Number(diagram.dataset.gapY) / 2 +
      1 -
      Number(diagram.querySelector("circle.unit").getAttribute("r"));
    const boxes = [...diagram.querySelectorAll("line, circle, text")].map((e) => {
      const b = e.getBBox();
      if (e.matches("circle.unit"))
        return [b.x - grow, b.y - grow, b.width + 2 * grow, b.height + 2 * grow];
      return [b.x, b.y, b.width + (e.matches("text.class") ? grow : 0), b.height];
    });
    const left = Math.min(...boxes.map((b) => b[0])) - 6;
    const top = Math.min(...boxes.map((b) => b[1])) - 6;
    const right = Math.max(...boxes.map((b) => b[0] + b[2])) + 6;
    const bottom = Math.max(...boxes.map((b) => b[1] + b[3])) + 6;
    return [left, top, right - left, bottom - top].map((v) => v.toFixed(1)).join(" ");
  }

  /** Presentation mode on or off: the stage fills the window (page.css), values grow. */
  function presentation(on) {
    document.documentElement.dataset.mode = on ? "present" : "page";
    $("#present-toggle").setAttribute("aria-pressed", String(on));
    if (!A.length) return;
    measure();
    if (!editor.hidden) placeEditor();
  }

  // ---- Editing x and the weights ----

  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

  /** The data-* key naming what a field edits: data-input, data-theta or data-gate. */
  const keyOf = (field) =>
    ["input", "label", "theta", "gate"].find((k) => field.dataset[k] !== undefined);

  /** The other field of the same number: the editor's of a field in x or a table, and the
   *  other way round (looked for in the editor alone when it is closed or elsewhere). */
  function twinOf(field) {
    const key = keyOf(field);
    const selector = `input[data-${key}="${field.dataset[key]}"]`;
    if (!editor.contains(field)) return editor.hidden ? null : editor.querySelector(selector);
    return [...document.querySelectorAll(selector)].find((f) => !editor.contains(f)) ?? null;
  }

  function edit(field) {
    pristine = false;
    const text = field.value.trim().replace(/^−/, "-");
    const v = NUMBER.test(text) ? Number(text) : NaN;
    const ok = Number.isFinite(v);
    field.setAttribute("aria-invalid", String(!ok));
    const twin = twinOf(field);
    if (twin) {
      twin.value = field.value;
      twin.setAttribute("aria-invalid", String(!ok));
    }
    const name = nameOf(field);
    if (!ok) return invalid.add(name);
    invalid.delete(name);
    const d = field.dataset;
    if (d.input) x[d.input - 1] = v;
    if (d.label) y[d.label - 1] = v;
    const [j, i, m] = (d.theta || d.gate || "").split(",").map(Number);
    if (j) {
      const layer = layers[j - 1];
      (d.theta ? layer.theta : layer.gate)[(i - 1) * (layer.inputs + 1) + m] = v;
      if (d.theta && view === FORWARD) restyle(j);
    }
  }

  /** x_i, Θ_im^(j) or V_im^(j) for a field. */
  function nameOf(field) {
    const d = field.dataset;
    if (d.input) return `x_${d.input}`;
    if (d.label) return `y_${d.label}`;
    const [j, i, m] = (d.theta || d.gate).split(",").map(Number);
    return asText([thetaSymbol(layers[j - 1], i, m, j, d.theta ? "Θ" : "V")]);
  }

  // ---- Editing in place: a unit's row of Θ beside it ----

  let editing = null; // the unit whose row the editor shows

  /** A row of the editor: the symbol it edits, its field, and what it multiplies. */
  function editorField(key, value, label, times) {
    const field = document.createElement("label");
    const input = document.createElement("input");
    input.dataset[key] = value;
    input.value = textOf(key, value);
    input.inputMode = "decimal";
    input.setAttribute("aria-label", asText(label) + (times ? `, times ${asText(times)}` : ""));
    const after = document.createElement("span");
    if (times) after.append(math([op("·"), ...times]));
    else after.textContent = label[0].base === "x" ? "" : "bias";
    field.append(math(label), input, after);
    return field;
  }

  /** What a field of x or Θ holds: as typed in its table, or the value computed with. */
  function textOf(key, value) {
    const typed = document.querySelector(`input[data-${key}="${value}"]`);
    if (typed) return typed.value;
    const [j, i, m] = value.split(",").map(Number);
    const layer = layers[j - 1];
    return String((key === "theta" ? layer.theta : layer.gate)[(i - 1) * (layer.inputs + 1) + m]);
  }

  /** The editor of unit (j, i): x_i for an input unit, else row i of Θ^(j−1) (and of V^(j−1)
   *  for SwiGLU), each weight over the activation it multiplies. */
  function fillEditor(j, i) {
    const title = document.createElement("p");
    title.className = "title";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = "×";
    close.setAttribute("aria-label", "close");
    close.addEventListener("click", () => closeEditor());
    const fields = document.createElement("div");
    fields.className = "fields";
    if (j === 1) {
      title.append(math([sym("a", i, 1), op(" = "), sym("x", i)]));
      fields.append(editorField("input", String(i), [sym("x", i)], null));
    } else {
      const layer = layers[j - 2];
      title.append(
        math([
          sym("a", i, j),
          op(" = "),
          fn("g"),
          op("("),
          sym("Θ", i, j - 1),
          op("·"),
          sym("a", null, j - 1),
          op(")"),
        ]),
      );
      for (const [key, base] of layer.gate
        ? [
            ["theta", "Θ"],
            ["gate", "V"],
          ]
        : [["theta", "Θ"]]) {
        for (let m = 0; m <= layer.inputs; m++) {
          const times = m === 0 ? null : [sym("a", m, j - 1)];
          fields.append(
            editorField(key, `${j - 1},${i},${m}`, [thetaSymbol(layer, i, m, j - 1, base)], times),
          );
        }
      }
    }
    editor.replaceChildren(close, title, fields);
    editor.setAttribute("aria-label", `the weights of ${asText([sym("a", i, j)])}`);
  }

  /** Open the editor beside a unit and focus one of its fields (default: the first). */
  function openEditor(unit, selector = "input") {
    editing = unit;
    fillEditor(Number(unit.dataset.layer), Number(unit.dataset.unit));
    editor.hidden = false;
    placeEditor();
    editor.querySelector(selector)?.focus({ preventScroll: true });
  }

  function closeEditor(refocus = true) {
    if (editor.hidden) return;
    editor.hidden = true;
    editor.replaceChildren();
    if (refocus) editing?.focus({ preventScroll: true });
    editing = null;
  }

  /** The editor (fixed in the window) right of its unit, else left of it, else over it,
   *  within the window; closed when its unit is scrolled out of sight. */
  function placeEditor() {
    const unit = editing.getBoundingClientRect();
    if (unit.bottom < 0 || unit.top > innerHeight) return closeEditor(false);
    const own = editor.getBoundingClientRect();
    const margin = 6;
    let x = unit.right + margin;
    if (x + own.width > innerWidth - margin) x = unit.left - margin - own.width;
    x = Math.max(margin, Math.min(x, innerWidth - margin - own.width));
    let y = unit.top + unit.height / 2 - own.height / 2;
    y = Math.max(margin, Math.min(y, innerHeight - margin - own.height));
    editor.style.left = `${x.toFixed(1)}px`;
    editor.style.top = `${y.toFixed(1)}px`;
  }

  // The weight tables: small ones at once, open; the rows of large ones (in closed
  // <details>) after the load event, in slices (bench/page.py times them), so the page
  // opens and answers edits without a pause. Each slice is parsed apart and added at
  // once. Each table is a <form>: Chromium's autofill scans every field of the page after
  // each insertion, and scans those of a form about 3× faster than unowned ones.
  // <html data-ready> marks when every field is in.
  const OPEN_UP_TO = 400; // weights in a table shown open
  const SLICE = 10000; // weight fields added per slice
  const pending = []; // tables still to fill: {tbody, row (its html), next, rows, width}

  /** Θ^(j) (or the gate's V) as a table of inputs (row i, column m). */
  function table(layer, key, symbol) {
    const { j, units: rows, inputs: n } = layer;
    const weights = key === "theta" ? layer.theta : layer.gate;
    const head = Array.from({ length: n + 1 }, (_, m) => `<th scope="col">${m || "0 (bias)"}</th>`);
    const details = document.createElement("details");
    details.className = "weights";
    details.open = rows * (n + 1) <= OPEN_UP_TO;
    details.innerHTML =
      `<summary>: layer ${j} → layer ${j + 1}, ${rows} × ${n + 1}</summary>` +
      '<form autocomplete="off"><div class="scroll"><table><thead><tr><th scope="col">i \\ m</th>' +
      `${head.join("")}</tr></thead><tbody></tbody></table></div></form>`;
    details.querySelector("summary").prepend(math([sym(symbol, null, j)]));
    const row = (i) => {
      const cells = [];
      for (let m = 0; m <= n; m++) {
        const w = String(weights[(i - 1) * (n + 1) + m]);
        cells.push(`<td><input data-${key}="${j},${i},${m}" value="${w}"></td>`);
      }
      return `<tr><th scope="row">${i}</th>${cells.join("")}</tr>`;
    };
    const job = { tbody: details.querySelector("tbody"), row, next: 1, rows, width: n + 1 };
    if (details.open) addRows(job, Infinity);
    else pending.push(job);
    return details;
  }

  /** Up to ``budget`` fields of a table still to fill (whole rows); the number added. */
  function addRows(job, budget) {
    const html = [];
    let added = 0;
    for (; job.next <= job.rows && added < budget; added += job.width) {
      html.push(job.row(job.next++));
    }
    const parsed = document.createElement("template");
    parsed.innerHTML = `<table><tbody>${html.join("")}</tbody></table>`;
    job.tbody.append(...parsed.content.firstChild.tBodies[0].rows);
    return added;
  }

  /** Add a slice of fields, then yield to the page; all of them when ``now``. */
  function fill(now = false) {
    for (let budget = now ? Infinity : SLICE; pending.length && budget > 0;) {
      budget -= addRows(pending[0], budget);
      if (pending[0].next > pending[0].rows) pending.shift();
    }
    if (!pending.length) document.documentElement.dataset.ready = "";
    else if (!now) setTimeout(fill, 0);
  }

  /** Open the <details> holding a field, and move the focus to it. */
  function reach(selector) {
    if (!$(selector)) fill(true);
    const field = $(selector);
    if (!field) return;
    const details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    field.scrollIntoView({ block: "nearest" });
  }

  function unitOf(field) {
    const d = field.dataset;
    if (d.input) return $(`[data-layer="1"][data-unit="${d.input}"]`);
    const [j, i] = (d.theta || d.gate || "").split(",");
    return j ? $(`[data-layer="${Number(j) + 1}"][data-unit="${i}"]`) : null;
  }

  function highlight(field) {
    for (const edge of document.querySelectorAll("line.hot")) edge.classList.remove("hot");
    if (field?.dataset.theta) $(`line[data-edge="${field.dataset.theta}"]`)?.classList.add("hot");
  }

  function refuse() {
    const missing = layers.find((layer) => !layer.gate && !(layer.activation in G));
    if (!missing) return false;
    const refusal = $("#refusal");
    refusal.textContent =
      `This page cannot compute layer ${missing.j + 1}: its activation ` +
      `'${missing.activation}' is not in the page's table of formulas. ` +
      "Nothing is computed; use nncalc forward.";
    refusal.hidden = false;
    fill(true);
    for (const field of document.querySelectorAll("input")) field.disabled = true;
    return true;
  }

  function start() {
    diagram.dataset.viewBox = diagram.getAttribute("viewBox");
    diagram.dataset.tight = tight();
    for (const layer of layers) {
      $("#thetas").append(table(layer, "theta", "Θ"));
      if (layer.gate) $("#thetas").append(table(layer, "gate", "V"));
    }
    if (refuse()) return;
    document.addEventListener("input", (event) => {
      if (!event.target.matches("[data-input], [data-label], [data-theta], [data-gate]")) return;
      edit(event.target);
      recompute();
    });
    document.addEventListener("submit", (event) => event.preventDefault()); // Enter in a field
    document.addEventListener("focusin", (event) => {
      const unit = event.target.closest("[data-unit]") || unitOf(event.target);
      highlight(event.target);
      if (unit) show((current = unit));
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeEditor();
      const typing = event.target.matches("input, textarea");
      if (
        !typing &&
        (event.key === "p" || event.key === "P") &&
        !event.ctrlKey &&
        !event.metaKey &&
        !event.altKey
      ) {
        presentation(document.documentElement.dataset.mode !== "present");
      }
      if (!typing && (event.key === "b" || event.key === "B") && !loss.refusal) {
        if (!event.ctrlKey && !event.metaKey && !event.altKey)
          choose(view === BACKWARD ? "forward" : "backward");
      }
    });
    for (const unit of units) {
      unit.addEventListener("mouseenter", () => show(unit));
      unit.addEventListener("mouseleave", () => show(current));
      const open = () =>
        unit.matches("g")
          ? openEditor(unit)
          : reach(
              unit.dataset.layer === "1"
                ? `input[data-input="${unit.dataset.unit}"]`
                : `input[data-theta="${unit.dataset.layer - 1},${unit.dataset.unit},0"]`,
            );
      unit.addEventListener("click", open);
      unit.addEventListener("keydown", (event) => {
        if (event.key === "Enter") open();
      });
    }
    for (const edge of document.querySelectorAll("line[data-edge]")) {
      edge.addEventListener("click", () => {
        const [j, i] = edge.dataset.edge.split(",").map(Number);
        openEditor(
          $(`g[data-layer="${j + 1}"][data-unit="${i}"]`),
          `input[data-theta="${edge.dataset.edge}"]`,
        );
      });
    }
    for (const button of document.querySelectorAll("[data-view]"))
      button.addEventListener("click", () => choose(button.dataset.view));
    $("#present-toggle").addEventListener("click", () =>
      presentation(document.documentElement.dataset.mode !== "present"),
    );
    if (location.hash === "#present") presentation(true);
    addEventListener("resize", () => {
      measure();
      if (!editor.hidden) placeEditor();
    });
    addEventListener("scroll", () => editor.hidden || placeEditor(), { passive: true });
    current = units.find((unit) => unit.dataset.layer === String(L)) || null;
    if (net.view === "backward") choose("backward");
    else recompute();
    measure();
    addEventListener("load", () => {
      measure(); // with the fonts loaded
      setTimeout(fill, 0);
    });
  }

  // for scripts and tests: erfc, the number formats, and each activation's parameters
  const activations = Object.fromEntries(Object.entries(G).map(([k, g]) => [k, g.params ?? []]));
  window.nncalcPage = Object.freeze({ erfc, fmt, exact, activations });
  start();
})();
