#!/usr/bin/env python3
"""Independent NumPy implementation of the Biotech Nexus impact model.

A speed peer and cross-check for the Rust engine `nexus-mc`. Written only from
docs/model.md (the model), docs/scenarios.md (names, stress parameters,
switches, bands.csv) and the scenario TOML files, without reading the Rust
sources. Python 3.11 + NumPy only.

    python3 benches/reference/numpy_model.py --config distributions/central.toml \
        -n 1000000 --seed 42 --out /tmp/np-run
    python3 benches/reference/numpy_model.py --config distributions/kpmg-point.toml \
        --baseline --out /tmp/np-base
    python3 benches/reference/numpy_model.py --self-check     # kpmg-point vs docs/model.md section 5

Monte Carlo prints `numpy: N runs in T s, R runs/s`; T covers sampling (with
the rank correlation), evaluation and bands, not start-up, TOML parsing or CSV
writing. `--timings` adds the split per phase on stderr. Single-threaded.

What it implements: the model of docs/model.md section 3 with the stress
parameters and switches (`evaluate`); every distribution family of the README
(`sample_param`, medians in `median_param`); Iman-Conover rank correlation over
the whole sample (`iman_conover`); bands with exact quantiles of rank
ceil(q N) (`band_rows`).

Layout: internally every yearly quantity is a (25, N) array (year-major, so
that one year of all runs is contiguous and the per-year loop works on
contiguous (N,) rows); the public `evaluate` returns (N, 25) views (.T).

All money is EUR million at 2024 prices (docs/model.md section 1).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tomllib

import numpy as np

FIRST_YEAR, LAST_YEAR = 2026, 2050
YEARS = np.arange(FIRST_YEAR, LAST_YEAR + 1)
NY = len(YEARS)                     # 25
N_INVEST = 10                       # 2026..2035 carry the schedules (docs/model.md s.1)
BASE_YEAR = 2024                    # discounting and GDP growth from 2024 (docs/model.md sections 2.2 and 3.7)

OUTPUTS = (
    "public_investment", "enabling_conditions", "gdp_investment", "gdp_lasting",
    "gdp_drugs", "gdp_total", "gdp_share_pct", "jobs", "tax", "cash_flow",
    "discount_factor", "discounted_cash_flow", "npv_cum",
)
BAND_METRICS = ("gdp_total", "gdp_share_pct", "jobs", "cash_flow", "npv_cum")
BAND_PCTS = (5, 10, 25, 50, 75, 90, 95)

# Canonical scalar parameters (docs/scenarios.md section 4).
NUMERIC_PARAMS = (
    "public_investment_scale", "enabling_scale", "additionality", "multiplier",
    "lasting_share", "sector_growth", "lasting_seed_2026", "lasting_life",
    "displacement", "drug_cost", "drug_sales", "drug_sales_years",
    "nl_production_share", "phase_lag_shift", "personnel_share", "tax_burden",
    "profit_margin", "corporate_tax", "wage_tax_rate", "drug_tax_rate",
    "discount_rate", "value_added_per_job", "gdp_base", "gdp_growth",
)
# Whole-number parameters: drawn values are rounded to the nearest integer
# (the shipped files use `choice` over integers for them, so this is a no-op there).
INTEGER_PARAMS = ("lasting_life", "drug_sales_years", "phase_lag_shift")
# Structural switches, plan default first (docs/scenarios.md); carried as small int codes.
SWITCHES = {
    "lasting_seed": ("published", "rule"),
    "after_2035": ("grow", "freeze", "expire"),
    "tax_method": ("kpmg", "wage"),
}
SCHEDULES = ("public_investment", "enabling_conditions", "phase_weights",
             "public_share", "phase_lag")


# --------------------------------------------------------------------------
# Scenario files
# --------------------------------------------------------------------------

def load_scenario(path: str) -> dict:
    """Read a scenario TOML, resolving `[scenario] extends` recursively.

    The child starts from the parent (same directory, name + ".toml") and
    replaces whole `[parameters.X]` / `[schedules.X]` entries it redefines;
    `[[correlation]]` and `[[claim]]` arrays in the child replace the parent's.
    """
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    parent_name = doc.get("scenario", {}).get("extends")
    if parent_name:
        parent = load_scenario(os.path.join(os.path.dirname(path) or ".", parent_name + ".toml"))
    else:
        parent = {"scenario": {}, "parameters": {}, "schedules": {}}
    merged = {
        "scenario": {**parent.get("scenario", {}), **doc.get("scenario", {})},
        "parameters": {**parent.get("parameters", {}), **doc.get("parameters", {})},
        "schedules": {**parent.get("schedules", {}), **doc.get("schedules", {})},
    }
    for key in ("correlation", "claim"):
        if key in doc:
            merged[key] = doc[key]
        elif key in parent:
            merged[key] = parent[key]
    return merged


class Scenario:
    """Parsed scenario: schedules (fixed vectors), distributions, correlations."""

    def __init__(self, path: str):
        doc = load_scenario(path)
        self.path = path
        self.name = doc["scenario"].get("name", os.path.basename(path))
        missing = [k for k in NUMERIC_PARAMS + tuple(SWITCHES) if k not in doc["parameters"]]
        missing += [k for k in SCHEDULES if k not in doc["schedules"]]
        if missing:
            raise ValueError(f"{path}: missing entries: {', '.join(missing)}")
        unknown = [k for k in doc["parameters"] if k not in NUMERIC_PARAMS + tuple(SWITCHES)]
        unknown += [k for k in doc["schedules"] if k not in SCHEDULES]
        if unknown:
            raise ValueError(f"{path}: unknown entries: {', '.join(unknown)}")
        self.sched = {k: np.asarray(doc["schedules"][k]["values"], dtype=float) for k in SCHEDULES}
        self.dists = {k: doc["parameters"][k] for k in NUMERIC_PARAMS + tuple(SWITCHES)}
        self.correlations = doc.get("correlation", [])


# --------------------------------------------------------------------------
# Normal distribution helpers (NumPy has no erf / ndtri)
# --------------------------------------------------------------------------

_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155833025e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709921115e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00)


def norm_ppf_approx(p: np.ndarray) -> np.ndarray:
    """Vectorised inverse standard normal CDF (Acklam, relative error < 1.2e-9).

    Used for van der Waerden scores (Iman-Conover) and truncated-normal draws,
    where that accuracy is ample.
    """
    p = np.asarray(p, dtype=float)
    x = np.empty_like(p)
    lo, hi = p < 0.02425, p > 1 - 0.02425
    mid = ~(lo | hi)
    q = p[mid] - 0.5
    r = q * q
    num = ((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]
    den = ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1
    x[mid] = num * q / den
    for mask, sign in ((lo, 1.0), (hi, -1.0)):
        pp = p[mask] if sign > 0 else 1 - p[mask]
        q = np.sqrt(-2 * np.log(pp))
        num = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
        den = (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1
        x[mask] = sign * num / den
    return x


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def norm_ppf(p: float) -> float:
    """Scalar inverse normal CDF to full double precision (Acklam + Newton steps)."""
    x = float(norm_ppf_approx(np.array([p]))[0])
    for _ in range(3):
        x -= (norm_cdf(x) - p) * math.sqrt(2 * math.pi) * math.exp(0.5 * x * x)
    return x


Z90 = norm_ppf(0.9)   # 1.2815515655446004


# --------------------------------------------------------------------------
# Beta helpers for medians (scalar; no SciPy)
# --------------------------------------------------------------------------

def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1 - math.exp(lbt) * _betacf(b, a, 1 - x) / b


def beta_ppf(p: float, a: float, b: float) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(200):             # bisection to machine precision
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if beta_cdf(mid, a, b) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------
# Distributions (key names as in README "Families, in the user's terms")
# --------------------------------------------------------------------------

def _family(spec: dict) -> str:
    return spec.get("dist", "fixed")


def _pert_ab(spec: dict) -> tuple[float, float, float, float]:
    lo, mo, hi = spec["min"], spec["mode"], spec["max"]
    lam = spec.get("lambda", 4.0)
    return lo, hi, 1 + lam * (mo - lo) / (hi - lo), 1 + lam * (hi - mo) / (hi - lo)


def _beta_ab(spec: dict) -> tuple[float, float, float, float]:
    """Beta on [min, max] (default [0, 1]) from (alpha, beta) or (mean, sd).

    mean and sd are in the variable's own units (they are rescaled to [0, 1]);
    this is my reading of "mean and sd ... optional min and max".
    """
    lo, hi = spec.get("min", 0.0), spec.get("max", 1.0)
    if "alpha" in spec:
        return lo, hi, float(spec["alpha"]), float(spec["beta"])
    mu = (spec["mean"] - lo) / (hi - lo)
    sd = spec["sd"] / (hi - lo)
    nu = mu * (1 - mu) / sd ** 2 - 1
    if nu <= 0:
        raise ValueError(f"beta: sd {spec['sd']} too large for mean {spec['mean']}")
    return lo, hi, mu * nu, (1 - mu) * nu


def _lognormal_musigma(spec: dict) -> tuple[float, float]:
    if "median" in spec:
        mu = math.log(spec["median"])
        return mu, (math.log(spec["p90"]) - mu) / Z90
    m, s = spec["mean"], spec["sd"]       # mean and sd of the variable itself
    s2 = math.log1p((s / m) ** 2)
    return math.log(m) - 0.5 * s2, math.sqrt(s2)


def _choice_pw(spec: dict) -> tuple[list, np.ndarray]:
    vals = list(spec["values"])
    w = np.asarray(spec.get("weights", [1.0] * len(vals)), dtype=float)
    return vals, w / w.sum()


def _encode(name: str, values: list) -> np.ndarray:
    """Switch strings -> int codes; numbers stay numbers."""
    if name in SWITCHES:
        return np.array([SWITCHES[name].index(v) for v in values], dtype=np.int8)
    return np.asarray(values, dtype=float)


def sample_param(name: str, spec: dict, n: int, rng: np.random.Generator):
    """n draws of one parameter; a fixed parameter returns a 0-d value (broadcast later)."""
    fam = _family(spec)
    if fam == "fixed":
        v = spec["value"]
        return _encode(name, [v])[0] if name in SWITCHES else float(v)
    if fam == "choice":
        vals, w = _choice_pw(spec)
        return _encode(name, vals)[rng.choice(len(vals), size=n, p=w)]
    if fam == "empirical":
        vals = _encode(name, list(spec["values"]))
        return vals[rng.integers(0, len(vals), size=n)]
    if name in SWITCHES:
        raise ValueError(f"{name}: a switch takes `fixed` or `choice`, not {fam}")
    if fam == "uniform":
        x = rng.uniform(spec["min"], spec["max"], size=n)
    elif fam == "triangular":
        x = rng.triangular(spec["min"], spec["mode"], spec["max"], size=n)
    elif fam == "pert":
        lo, hi, a, b = _pert_ab(spec)
        x = lo + (hi - lo) * rng.beta(a, b, size=n)
    elif fam == "beta":
        lo, hi, a, b = _beta_ab(spec)
        x = lo + (hi - lo) * rng.beta(a, b, size=n)
    elif fam == "normal":
        x = rng.normal(spec["mean"], spec["sd"], size=n)
    elif fam == "truncnormal":
        x = _truncnormal(spec, n, rng)
    elif fam == "lognormal":
        mu, sg = _lognormal_musigma(spec)
        x = rng.lognormal(mu, sg, size=n)
    else:
        raise ValueError(f"{name}: unknown distribution family {fam!r}")
    return np.rint(x) if name in INTEGER_PARAMS else x


def _truncnormal(spec: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    m, s = spec["mean"], spec["sd"]
    a, b = spec.get("min", -math.inf), spec.get("max", math.inf)
    pa, pb = norm_cdf((a - m) / s), norm_cdf((b - m) / s)
    if pb - pa > 0.2:                                   # rejection: exact
        out = np.empty(n)
        filled = 0
        while filled < n:
            k = int((n - filled) / (pb - pa) * 1.1) + 16
            x = rng.normal(m, s, size=k)
            x = x[(x >= a) & (x <= b)][: n - filled]
            out[filled:filled + len(x)] = x
            filled += len(x)
        return out
    u = rng.uniform(pa, pb, size=n)                     # inverse CDF (Acklam)
    return np.clip(m + s * norm_ppf_approx(u), a, b)


def median_param(name: str, spec: dict):
    """Point value = median (inverse CDF at 0.5) of the distribution.

    For discrete families (`choice`, `empirical`) the median is the smallest
    value whose cumulative weight reaches 0.5 (the rank ceil(q n) convention of
    the bands), with numbers in ascending order and switches in listed order.
    """
    fam = _family(spec)
    if fam == "fixed":
        v = spec["value"]
        return _encode(name, [v])[0] if name in SWITCHES else float(v)
    if fam in ("choice", "empirical"):
        if fam == "choice":
            vals, w = _choice_pw(spec)
        else:
            vals = list(spec["values"])
            w = np.full(len(vals), 1 / len(vals))
        if name not in SWITCHES:
            order = np.argsort(np.asarray(vals, dtype=float), kind="stable")
            vals, w = [vals[i] for i in order], w[order]
        i = int(np.argmax(np.cumsum(w) >= 0.5 - 1e-12))
        return _encode(name, [vals[i]])[0] if name in SWITCHES else float(vals[i])
    if fam == "uniform":
        x = 0.5 * (spec["min"] + spec["max"])
    elif fam == "triangular":
        lo, mo, hi = spec["min"], spec["mode"], spec["max"]
        if (mo - lo) / (hi - lo) >= 0.5:
            x = lo + math.sqrt(0.5 * (hi - lo) * (mo - lo))
        else:
            x = hi - math.sqrt(0.5 * (hi - lo) * (hi - mo))
    elif fam in ("pert", "beta"):
        lo, hi, a, b = _pert_ab(spec) if fam == "pert" else _beta_ab(spec)
        x = lo + (hi - lo) * beta_ppf(0.5, a, b)
    elif fam == "normal":
        x = float(spec["mean"])
    elif fam == "truncnormal":
        m, s = spec["mean"], spec["sd"]
        pa = norm_cdf((spec.get("min", -math.inf) - m) / s)
        pb = norm_cdf((spec.get("max", math.inf) - m) / s)
        x = m + s * norm_ppf(0.5 * (pa + pb))
    elif fam == "lognormal":
        x = math.exp(_lognormal_musigma(spec)[0])
    else:
        raise ValueError(f"{name}: unknown distribution family {fam!r}")
    return float(round(x)) if name in INTEGER_PARAMS else x


def iman_conover(params: dict, correlations: list, rng: np.random.Generator) -> None:
    """Impose Spearman rank correlations on the whole sample, in place (Iman & Conover 1982).

    van der Waerden scores Phi^-1(i/(N+1)), independently permuted per variable;
    Pearson target 2 sin(pi rho / 6) for Spearman rho; the scores are whitened by
    their own sample correlation (Cholesky) and coloured by the target's
    Cholesky factor; each variable's sorted values are then reordered by the
    ranks of its transformed scores. Marginals are unchanged.
    """
    if not correlations:
        return
    names: list[str] = []
    for c in correlations:
        for v in c["between"]:
            if v not in names:
                names.append(v)
    k = len(names)
    n = None
    for v in names:
        if np.ndim(params[v]) == 1:
            n = len(params[v])
    if n is None or n < 3:
        return                                   # nothing random to reorder
    target = np.eye(k)
    for c in correlations:
        i, j = (names.index(v) for v in c["between"])
        target[i, j] = target[j, i] = 2 * math.sin(math.pi * c["rank"] / 6)
    scores = norm_ppf_approx(np.arange(1, n + 1) / (n + 1))
    s = np.empty((k, n))                         # one row per variable (contiguous)
    for j in range(k):
        s[j] = rng.permutation(scores)
    e = np.corrcoef(s)                           # the scores' own sample correlation
    q = np.linalg.cholesky(e)                    # E = Q Q^T
    p = np.linalg.cholesky(target)               # target = P P^T
    t = (p @ np.linalg.inv(q)) @ s               # whitened, then coloured: corr(t) = target
    del s
    for j, v in enumerate(names):
        x = params[v]
        if np.ndim(x) == 0:
            continue                             # a fixed value: nothing to reorder
        out = np.empty_like(x)
        out[np.argsort(t[j])] = np.sort(x)       # rank r of the score gets the r-th smallest value
        params[v] = out


def sample_scenario(sc: Scenario, n: int, seed: int) -> dict:
    """Draw n parameter sets: dict name -> (n,) array (or a scalar for fixed ones)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    params = {}
    for name in NUMERIC_PARAMS + tuple(SWITCHES):        # fixed order -> reproducible
        params[name] = sample_param(name, sc.dists[name], n, rng)
    iman_conover(params, sc.correlations, rng)
    return params


def point_scenario(sc: Scenario) -> dict:
    return {name: median_param(name, sc.dists[name]) for name in NUMERIC_PARAMS + tuple(SWITCHES)}


# --------------------------------------------------------------------------
# The model (docs/model.md section 3, with the stress parameters and switches of section 2.3)
# --------------------------------------------------------------------------

def _pad(v: np.ndarray) -> np.ndarray:
    """Schedule for 2026..2035, then 0 (docs/model.md sections 2.2 and 9)."""
    out = np.zeros(NY)
    out[: min(len(v), NY)] = v[:NY]
    return out


def evaluate(params: dict, sched: dict, n: int, outputs=OUTPUTS, out: dict | None = None) -> dict:
    """Evaluate the model for n parameter sets at once.

    params: name -> scalar or (n,) array for every canonical parameter; the
            switches as int codes (index into SWITCHES[name]) or as strings.
    sched:  the five schedules as arrays (Scenario.sched).
    outputs: names to produce; out: optional name -> (25, n) arrays to write
            into (the Monte Carlo driver passes views of its store).
    Returns name -> (n, 25) array (a transposed view of a (25, n) array).

    Fixed parameters stay 0-d, so NumPy broadcasting does the work once instead
    of n times. The loop runs over the 25 years; every line inside acts on all
    runs at once. Products are regrouped (e.g. displacement and tax rates are
    folded into one factor, GDP growth and discounting are carried as running
    products), so results equal the literal formulas to rounding (~1e-15).
    """
    def num(name):
        return np.asarray(params[name], dtype=float)

    def code(name):
        v = params[name]
        if isinstance(v, str):
            v = SWITCHES[name].index(v)
        return np.asarray(v, dtype=np.int8)

    p_sched = _pad(sched["public_investment"])
    r_sched = _pad(sched["enabling_conditions"])
    w = sched["phase_weights"]
    s = sched["public_share"]
    lag = sched["phase_lag"].astype(int)

    pscale, escale = num("public_investment_scale"), num("enabling_scale")
    a = num("additionality")
    m = num("multiplier")
    sigma, g = num("lasting_share"), num("sector_growth")
    keep = 1.0 - num("displacement")       # displacement scales G, S, D and Y (docs/scenarios.md)

    # --- investment-driven GDP (docs/model.md 3.1-3.2: I = P sum_p w_p / s_p, G = m I).
    # Additionality a scales the private part: total investment per public euro
    # is sum_p w_p + a sum_p w_p (1/s_p - 1)  (= 1 + L = 3.4952 at a = 1).
    w0 = w.sum()
    w1 = (w * (1 / s - 1)).sum()
    g_per_p = m * (w0 + a * w1) * pscale   # G_t = g_per_p * schedule P_t (undisplaced)

    # --- lasting growth S (docs/model.md 3.3 and anomaly A; after 2035: section 9).
    # Additions A_t = sigma G_t for 2026..2035, except A_2026 = lasting_seed_2026
    # (394) under `published`. Recursion S_t = (1+g) S_{t-1} + A_t on undisplaced values.
    a_rule = sigma * g_per_p               # A_t = a_rule * schedule P_t (rule)
    a0 = np.where(code("lasting_seed") == 0, num("lasting_seed_2026"), a_rule * p_sched[0])
    delta0 = a0 - a_rule * p_sched[0]      # A_v = a_rule P_v + delta0 [v = 2026]
    after = code("after_2035")
    gp = 1.0 + g
    # freeze: S stays at its 2035 value = the same recursion with factor 1 after 2035
    # (A_t = 0 then), so it costs nothing extra.
    gp_post = np.where(after == 1, 1.0, gp) if (after == 1).any() else gp
    any_expire = bool((after == 2).any())
    if any_expire:
        # expire: S_t = sum_{v <= t, t - v < life} A_v (1+g)^(t-v), run as the grow
        # recursion minus the vintage that reaches its life:
        #   S_t = (1+g) S_{t-1} + A_t - A_{t-life} (1+g)^life.
        # A_{t-life} is looked up in small tables indexed by t - life (zero
        # outside 2026..2035); non-expire runs get factor 0.
        life = num("lasting_life").astype(np.int64)
        is_exp = after == 2
        if np.where(is_exp, life, 1).min() < 1:
            raise ValueError("lasting_life must be at least 1 year")
        cx = np.where(is_exp, gp ** life, 0.0)
        cxa, cxd = cx * a_rule, cx * delta0
        off = int(life.max())
        tab_p = np.zeros(off + NY)                        # tab_p[j + off] = schedule P_j
        tab_p[off:off + N_INVEST] = p_sched[:N_INVEST]
        tab_e = np.zeros(off + NY)                        # indicator of vintage 2026
        tab_e[off] = 1.0
        base = off - life
        # after the last vintage has expired S is exactly 0, not a rounding residue
        # the last vintage (index 9) lives through index 9 + life - 1, so from index 9 + life on S = 0
        dead_year = np.where(is_exp, life + N_INVEST - 1, -1)
        dead_years = set(np.unique(dead_year).tolist())

    # --- drug line (docs/model.md 3.4 and anomaly C): vintage v of phase p sells in
    # years v+L_p+1 .. v+L_p+Y, L_p = lag_p + phase_lag_shift, Y = drug_sales_years:
    #   D_t = sum_p sum_v m I_{p,v} / C * r * h,   I_{p,v} = P_v w_p (1 + a (1/s_p - 1)).
    # The sum of P_v over that window is scale * (CP[t-L_p] - CP[t-L_p-Y]) with
    # CP[k] the sum of the first k schedule values (k clipped to 0..10), so
    #   D_t = m / C * r * h * scale * (K0_t + a K1_t),
    #   K0_t = sum_p w_p window_p(t),  K1_t = sum_p w_p (1/s_p - 1) window_p(t).
    # Shift and Y are whole numbers, so K0, K1 are tabulated once per (shift, Y)
    # pair (20 pairs for central) and each run picks its column.
    shift = num("phase_lag_shift").astype(np.int64)
    ysales = num("drug_sales_years").astype(np.int64)
    sh_lo, sh_hi = int(shift.min()), int(shift.max())
    y_lo, y_hi = int(ysales.min()), int(ysales.max())
    ny_c = y_hi - y_lo + 1
    ncombo = (sh_hi - sh_lo + 1) * ny_c
    cp = np.concatenate(([0.0], np.cumsum(p_sched[:N_INVEST])))
    k0 = np.zeros((NY, ncombo))
    k1 = np.zeros((NY, ncombo))
    ti = np.arange(NY)
    for sh in range(sh_lo, sh_hi + 1):
        for ys in range(y_lo, y_hi + 1):
            c = (sh - sh_lo) * ny_c + (ys - y_lo)
            for wp, sp, lp in zip(w, s, lag):
                hi = np.clip(ti - (lp + sh), 0, N_INVEST)
                lo = np.clip(ti - (lp + sh) - ys, 0, N_INVEST)
                win = cp[hi] - cp[lo]
                k0[:, c] += wp * win
                k1[:, c] += wp * (1 / sp - 1) * win
    combo = (shift - sh_lo) * ny_c + (ysales - y_lo)
    single = ncombo == 1
    dc0 = m / num("drug_cost") * num("drug_sales") * num("nl_production_share") * pscale
    dc1 = dc0 * a

    # --- taxes on the displaced G, S, D (docs/model.md 3.7; Bijlage 8 for `wage`)
    wage = code("tax_method") == 1
    ktg = keep * np.where(wage, num("wage_tax_rate"), num("personnel_share") * num("tax_burden"))
    ktd = keep * np.where(wage, num("drug_tax_rate"), num("profit_margin") * num("corporate_tax"))

    # --- denominators: GDP_t = base (1+gdp_growth)^(t-2024), df_t = (1+rho)^-(t-2024),
    # carried from year to year as running products.
    g_inv = 1.0 / (1.0 + num("gdp_growth"))
    share_f = 100.0 / num("gdp_base") * g_inv ** (FIRST_YEAR - BASE_YEAR)   # 100 / GDP_2026
    d_inv = 1.0 / (1.0 + num("discount_rate"))
    df = d_inv ** (FIRST_YEAR - BASE_YEAR)
    job_f = 1.0 / num("value_added_per_job")

    res = {}
    for name in outputs:
        if name not in OUTPUTS:
            raise ValueError(f"unknown output {name}")
        res[name] = out[name] if out is not None and name in out else np.empty((NY, n))

    def row(name, i):
        return res[name][i] if name in res else None

    s_run = a0                         # S_2026 (undisplaced)
    npv = 0.0
    for i in range(NY):                # year t = 2026 + i
        if i > 0:
            s_run = (gp if i < N_INVEST else gp_post) * s_run
            if i < N_INVEST:
                s_run = s_run + a_rule * p_sched[i]
            if any_expire:
                idx = base + i
                s_run = s_run - (cxa * tab_p.take(idx) + cxd * tab_e.take(idx))
                if i in dead_years:
                    s_run = np.where(dead_year == i, 0.0, s_run)
        g_t = g_per_p * p_sched[i]
        if single:
            d_t = dc0 * k0[i, 0] + dc1 * k1[i, 0]
        else:
            d_t = dc0 * k0[i].take(combo) + dc1 * k1[i].take(combo)
        gs = g_t + s_run
        y = np.multiply(keep, gs + d_t, out=row("gdp_total", i))          # Y = (1-d)(G+S+D)
        tax = ktg * gs + ktd * d_t
        p_t = pscale * p_sched[i]
        r_t = escale * r_sched[i]
        cf = np.subtract(tax, p_t + r_t, out=row("cash_flow", i))          # CF = tax - P - R
        if i > 0:
            share_f = share_f * g_inv
            df = df * d_inv
        dcf = cf * df
        npv = np.add(npv, dcf, out=row("npv_cum", i))
        if "gdp_share_pct" in res:
            np.multiply(y, share_f, out=res["gdp_share_pct"][i])        # 100 Y / GDP_t
        if "jobs" in res:
            np.multiply(y, job_f, out=res["jobs"][i])                   # Y / value added per job
        for name, val in (("public_investment", p_t), ("enabling_conditions", r_t),
                          ("gdp_investment", g_t), ("gdp_lasting", s_run), ("gdp_drugs", d_t),
                          ("tax", tax), ("discount_factor", df), ("discounted_cash_flow", dcf)):
            if name in res:
                res[name][i] = val
    for name in ("gdp_investment", "gdp_lasting", "gdp_drugs"):
        if name in res:
            res[name] *= keep                  # the displaced output lines
    return {name: v.T for name, v in res.items()}


# --------------------------------------------------------------------------
# Monte Carlo driver and bands
# --------------------------------------------------------------------------

def select_ranks(col: np.ndarray, ks: list[int]) -> None:
    """Arrange col in place so that col[k] is its k-th smallest value (0-based) for every k in ks.

    Nested single-rank np.partition calls (introselect, SIMD in NumPy 2): the
    middle rank first, then each half on its own sub-range. Together about three
    passes over the data, roughly half the time of a full sort.
    """
    def rec(lo: int, hi: int, ks: list[int]) -> None:
        if not ks:
            return
        mid = len(ks) // 2
        k = ks[mid]
        col[lo:hi].partition(k - lo)
        rec(lo, k, ks[:mid])              # ranks below k lie in [lo, k)
        rec(k + 1, hi, ks[mid + 1:])      # ranks above k lie in (k, hi)

    rec(0, len(col), sorted(set(ks)))


def band_rows(store: np.ndarray) -> list[tuple]:
    """mean, sd (ddof=1) and quantiles of rank ceil(q N) for every metric and year.

    store: (len(BAND_METRICS), 25, N); each column is reordered in place.
    """
    n = store.shape[2]
    # rank ceil(q n), in exact integer arithmetic (q = pct / 100); 0-based index rank-1
    kth = [max((pct * n + 99) // 100, 1) - 1 for pct in BAND_PCTS]
    rows = []
    dev = np.empty(n)                       # one scratch buffer, reused
    for k, metric in enumerate(BAND_METRICS):
        for i, year in enumerate(YEARS):
            col = store[k, i]
            select_ranks(col, kth)
            # mean and sd about a shift c (the median): better conditioned, and
            # exactly (c, 0) when every run gives the same value (kpmg-point)
            c = col[kth[3]]
            np.subtract(col, c, out=dev)
            mdev = dev.mean()
            mean = c + mdev
            dev -= mdev
            sd = math.sqrt(float(np.dot(dev, dev)) / (n - 1)) if n > 1 else float("nan")
            rows.append((metric, int(year), float(mean), float(sd), *(float(col[j]) for j in kth)))
    return rows


def run_monte_carlo(sc: Scenario, n: int, seed: int, batch: int = 1 << 17,
                    timings: bool = False) -> tuple[list, float]:
    """Sample, evaluate in batches and compute bands; returns (rows, seconds).

    Memory: the exact quantiles keep every value of the five band metrics,
    5 x 25 x N float64 = 1,000 bytes per run (1 GB at 1 M runs, 10 GB at 10 M),
    plus the drawn parameters (18 drawn in central: 16 float64 + 2 int8 switches,
    about 130 bytes per run, 1.3 GB at 10 M; fixed ones stay scalars), freed
    before the bands, and Iman-Conover scratch for the k correlated columns
    (about 3 x 8 x k bytes per run, briefly). Per batch the evaluation holds
    only (batch,) rows, ~30 of them (~30 MB at 2^17 runs), and the bands one
    N-long scratch row. Measured: central at 10 M runs peaks at 11.2 GB RSS
    (/usr/bin/time -v), so 10 M fit a 24 GiB machine; the limit is about 20 M.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    params = sample_scenario(sc, n, seed)
    t1 = time.perf_counter()
    # exact quantiles: every value of the five band metrics, year-major per metric
    store = np.empty((len(BAND_METRICS), NY, n))
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        sub = {k: (v[start:stop] if np.ndim(v) == 1 else v) for k, v in params.items()}
        evaluate(sub, sc.sched, stop - start, outputs=BAND_METRICS,
                 out={mname: store[j, :, start:stop] for j, mname in enumerate(BAND_METRICS)})
    del params, sub                 # (the batch views keep the parameter arrays alive)
    t2 = time.perf_counter()
    rows = band_rows(store)
    t3 = time.perf_counter()
    if timings:
        print(f"timings: sampling + correlation {t1 - t0:.3f} s, evaluation {t2 - t1:.3f} s, "
              f"bands {t3 - t2:.3f} s; process CPU time {time.process_time() - c0:.3f} s",
              file=sys.stderr)
    return rows, t3 - t0


def write_bands(path: str, rows: list) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("metric,year,mean,std,p05,p10,p25,p50,p75,p90,p95\n")
        for r in rows:
            fh.write(",".join([r[0], str(r[1])] + [repr(x) for x in r[2:]]) + "\n")


def write_baseline(path: str, res: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("year," + ",".join(OUTPUTS) + "\n")
        for i, year in enumerate(YEARS):
            fh.write(",".join([str(int(year))] + [repr(float(res[o][0, i])) for o in OUTPUTS]) + "\n")


# docs/model.md section 5, "With the formulas above": the figures kpmg-point must give, to the unit
# (EUR m; jobs a head count), and the Tabel 2 cells that reproduce to the published rounding.
SELF_CHECK = (
    ("Y 2035", "gdp_total", 2035, 12601, "kpmg"),
    ("NPV 2026-2035", "npv_cum", 2035, 1477, "kpmg"),
    ("D 2030", "gdp_drugs", 2030, 246, "kpmg"),
    ("D 2035", "gdp_drugs", 2035, 1279, "kpmg"),
    ("jobs 2035", "jobs", 2035, 21002, "kpmg"),
    ("alternative-tax NPV 2026-2035", "npv_cum", 2035, 10287, "wage"),
    ("S 2026", "gdp_lasting", 2026, 394, "kpmg"),
    ("S 2030", "gdp_lasting", 2030, 2730, "kpmg"),
    ("S 2035", "gdp_lasting", 2035, 7191, "kpmg"),
    ("CF 2026", "cash_flow", 2026, -60, "kpmg"),
    ("CF 2030", "cash_flow", 2030, 84, "kpmg"),
    ("CF 2035", "cash_flow", 2035, 681, "kpmg"),
    ("discounted CF 2035", "discounted_cash_flow", 2035, 503, "kpmg"),
)


def self_check(path: str) -> bool:
    """Evaluate kpmg-point and compare with docs/model.md section 5 (rounded to the unit)."""
    sc = Scenario(path)
    point = point_scenario(sc)
    res = {"kpmg": evaluate(dict(point, tax_method="kpmg"), sc.sched, 1),
           "wage": evaluate(dict(point, tax_method="wage"), sc.sched, 1)}
    ok = True
    for label, out, year, want, method in SELF_CHECK:
        got = float(res[method][out][0, year - FIRST_YEAR])
        hit = round(got) == want
        ok &= hit
        print(f"{label:32s} {got:14.4f}  model.md {want:>7,}  {'ok' if hit else 'DIFFERS'}")
    gs = {y: float(res["kpmg"]["gdp_investment"][0, y - FIRST_YEAR] + res["kpmg"]["gdp_lasting"][0, y - FIRST_YEAR])
          for y in (2026, 2030, 2035)}
    for y, want in ((2026, 2460), (2030, 6862), (2035, 11322)):
        hit = round(gs[y]) == want
        ok &= hit
        print(f"{'G+S ' + str(y):32s} {gs[y]:14.4f}  model.md {want:>7,}  {'ok' if hit else 'DIFFERS'}")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="scenario TOML file")
    ap.add_argument("-n", type=float, default=1_000_000, help="Monte Carlo runs (1e6 allowed)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", help="output directory (created if missing)")
    ap.add_argument("--baseline", action="store_true",
                    help="evaluate the point values (every parameter at its median) once; write baseline.csv")
    ap.add_argument("--batch", type=int, default=1 << 17,
                    help="runs per evaluation batch (2^17: one (batch,) row of float64 is 1 MiB, about an L2 cache)")
    ap.add_argument("--timings", action="store_true", help="print the time of each phase to stderr")
    ap.add_argument("--self-check", action="store_true",
                    help="compare kpmg-point (or --config) with the docs/model.md section 5 figures; exit 1 if any differs")
    args = ap.parse_args(argv)
    if args.self_check:
        here = os.path.dirname(os.path.abspath(__file__))
        path = args.config or os.path.join(here, "..", "..", "distributions", "kpmg-point.toml")
        return 0 if self_check(path) else 1
    if not args.config or not args.out:
        ap.error("--config and --out are required")
    try:
        sc = Scenario(args.config)
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    if args.baseline:
        point = point_scenario(sc)
        res = evaluate(point, sc.sched, 1)
        write_baseline(os.path.join(args.out, "baseline.csv"), res)
        return 0
    n = int(args.n)
    if n < 1 or n != args.n:
        print(f"error: -n must be a whole number of runs >= 1, got {args.n}", file=sys.stderr)
        return 2
    rows, secs = run_monte_carlo(sc, n, args.seed, args.batch, args.timings)
    write_bands(os.path.join(args.out, "bands.csv"), rows)
    print(f"numpy: {n} runs in {secs:.3f} s, {n / secs:.0f} runs/s")   # plain numbers, easy to parse
    return 0


if __name__ == "__main__":
    sys.exit(main())
