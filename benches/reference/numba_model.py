#!/usr/bin/env python3
"""Independent Numba implementation of the Biotech Nexus impact model.

The speed peer a performance-minded economist would write next to
numpy_model.py: the same model (docs/model.md section 3 with the stress
parameters and switches of section 2.3 and the after-2035 readings of section
9), compiled with Numba and run in parallel on all cores.

    python3 benches/reference/numba_model.py --config distributions/central.toml \
        -n 1000000 --seed 42 --out /tmp/nb-run
    python3 benches/reference/numba_model.py --self-check

What is borrowed from numpy_model.py (imported, not copied): scenario TOML
parsing with `extends` (`Scenario`), the draws of every distribution family
and the Iman-Conover rank correlation (`sample_scenario`), the point values
(`point_scenario`) and the bands.csv writer (`write_bands`). So for the same
--seed both programs evaluate exactly the same sample.

What is Numba (`@njit(parallel=True)`, cache=False):

- `evaluate_kernel`: the model for every run, `prange` over runs. One run is
  a scalar loop over the 25 years carrying the lasting-growth stock, the GDP
  denominator, the discount factor and the NPV as running values. It writes
  the five band metrics into a (5, 25, N) store (year-major per metric, so
  every (metric, year) column is contiguous) and, when asked (self-check),
  all 13 output lines into a (13, 25, N) array.
- `bands_kernel`: for every (metric, year) column, `prange` over the 125
  columns, the exact quantiles of rank ceil(q N) by in-place partition
  (quickselect, Hoare partition with median-of-three pivots; ranks are
  selected middle first, then each half on its own sub-range), then the mean
  and the sd (ddof 1) about the median.

Monte Carlo prints `numba: compile X s` (the JIT warm-up on a tiny sample,
including start of the thread pool) and `numba: N runs in T s, R runs/s`,
where T covers what numpy_model.py's T covers (sampling with the rank
correlation, evaluation, bands), not start-up, import, TOML parsing, JIT
compilation or CSV writing. `--timings` prints the split per phase on stderr.

All money is EUR million at 2024 prices (docs/model.md section 1).
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpy_model as npm  # noqa: E402  (sampling, TOML, Iman-Conover, CSV writer)

try:
    import numba
    from numba import njit, prange
except ImportError:                                  # pragma: no cover
    print("numba_model.py needs numba (python3 -m pip install numba)", file=sys.stderr)
    sys.exit(2)

NY = 25                      # years 2026..2050
N_ADD = 10                   # lasting additions only in 2026..2035 (docs/model.md 3.3)
N_PHASE = 6
FIRST_YEAR, BASE_YEAR = 2026, 2024
YEARS = np.arange(FIRST_YEAR, FIRST_YEAR + NY)

OUTPUTS = npm.OUTPUTS                    # the 13 lines of baseline.csv, in that order
BAND_METRICS = npm.BAND_METRICS          # gdp_total, gdp_share_pct, jobs, cash_flow, npv_cum
BAND_PCTS = npm.BAND_PCTS                # 5 10 25 50 75 90 95

# Parameter order of the tuple handed to the kernel: the numeric parameters,
# then the three switches (as float codes: index into npm.SWITCHES[name]).
PARAM_ORDER = tuple(npm.NUMERIC_PARAMS) + tuple(npm.SWITCHES)
(P_PSCALE, P_ESCALE, P_ADD, P_MULT, P_SIGMA, P_G, P_SEED, P_LIFE, P_DISP, P_DCOST,
 P_DSALES, P_DYEARS, P_HSHARE, P_SHIFT, P_PERS, P_TAXB, P_MARGIN, P_CORP, P_WAGE,
 P_DTAX, P_RHO, P_VJOB, P_GDP0, P_GAMMA, P_SEEDSW, P_AFTER, P_TAXSW) = range(len(PARAM_ORDER))
assert PARAM_ORDER[P_GAMMA] == "gdp_growth" and PARAM_ORDER[P_SEEDSW] == "lasting_seed"
assert PARAM_ORDER[P_DYEARS] == "drug_sales_years" and PARAM_ORDER[P_TAXSW] == "tax_method"

# rows of the full-output array (self-check), in OUTPUTS order
(O_P, O_R, O_G, O_S, O_D, O_Y, O_SHARE, O_JOBS, O_TAX, O_CF, O_DF, O_DCF, O_NPV) = range(len(OUTPUTS))
assert OUTPUTS[O_NPV] == "npv_cum" and OUTPUTS[O_S] == "gdp_lasting"


# --------------------------------------------------------------------------
# The model, one run per prange iteration
# --------------------------------------------------------------------------

@njit(cache=False)
def _drug_tables(ps, w, s, lag, sh_lo, sh_hi, y_lo, y_hi):
    """Window sums of the drug line per (phase_lag_shift, drug_sales_years) pair.

    Vintage v of phase p (lag L = lag_p + shift) sells in years v+L+1 .. v+L+Y
    (docs/model.md 3.4), so in year t the vintages v in [t-L-Y, t-L-1] sell.
    With CP[k] = sum of the first k schedule values, their schedule sum is
    CP[t-L] - CP[t-L-Y] (indices clipped to 0..25: vintages run over the whole
    public investment schedule). Returns per combination c and year t
        k0[c, t] = sum_p w_p window_p(t),
        k1[c, t] = sum_p w_p (1/s_p - 1) window_p(t),
    so that D_t^gross = m k_P r h / C (k0 + a k1).
    """
    nv = ps.shape[0]
    cp = np.zeros(nv + 1)
    for v in range(nv):
        cp[v + 1] = cp[v] + ps[v]
    ny_c = y_hi - y_lo + 1
    nc = (sh_hi - sh_lo + 1) * ny_c
    k0 = np.zeros((nc, NY))
    k1 = np.zeros((nc, NY))
    for sh in range(sh_lo, sh_hi + 1):
        for ys in range(y_lo, y_hi + 1):
            c = (sh - sh_lo) * ny_c + (ys - y_lo)
            for p in range(N_PHASE):
                lp = lag[p] + sh
                for t in range(NY):
                    hi = min(max(t - lp, 0), nv)
                    lo = min(max(t - lp - ys, 0), nv)
                    win = cp[hi] - cp[lo]
                    k0[c, t] += w[p] * win
                    k1[c, t] += w[p] * (1.0 / s[p] - 1.0) * win
    return k0, k1


@njit(parallel=True, cache=False)
def evaluate_kernel(par, step, ps, rs, w, s, lag, store, full):
    """Evaluate the model for every run.

    par:   tuple of 27 float64 arrays in PARAM_ORDER, each of length N (drawn)
           or 1 (fixed); step[j] is 1 or 0 accordingly (run r reads par[j][r*step[j]]).
    ps, rs: public-investment and enabling-conditions schedules, padded to 25 years.
    w, s, lag: phase weights, public shares, phase lags (6 each).
    store: (5, 25, N) output, the band metrics (BAND_METRICS order).
    full:  (13, 25, N) output of every line (OUTPUTS order), or a (0, 25, 0)
           array to skip it (the Monte Carlo case).
    """
    n = store.shape[2]
    want_full = full.shape[0] > 0

    # whole-number parameters: ranges of the drug-table combinations
    sh_lo, sh_hi = 1 << 30, -(1 << 30)
    y_lo, y_hi = 1 << 30, -(1 << 30)
    lmin = 1 << 30
    for j in range(n if step[P_SHIFT] else 1):
        iv = int(par[P_SHIFT][j])
        sh_lo, sh_hi = min(sh_lo, iv), max(sh_hi, iv)
    for j in range(n if step[P_DYEARS] else 1):
        iv = int(par[P_DYEARS][j])
        y_lo, y_hi = min(y_lo, iv), max(y_hi, iv)
    for j in range(n if step[P_AFTER] else 1):
        if int(par[P_AFTER][j]) == 2:
            lmin = min(lmin, int(par[P_LIFE][j * step[P_LIFE]]))
    if lmin < 1:
        raise ValueError("lasting_life must be at least 1 year")
    k0, k1 = _drug_tables(ps, w, s, lag, sh_lo, sh_hi, y_lo, y_hi)
    ny_c = y_hi - y_lo + 1

    w0 = 0.0
    w1 = 0.0
    for ph in range(N_PHASE):
        w0 += w[ph]
        w1 += w[ph] * (1.0 / s[ph] - 1.0)       # private euros per public euro, summed over phases

    for r in prange(n):
        pscale = par[P_PSCALE][r * step[P_PSCALE]]
        escale = par[P_ESCALE][r * step[P_ESCALE]]
        a = par[P_ADD][r * step[P_ADD]]
        m = par[P_MULT][r * step[P_MULT]]
        sigma = par[P_SIGMA][r * step[P_SIGMA]]
        g = par[P_G][r * step[P_G]]
        seed = par[P_SEED][r * step[P_SEED]]
        life = int(par[P_LIFE][r * step[P_LIFE]])
        keep = 1.0 - par[P_DISP][r * step[P_DISP]]
        dcost = par[P_DCOST][r * step[P_DCOST]]
        dsales = par[P_DSALES][r * step[P_DSALES]]
        dyears = int(par[P_DYEARS][r * step[P_DYEARS]])
        hshare = par[P_HSHARE][r * step[P_HSHARE]]
        shift = int(par[P_SHIFT][r * step[P_SHIFT]])
        gamma = par[P_GAMMA][r * step[P_GAMMA]]
        rho = par[P_RHO][r * step[P_RHO]]
        vjob = par[P_VJOB][r * step[P_VJOB]]
        gdp0 = par[P_GDP0][r * step[P_GDP0]]
        seed_rule = int(par[P_SEEDSW][r * step[P_SEEDSW]]) == 1
        after = int(par[P_AFTER][r * step[P_AFTER]])       # 0 grow, 1 freeze, 2 expire
        if int(par[P_TAXSW][r * step[P_TAXSW]]) == 1:        # wage (Bijlage 8)
            tgs = par[P_WAGE][r * step[P_WAGE]]
            td = par[P_DTAX][r * step[P_DTAX]]
        else:                                                 # kpmg: c tau on G+S, pi kappa on D
            tgs = par[P_PERS][r * step[P_PERS]] * par[P_TAXB][r * step[P_TAXB]]
            td = par[P_MARGIN][r * step[P_MARGIN]] * par[P_CORP][r * step[P_CORP]]

        # 3.1-3.2: G_t^gross = m I_t, I_t = P_t sum_p w_p (1 + a (1/s_p - 1))
        g_per_p = m * pscale * (w0 + a * w1)
        # 3.3: additions A_v = sigma G_v^gross for v = 2026..2035, A_2026 = S0 under `published`
        a_rule = sigma * g_per_p
        a_first = a_rule * ps[0] if seed_rule else seed
        gp = 1.0 + g
        gp_life = gp ** life if after == 2 else 0.0
        # 3.4: D_t^gross = m k_P r h / C (k0 + a k1)
        dscale = m * pscale * dsales * hshare / dcost
        c = (shift - sh_lo) * ny_c + (dyears - y_lo)
        # 3.6-3.7 denominators as running values from 2024
        inv_gp = 1.0 / (1.0 + gamma)
        inv_gdp = 100.0 / gdp0 * inv_gp * inv_gp            # 100 / GDP_2026
        inv_d = 1.0 / (1.0 + rho)
        df = inv_d * inv_d                                    # df_2026 = (1 + rho)^-2
        inv_v = 1.0 / vjob

        s_gross = 0.0
        npv = 0.0
        for t in range(NY):
            # lasting growth S_t^gross
            if t == 0:
                s_gross = a_first
            else:
                inv = gp
                if after == 1 and t >= N_ADD:
                    inv = 1.0                                 # freeze: S_t = S_2035
                s_gross = inv * s_gross
                if t < N_ADD:
                    s_gross += a_rule * ps[t]
                if after == 2:
                    # expire: the vintage of t - life drops out, (1+g)^life grown
                    vx = t - life
                    if vx == 0:
                        s_gross -= a_first * gp_life
                    elif 0 < vx < N_ADD:
                        s_gross -= a_rule * ps[vx] * gp_life
                    if vx >= N_ADD - 1:
                        s_gross = 0.0                         # every vintage has expired
            p_t = pscale * ps[t]
            r_t = escale * rs[t]
            g_t = keep * g_per_p * ps[t]
            s_t = keep * s_gross
            d_t = keep * dscale * (k0[c, t] + a * k1[c, t])
            y = g_t + s_t + d_t
            tax = tgs * (g_t + s_t) + td * d_t
            cf = tax - p_t - r_t
            if t > 0:
                inv_gdp *= inv_gp
                df *= inv_d
            dcf = cf * df
            npv += dcf
            share = y * inv_gdp
            jobs = y * inv_v
            store[0, t, r] = y
            store[1, t, r] = share
            store[2, t, r] = jobs
            store[3, t, r] = cf
            store[4, t, r] = npv
            if want_full:
                full[O_P, t, r] = p_t
                full[O_R, t, r] = r_t
                full[O_G, t, r] = g_t
                full[O_S, t, r] = s_t
                full[O_D, t, r] = d_t
                full[O_Y, t, r] = y
                full[O_SHARE, t, r] = share
                full[O_JOBS, t, r] = jobs
                full[O_TAX, t, r] = tax
                full[O_CF, t, r] = cf
                full[O_DF, t, r] = df
                full[O_DCF, t, r] = dcf
                full[O_NPV, t, r] = npv


# --------------------------------------------------------------------------
# Exact quantiles: in-place selection per column, parallel over columns
# --------------------------------------------------------------------------

@njit(cache=False)
def _heapsort(a, lo, hi):
    """Sort a[lo:hi] in place (heapsort: O(n log n) always, quick to compile)."""
    n = hi - lo
    for start in range(n // 2 - 1, -1, -1):
        _sift_down(a, lo, start, n)
    for end in range(n - 1, 0, -1):
        a[lo], a[lo + end] = a[lo + end], a[lo]
        _sift_down(a, lo, 0, end)


@njit(cache=False)
def _sift_down(a, lo, root, n):
    while True:
        child = 2 * root + 1
        if child >= n:
            return
        if child + 1 < n and a[lo + child] < a[lo + child + 1]:
            child += 1
        if a[lo + root] < a[lo + child]:
            a[lo + root], a[lo + child] = a[lo + child], a[lo + root]
            root = child
        else:
            return


@njit(cache=False)
def _select_budget(n):
    """Partitions allowed before the fallback: 64 + 4 log2(n) (median-of-three
    on these columns needs about 2 log2(n))."""
    budget = 64
    while n > 1:
        budget += 4
        n >>= 1
    return budget


@njit(cache=False)
def _select(a, lo, hi, k, budget):
    """Arrange a[lo:hi] in place so that a[k] is its (k-lo)-th smallest value,
    with a[lo:k] <= a[k] <= a[k+1:hi] (quickselect, Numerical Recipes `select`:
    median-of-three pivot, Hoare partition that stops on equal keys, so ties
    split evenly). If the partitions degenerate (more than `budget` of them;
    never seen here) the remaining range is heapsorted instead: a guard against
    O(n^2), as in introselect."""
    l = lo
    ir = hi - 1
    while True:
        if ir <= l + 1:
            if ir == l + 1 and a[ir] < a[l]:
                a[l], a[ir] = a[ir], a[l]
            return
        budget -= 1
        if budget < 0:
            _heapsort(a, l, ir + 1)
            return
        mid = (l + ir) >> 1
        a[mid], a[l + 1] = a[l + 1], a[mid]
        if a[l] > a[ir]:
            a[l], a[ir] = a[ir], a[l]
        if a[l + 1] > a[ir]:
            a[l + 1], a[ir] = a[ir], a[l + 1]
        if a[l] > a[l + 1]:
            a[l], a[l + 1] = a[l + 1], a[l]
        i = l + 1
        j = ir
        piv = a[l + 1]
        while True:
            i += 1
            while a[i] < piv:
                i += 1
            j -= 1
            while a[j] > piv:
                j -= 1
            if j < i:
                break
            a[i], a[j] = a[j], a[i]
        a[l + 1] = a[j]
        a[j] = piv
        if j >= k:
            ir = j - 1
        if j <= k:
            l = i


@njit(cache=False)
def _select_ranks(a, kth):
    """a[kth[i]] becomes the kth[i]-th smallest for every i (kth sorted, 0-based):
    the middle rank first on the whole column, then each half on its own range."""
    nk = kth.shape[0]
    stack = np.empty((2 * nk + 2, 4), dtype=np.int64)   # (lo, hi, first rank, last rank + 1)
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = 0, a.shape[0], 0, nk
    top = 1
    while top > 0:
        top -= 1
        lo, hi, i0, i1 = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        if i0 >= i1:
            continue
        im = (i0 + i1) >> 1
        k = kth[im]
        if k >= lo and k < hi:
            _select(a, lo, hi, k, _select_budget(hi - lo))
        stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = lo, k, i0, im
        top += 1
        stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = k + 1, hi, im + 1, i1
        top += 1


@njit(parallel=True, cache=False)
def bands_kernel(store, kth, qout, mom):
    """Per (metric, year) column of store (reordered in place): the values of
    ranks kth into qout[metric, year, :], mean and sd (ddof 1) into mom[metric, year, :].
    Mean and sd are taken about the median c (better conditioned; exactly (c, 0)
    for a constant column), summed in blocks of 4096 (pairwise-like accuracy)."""
    nm, ny, n = store.shape
    nk = kth.shape[0]
    med = nk // 2
    for col in prange(nm * ny):
        k = col // ny
        t = col - k * ny
        a = store[k, t]
        _select_ranks(a, kth)
        for i in range(nk):
            qout[k, t, i] = a[kth[i]]
        c = a[kth[med]]
        tot = 0.0
        for b0 in range(0, n, 4096):
            part = 0.0
            for j in range(b0, min(b0 + 4096, n)):
                part += a[j] - c
            tot += part
        mdev = tot / n
        tot = 0.0
        for b0 in range(0, n, 4096):
            part = 0.0
            for j in range(b0, min(b0 + 4096, n)):
                d = a[j] - c - mdev
                part += d * d
            tot += part
        mom[k, t, 0] = c + mdev
        mom[k, t, 1] = math.sqrt(tot / (n - 1)) if n > 1 else np.nan


# --------------------------------------------------------------------------
# Python glue
# --------------------------------------------------------------------------

def kth_ranks(n: int) -> np.ndarray:
    """0-based indices of the ranks ceil(q n), q = pct / 100, in integer arithmetic."""
    return np.array([max((p * n + 99) // 100, 1) - 1 for p in BAND_PCTS], dtype=np.int64)


def pack_params(params: dict):
    """numpy_model's sample (name -> (N,) array or scalar) -> (tuple of float64 arrays, steps)."""
    arrs, steps = [], []
    for name in PARAM_ORDER:
        v = params[name]
        if isinstance(v, str):
            v = npm.SWITCHES[name].index(v)
        if np.ndim(v) == 0:
            arrs.append(np.array([float(v)]))
            steps.append(0)
        else:
            arrs.append(np.ascontiguousarray(v, dtype=np.float64))
            steps.append(1)
    return tuple(arrs), np.array(steps, dtype=np.int64)


def pack_sched(sched: dict):
    ps = np.zeros(NY)
    rs = np.zeros(NY)
    v = np.asarray(sched["public_investment"], dtype=float)[:NY]
    ps[:len(v)] = v
    v = np.asarray(sched["enabling_conditions"], dtype=float)[:NY]
    rs[:len(v)] = v
    w = np.ascontiguousarray(sched["phase_weights"], dtype=float)
    s = np.ascontiguousarray(sched["public_share"], dtype=float)
    lag = np.ascontiguousarray(np.rint(sched["phase_lag"]), dtype=np.int64)
    return ps, rs, w, s, lag


NO_FULL = np.empty((0, NY, 0))


def evaluate(params: dict, sched: dict, n: int, full: bool = False):
    """Run the Numba model on a numpy_model-style sample. Returns (store, full or None)."""
    par, step = pack_params(params)
    for j, name in enumerate(PARAM_ORDER):
        if step[j] and len(par[j]) != n:
            raise ValueError(f"{name}: {len(par[j])} values for {n} runs")
    store = np.empty((len(BAND_METRICS), NY, n))
    out = np.empty((len(OUTPUTS), NY, n)) if full else NO_FULL
    evaluate_kernel(par, step, *pack_sched(sched), store, out)
    return store, (out if full else None)


def bands(store: np.ndarray) -> list[tuple]:
    """bands.csv rows (metric, year, mean, sd, p05..p95); reorders store in place."""
    nm, ny, n = store.shape
    kth = kth_ranks(n)
    q = np.empty((nm, ny, len(kth)))
    mom = np.empty((nm, ny, 2))
    bands_kernel(store, kth, q, mom)
    return [(BAND_METRICS[k], int(YEARS[t]), float(mom[k, t, 0]), float(mom[k, t, 1]),
             *(float(x) for x in q[k, t])) for k in range(nm) for t in range(ny)]


def warm_up(sc) -> float:
    """Compile both kernels (and start the thread pool) on a tiny sample of the same types."""
    t0 = time.perf_counter()
    params = npm.sample_scenario(sc, 64, 1)
    store, _ = evaluate(params, sc.sched, 64, full=False)
    bands(store)
    return time.perf_counter() - t0


def run_monte_carlo(sc, n: int, seed: int, timings: bool = False) -> tuple[list, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    params = npm.sample_scenario(sc, n, seed)
    t1 = time.perf_counter()
    store, _ = evaluate(params, sc.sched, n)
    del params
    t2 = time.perf_counter()
    rows = bands(store)
    t3 = time.perf_counter()
    if timings:
        print(f"timings: sampling + correlation (numpy) {t1 - t0:.3f} s, evaluation {t2 - t1:.3f} s, "
              f"bands {t3 - t2:.3f} s; process CPU time {time.process_time() - c0:.3f} s",
              file=sys.stderr)
    return rows, t3 - t0


# --------------------------------------------------------------------------
# Self-check against numpy_model.py
# --------------------------------------------------------------------------

TOL = 1e-9


def _compare_outputs(label: str, mine: np.ndarray, ref: dict) -> bool:
    """mine: (13, 25, n); ref: name -> (n, 25). Error of each value relative to
    max(|ref|, largest |ref| of that line and year over the runs); a column that
    is zero in every run must be exactly zero."""
    worst, where = 0.0, ""
    ok = True
    for o, name in enumerate(OUTPUTS):
        b = np.asarray(ref[name], dtype=float).T          # (25, n)
        x = mine[o]
        scale = np.abs(b).max(axis=1, keepdims=True)
        zero = scale[:, 0] == 0
        if np.any(x[zero] != 0):
            ok = False
            print(f"  {label}: {name} nonzero where numpy gives 0 in every run")
        denom = np.maximum(np.abs(b), np.where(scale == 0, 1.0, scale))
        err = np.abs(x - b) / denom
        e = float(err.max())
        if not np.all(np.isfinite(x)):
            ok = False
            print(f"  {label}: {name} has non-finite values")
        if e > worst:
            t, r = np.unravel_index(int(err.argmax()), err.shape)
            worst, where = e, f"{name} {FIRST_YEAR + t} run {r}: {float(x[t, r])!r} vs {float(b[t, r])!r}"
    ok &= worst <= TOL
    print(f"  evaluation, 13 lines x 25 years: max rel. error {worst:.2e}"
          f"{'  (' + where + ')' if worst > 0 else ''}  {'ok' if ok else 'DIFFERS'}")
    return ok


def _compare_bands(label: str, mine: list, ref: list, exact: bool) -> bool:
    """Quantiles bitwise equal (exact=True: same data) or within TOL; mean and sd within TOL."""
    a = np.array([r[2:] for r in mine])
    b = np.array([r[2:] for r in ref])
    if [r[:2] for r in mine] != [r[:2] for r in ref]:
        print(f"  {label}: band rows differ in (metric, year)")
        return False
    # scale per metric: largest |value| of that metric's quantiles and means over all years
    scale = np.empty(len(a))
    for k in range(len(BAND_METRICS)):
        sl = slice(k * NY, (k + 1) * NY)
        scale[sl] = max(np.abs(b[sl]).max(), 1e-300)
    qa, qb = a[:, 2:], b[:, 2:]
    if exact:
        nq = int(np.sum(qa != qb))
        qerr = 0.0 if nq == 0 else float(np.max(np.abs(qa - qb) / np.maximum(np.abs(qb), scale[:, None])))
        qok = nq == 0
    else:
        qerr = float(np.max(np.abs(qa - qb) / np.maximum(np.abs(qb), scale[:, None])))
        qok = qerr <= TOL
    merr = float(np.max(np.abs(a[:, 0] - b[:, 0]) / np.maximum(np.abs(b[:, 0]), scale)))
    serr = float(np.max(np.abs(a[:, 1] - b[:, 1]) / np.maximum(np.abs(b[:, 1]), 1e-12 * scale)))
    ok = qok and merr <= TOL and serr <= TOL
    what = "bitwise equal" if exact and qok else f"max rel. error {qerr:.2e}"
    print(f"  bands{label}: quantiles {what}; mean {merr:.2e}, sd {serr:.2e}  {'ok' if ok else 'DIFFERS'}")
    return ok


def _check_select() -> bool:
    """Quickselect against a full sort on awkward columns (ties, sorted, constant, tiny)."""
    rng = np.random.default_rng(7)
    cases = []
    for n in (1, 2, 3, 4, 5, 7, 10, 19, 20, 21, 99, 100, 101, 1000, 4097, 100_003):
        cases += [rng.normal(size=n), rng.integers(0, 3, size=n).astype(float),
                  np.full(n, 2.5), np.arange(n, dtype=float), np.arange(n, 0, -1, dtype=float),
                  np.tile([1.0, 0.0], n)[:n], np.sort(rng.integers(0, 50, size=n)).astype(float)]
    nm = 5
    bad = 0
    for col in cases:
        n = len(col)
        store = np.broadcast_to(col, (nm, NY, n)).copy()
        store[1] *= -1.0                                  # a mirrored copy too
        ref = [np.sort(store[k, 0]) for k in range(nm)]
        kth = kth_ranks(n)
        q = np.empty((nm, NY, len(kth)))
        mom = np.empty((nm, NY, 2))
        bands_kernel(store, kth, q, mom)
        for k in range(nm):
            if not np.array_equal(q[k, :, :], np.broadcast_to(ref[k][kth], (NY, len(kth)))):
                bad += 1
            if not np.array_equal(np.sort(store[k, 3]), ref[k]):   # a permutation, nothing lost
                bad += 1
    # the heapsort fallback, forced by a zero partition budget
    for col in cases[::3]:
        x = col.copy()
        k = len(x) // 3
        _select(x, 0, len(x), k, 0)
        if not np.array_equal(x, np.sort(col)):
            bad += 1
    ok = bad == 0
    print(f"quickselect vs sort on {len(cases)} awkward columns (n = 1 .. 100,003), "
          f"and its heapsort fallback: {'ok' if ok else f'{bad} MISMATCHES'}")
    return ok


def _check_point(path: str) -> bool:
    """kpmg-point at its point values against the docs/model.md section 5 figures (numpy_model's table)."""
    sc = npm.Scenario(path)
    point = npm.point_scenario(sc)
    res = {}
    for method in ("kpmg", "wage"):
        _, full = evaluate(dict(point, tax_method=method), sc.sched, 1, full=True)
        res[method] = full
    ok = True
    for label, out, year, want, method in npm.SELF_CHECK:
        got = float(res[method][OUTPUTS.index(out), year - FIRST_YEAR, 0])
        ok &= round(got) == want
    for y, want in ((2026, 2460), (2030, 6862), (2035, 11322)):
        got = float(res["kpmg"][O_G, y - FIRST_YEAR, 0] + res["kpmg"][O_S, y - FIRST_YEAR, 0])
        ok &= round(got) == want
    print(f"kpmg-point point values vs docs/model.md section 5 ({len(npm.SELF_CHECK) + 3} figures): "
          f"{'ok' if ok else 'DIFFERS'}")
    return ok


def self_check(n: int = 2000, seed: int = 2024, big: int = 100_000) -> bool:
    dist_dir = os.path.normpath(os.path.join(HERE, "..", "..", "distributions"))
    t0 = time.perf_counter()
    ok = _check_select()
    ok &= _check_point(os.path.join(dist_dir, "kpmg-point.toml"))
    t1 = time.perf_counter()
    print(f"(compile + checks so far {t1 - t0:.1f} s)")
    files = sorted(glob.glob(os.path.join(dist_dir, "*.toml")))
    for path in files:
        name = os.path.basename(path)
        sc = npm.Scenario(path)
        params = npm.sample_scenario(sc, n, seed)
        ref = npm.evaluate(params, sc.sched, n)                       # name -> (n, 25)
        store, full = evaluate(params, sc.sched, n, full=True)
        print(f"{name}: {n} runs (seed {seed})")
        ok &= _compare_outputs(name, full, ref)
        # the store (MC path) must equal the full lines it duplicates
        same = all(np.array_equal(store[k], full[OUTPUTS.index(m)]) for k, m in enumerate(BAND_METRICS))
        ok &= same
        if not same:
            print("  store and full outputs disagree")
        # exact quantiles on the same data (numpy's evaluation): must be bitwise equal
        ref_store = np.stack([np.ascontiguousarray(np.asarray(ref[m]).T) for m in BAND_METRICS])
        ok &= _compare_bands(" on numpy's values", bands(ref_store.copy()), npm.band_rows(ref_store.copy()), True)
        # end to end: numba evaluation + numba bands vs numpy evaluation + numpy bands
        ok &= _compare_bands(" end to end", bands(store), npm.band_rows(ref_store), False)
    # one larger Monte Carlo, end to end through both drivers (central)
    sc = npm.Scenario(os.path.join(dist_dir, "central.toml"))
    rows_nb, _ = run_monte_carlo(sc, big, 42)
    rows_np, _ = npm.run_monte_carlo(sc, big, 42)
    print(f"central.toml: {big:,} runs end to end (run_monte_carlo of both, seed 42)")
    ok &= _compare_bands("", rows_nb, rows_np, False)
    print(f"self-check {'PASSED' if ok else 'FAILED'} (tolerance {TOL:g} relative; "
          f"numba {numba.__version__}, {numba.get_num_threads()} threads, layer {numba.threading_layer()})")
    return ok


# --------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="scenario TOML file")
    ap.add_argument("-n", type=float, default=1_000_000, help="Monte Carlo runs (1e6 allowed)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", help="output directory (created if missing)")
    ap.add_argument("--timings", action="store_true", help="print the time of each phase to stderr")
    ap.add_argument("--self-check", action="store_true",
                    help="compare evaluation and exact quantiles with numpy_model.py on every "
                         "distributions/*.toml; exit 1 on any mismatch")
    args = ap.parse_args(argv)
    if args.self_check:
        return 0 if self_check() else 1
    if not args.config or not args.out:
        ap.error("--config and --out are required")
    try:
        sc = npm.Scenario(args.config)
    except (OSError, ValueError, KeyError, npm.tomllib.TOMLDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n = int(args.n)
    if n < 1 or n != args.n:
        print(f"error: -n must be a whole number of runs >= 1, got {args.n}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    compile_s = warm_up(sc)
    print(f"numba: compile {compile_s:.3f} s ({numba.get_num_threads()} threads, "
          f"layer {numba.threading_layer()}, cache off)")
    rows, secs = run_monte_carlo(sc, n, args.seed, args.timings)
    npm.write_bands(os.path.join(args.out, "bands.csv"), rows)
    print(f"numba: {n} runs in {secs:.3f} s, {n / secs:.0f} runs/s")   # plain numbers, easy to parse
    return 0


if __name__ == "__main__":
    sys.exit(main())
