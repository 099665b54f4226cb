"""Numba kernels of the grid engine (compiled on first use, cached on disk).

Every kernel works on one strip of grid rows ("tile") and releases the GIL, so that
tiles run in parallel threads.  Coordinates are *grid pixel coordinates*: column ``x`` and
row ``y`` with cell ``(row j, column k)`` covering ``[k, k+1) x [j, j+1)`` and its centre at
``(k + 0.5, j + 0.5)``.

Polygons (units, footprint polygons) are given as flat vertex arrays ``xs, ys`` with, per
geometry, a range ``[v0, v1)`` of vertices; ``last[i]`` is True when vertex ``i`` ends a
ring (there is no edge from it to vertex ``i + 1``).  Rings are closed.

Two quantities are scanned from the edges, per row of a geometry's bounding box:

* the *winding number* at each cell centre (non-zero = the centre is inside), by a
  difference array over the columns: an edge crossing the row's centre line at ``x_c``
  adds its direction (+1 / -1) to every cell whose centre lies right of ``x_c``;
* the *exact area* of the geometry inside each cell (Green's theorem): for an edge piece
  lying in the row and in column ``m``, the area it contributes to cell ``k`` is
  ``dy`` for ``k < m``, ``(mean x - m) * dy`` for ``k = m``, 0 for ``k > m``; the pieces of a
  closed ring add up to 0 over a row, so ``area[k] = P[k] - sum(S[:k + 1])`` with
  ``P[m] += (mean x - m) * dy`` and ``S[m] += dy``.  This is the coverage fraction that
  exactextract computes.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_jit = njit(nogil=True, cache=True)  # tiles run in threads: release the GIL

FULL = 1.0 - 1e-9  # a cell at least this much inside a unit is wholly inside
EMPTY = 1e-9  # a cell at most this much inside a unit is outside (rounding)


# --------------------------------------------------------------------------- hash table
@_jit
def _slot(u, p, mask):
    h = np.uint64(u) * np.uint64(0x9E3779B97F4A7C15) ^ (p * np.uint64(0xC2B2AE3D27D4EB4F))
    h ^= h >> np.uint64(29)
    return np.int64(h & np.uint64(mask))


@_jit
def _insert(tu, tp, tc, tq, u, p, c, q):
    """Add (c, q) to key (u, p); return 1 if a new key was created."""
    mask = tu.shape[0] - 1
    i = _slot(u, p, mask)
    while True:
        if tu[i] == -1:
            tu[i] = u
            tp[i] = p
            tc[i] = c
            tq[i] = q
            return 1
        if tu[i] == u and tp[i] == p:
            tc[i] += c
            tq[i] += q
            return 0
        i = (i + 1) & mask


@_jit
def _grow(tu, tp, tc, tq):
    cap = tu.shape[0] * 2
    nu = np.full(cap, -1, np.int64)
    np_ = np.zeros(cap, np.uint64)
    nc = np.zeros(cap, np.float64)
    nq = np.zeros(cap, np.float64)
    for i in range(tu.shape[0]):
        if tu[i] != -1:
            _insert(nu, np_, nc, nq, tu[i], tp[i], tc[i], tq[i])
    return nu, np_, nc, nq


# --------------------------------------------------------------------------- polygon scan
@_jit
def _deposit(prow, srow, xa, xb, dy, ca0, nc):
    """Area contributions of an edge piece from x=xa to x=xb (dy signed) within one row."""
    lo = min(xa, xb)
    hi = max(xa, xb)
    m0 = math.floor(lo)
    m1 = math.floor(hi)
    if m1 > m0 and hi == m1:
        m1 -= 1
    if m0 == m1:
        k = min(max(m0 - ca0, 0), nc - 1)
        prow[k] += (0.5 * (xa + xb) - m0) * dy
        srow[k] += dy
        return
    span = hi - lo
    for m in range(m0, m1 + 1):
        cl = max(lo, m)
        ch = min(hi, m + 1.0)
        dyp = dy * (ch - cl) / span
        k = min(max(m - ca0, 0), nc - 1)
        prow[k] += (0.5 * (cl + ch) - m) * dyp
        srow[k] += dyp


@_jit
def _scan(xs, ys, last, v0, v1, ra, rb, ca0, nc, wind, prow, srow, want_area):
    """Fill winding (and area) difference arrays of one geometry over rows [ra, rb).

    ``wind`` is (rb - ra, nc + 1) int32; ``prow``, ``srow`` (rb - ra, nc) float64.
    """
    for i in range(v0, v1 - 1):
        if last[i]:
            continue
        x0 = xs[i]
        y0 = ys[i]
        x1 = xs[i + 1]
        y1 = ys[i + 1]
        if y0 == y1:
            continue
        ylo = min(y0, y1)
        yhi = max(y0, y1)
        if yhi <= ra or ylo >= rb:
            continue
        up = y1 > y0
        d = 1 if up else -1
        slope = (x1 - x0) / (y1 - y0)
        # winding at the centre lines y = j + 0.5 with ylo <= y < yhi
        j0 = max(ra, math.ceil(ylo - 0.5))
        j1 = min(rb, math.ceil(yhi - 0.5))
        for j in range(j0, j1):
            xc = x0 + (j + 0.5 - y0) * slope
            k = math.floor(xc - 0.5) + 1 - ca0
            k = min(max(k, 0), nc)
            wind[j - ra, k] += d
        if want_area:
            ya_ = max(ylo, ra)
            yb_ = min(yhi, rb)
            for j in range(math.floor(ya_), math.ceil(yb_)):
                s_lo = max(ya_, j)
                s_hi = min(yb_, j + 1.0)
                if s_hi <= s_lo:
                    continue
                if up:
                    ya = s_lo
                    yb = s_hi
                else:
                    ya = s_hi
                    yb = s_lo
                _deposit(
                    prow[j - ra],
                    srow[j - ra],
                    x0 + (ya - y0) * slope,
                    x0 + (yb - y0) * slope,
                    yb - ya,
                    ca0,
                    nc,
                )


# --------------------------------------------------------------------------- footprints
@_jit
def _jacobian(jl, step, x, y):
    """Pixel -> metre Jacobian (de/dx, de/dy, dn/dx, dn/dy) at pixel (x, y), bilinear."""
    ny = jl.shape[1]
    nx = jl.shape[2]
    if nx == 1 and ny == 1:
        return jl[0, 0, 0], jl[1, 0, 0], jl[2, 0, 0], jl[3, 0, 0]
    gx = min(max(x / step, 0.0), nx - 1.0)
    gy = min(max(y / step, 0.0), ny - 1.0)
    i = min(int(gx), nx - 2)
    j = min(int(gy), ny - 2)
    tx = gx - i
    ty = gy - j
    w00 = (1 - tx) * (1 - ty)
    w01 = tx * (1 - ty)
    w10 = (1 - tx) * ty
    w11 = tx * ty
    return (
        _mix(jl[0], j, i, w00, w01, w10, w11),
        _mix(jl[1], j, i, w00, w01, w10, w11),
        _mix(jl[2], j, i, w00, w01, w10, w11),
        _mix(jl[3], j, i, w00, w01, w10, w11),
    )


@_jit
def _mix(a, j, i, w00, w01, w10, w11):
    return a[j, i] * w00 + a[j, i + 1] * w01 + a[j + 1, i] * w10 + a[j + 1, i + 1] * w11


@_jit
def _root(j0, j1, j2, j3, dy, r, side):
    """Column offset where the metric distance along the row reaches r (side -1 / +1)."""
    a = j0 * j0 + j2 * j2
    b = (j0 * j1 + j2 * j3) * dy
    c = (j1 * j1 + j3 * j3) * dy * dy - r * r
    disc = b * b - a * c
    if disc < 0:
        return np.nan
    return (-b + side * math.sqrt(disc)) / a


@_jit
def burn_discs(
    bits,
    r0,
    idx,
    cx,
    cy,
    radius,
    mask,
    row_lo,
    row_hi,
    sector,
    ux,
    uy,
    cos_half,
    jl,
    step,
    terrain,
    tbits,
    toffset,
    trow0,
    tcol0,
    tnrows,
    tncols,
    tsite,
    tspx,
    tspy,
    tcw,
    tch,
):
    """OR each station's bit into the cells whose centre lies in its disc or wedge.

    ``bits`` is the tile (rows r0 .. r0 + h); ``idx`` the stations to burn.  The distance
    from the station to a cell centre is measured in metres with the Jacobian of the grid
    -> metric mapping at their midpoint (exact when the mapping is affine).

    With ``terrain``, a cell of the disc or wedge is burned only where the station's
    terrain mask reaches it (``t*``: :meth:`geocov.terrain.StationMasks.lookup_arrays`,
    station ``s`` of the engine being station ``s`` of the masks), looked up at the cell
    centre's metric offset from the station (the lookup of
    :func:`geocov.terrain._kernels.reached_at_offset`, inlined).
    """
    h, w = bits.shape
    varying = jl.shape[1] > 1 or jl.shape[2] > 1
    inv_cw = 1.0 / tcw
    inv_ch = 1.0 / tch
    base = np.int64(0)
    wnr = wnc = np.int64(0)
    wx = wy = 0.0
    for qq in range(idx.shape[0]):
        s = idx[qq]
        m = mask[s]
        r = radius[s]
        for j in range(max(r0, row_lo[s]), min(r0 + h, row_hi[s])):
            dy = j + 0.5 - cy[s]
            ym = cy[s] + 0.5 * dy
            j0, j1, j2, j3 = _jacobian(jl, step, cx[s], ym)
            lo = _root(j0, j1, j2, j3, dy, r, -1.0)
            if lo != lo:
                continue
            hi = _root(j0, j1, j2, j3, dy, r, 1.0)
            if varying:  # Jacobian at the midpoint of each end of the span
                k0, k1, k2, k3 = _jacobian(jl, step, cx[s] + 0.5 * lo, ym)
                t = _root(k0, k1, k2, k3, dy, r, -1.0)
                if t == t:
                    lo = t
                k0, k1, k2, k3 = _jacobian(jl, step, cx[s] + 0.5 * hi, ym)
                t = _root(k0, k1, k2, k3, dy, r, 1.0)
                if t == t:
                    hi = t
            c0 = max(math.ceil(cx[s] + lo - 0.5), 0)  # centres on the circle are inside
            c1 = min(math.floor(cx[s] + hi - 0.5), w - 1)
            if c1 < c0:  # the span lies left or right of the grid
                continue
            row = bits[j - r0]
            if not sector[s] and not terrain:
                span = row[c0 : c1 + 1]  # from 0: no negative-index checks, vectorised
                for k in range(span.shape[0]):
                    span[k] |= m
                continue
            if terrain:  # the station's mask window (reached_at_offset's lookup, inlined)
                site = tsite[s]
                base = toffset[site]
                wnr = tnrows[site]
                wnc = tncols[site]
                wx = tspx[s] - tcol0[site]  # the station in window pixels
                wy = tspy[s] - trow0[site]
            for k in range(c0, c1 + 1):
                dx = k + 0.5 - cx[s]
                if varying and sector[s]:  # the bearing with the Jacobian at the midpoint
                    j0, j1, j2, j3 = _jacobian(jl, step, cx[s] + 0.5 * dx, ym)
                # (a disc's terrain lookup keeps the row's Jacobian: along a row it barely
                # varies, and a DEM cell is tens of metres)
                e = j0 * dx + j1 * dy
                n = j2 * dx + j3 * dy
                if sector[s]:
                    dot = e * ux[s] + n * uy[s]
                    if dot < math.sqrt(e * e + n * n) * cos_half[s] - 1e-9 * r:
                        continue
                if terrain:
                    lj = int(math.floor(wx + e * inv_cw))
                    li = int(math.floor(wy - n * inv_ch))
                    if li < 0 or lj < 0 or li >= wnr or lj >= wnc:
                        continue
                    q = li * wnc + lj
                    if (tbits[base + (q >> 3)] >> (q & 7)) & 1 == 0:
                        continue
                row[k] |= m


@_jit
def burn_polygons(bits, r0, idx, xs, ys, last, vstart, vend, xmin, xmax, ymin, ymax, mask):
    """OR each polygon's bit into the cells whose centre it contains (GDAL's rule)."""
    h, w = bits.shape
    dummy = np.zeros((1, 1), np.float64)
    for q in range(idx.shape[0]):
        g = idx[q]
        ra = max(r0, math.floor(ymin[g]))
        rb = min(r0 + h, math.ceil(ymax[g]))
        if rb <= ra:
            continue
        ca0 = math.floor(xmin[g])
        nc = math.floor(xmax[g]) - ca0 + 1
        wind = np.zeros((rb - ra, nc + 1), np.int32)
        _scan(xs, ys, last, vstart[g], vend[g], ra, rb, ca0, nc, wind, dummy, dummy, False)
        m = mask[g]
        for jj in range(rb - ra):
            row = bits[ra + jj - r0]
            acc = 0
            for k in range(nc):
                acc += wind[jj, k]
                gk = ca0 + k
                if acc != 0 and 0 <= gk < w:
                    row[gk] |= m


# --------------------------------------------------------------------------- sums
@_jit
def _pop_at(pop, f, inv_f2, nodata, jj, k):
    if pop.shape[0] == 0:
        return 0.0
    v = pop[jj // f, k // f]
    if not (v > 0) or v == nodata or not (v < np.inf):
        return 0.0
    return v * inv_f2


@_jit
def _ensure(tu, tp, tc, tq, n, extra):
    """Grow the table so that ``extra`` more keys keep it at most half full."""
    while (n + extra) * 2 > tu.shape[0]:
        tu, tp, tc, tq = _grow(tu, tp, tc, tq)
    return tu, tp, tc, tq


@_jit
def _unit_row(
    tu,
    tp,
    tc,
    tq,
    labels,
    bits,
    pop,
    f,
    inv_f2,
    nodata,
    unit_bits,
    g,
    tj,
    ca0,
    nc,
    wind,
    prow,
    srow,
    exact,
):
    """Classify one row of a unit's bounding box; return the number of new keys."""
    w = bits.shape[1]
    n = 0
    acc = 0.0
    wn = 0
    for k in range(nc):
        wn += wind[k]
        gk = ca0 + k
        if exact:
            acc += srow[k]
            v = prow[k] - acc
            if v <= EMPTY or gk < 0 or gk >= w:
                continue
            if v >= FULL and labels[tj, gk] < 0:
                labels[tj, gk] = g
                continue
            if v >= FULL:
                v = 1.0
            p = np.uint64(bits[tj, gk])
            n += _insert(tu, tp, tc, tq, g, p, v, v * _pop_at(pop, f, inv_f2, nodata, tj, gk))
            if wn != 0:
                unit_bits[g] |= p
        elif wn != 0 and 0 <= gk < w:
            labels[tj, gk] = g
    return n


@_jit
def _runs_row(tu, tp, tc, tq, labels, bits, pop, f, inv_f2, nodata, unit_bits, tj, lo, hi):
    """Sum the runs of equal (unit, pattern) of one row's columns [lo, hi); return the
    number of new keys."""
    n = 0
    cu = np.int64(-1)
    cp = np.uint64(0)
    cc = 0.0
    cq = 0.0
    lrow = labels[tj, lo:hi]
    brow = bits[tj, lo:hi]
    w = hi - lo
    prow = pop[tj, lo:hi] if f == 1 and pop.shape[0] else pop[0, 0:0]
    for k in range(w + 1):
        if k < w:
            u = np.int64(lrow[k])
            p = np.uint64(brow[k])
        else:
            u = np.int64(-1)
            p = np.uint64(0)
        if u != cu or p != cp:
            if cu >= 0:
                n += _insert(tu, tp, tc, tq, cu, cp, cc, cq)
                unit_bits[cu] |= cp
            cu = u
            cp = p
            cc = 0.0
            cq = 0.0
        if u >= 0:
            cc += 1.0
            if f == 1:
                if prow.shape[0]:
                    v = prow[k]
                    if v > 0 and v != nodata and v < np.inf:
                        cq += v
            else:
                cq += _pop_at(pop, f, inv_f2, nodata, tj, lo + k)
    return n


@_jit
def tile_sums(
    bits,
    r0,
    pop,
    f,
    nodata,
    idx,
    xs,
    ys,
    last,
    vstart,
    vend,
    xmin,
    xmax,
    ymin,
    ymax,
    orient,
    exact,
    n_units,
):
    """Cells and population of one tile summed per (unit, bit pattern).

    ``pop`` holds the population pixels of the tile (row 0 = tile row 0 // f), or has no
    rows.  With ``exact`` cells a unit boundary crosses count with the exact fraction of
    their area inside each unit; otherwise wholly to the unit holding their centre (the
    last unit in ``idx`` order, as GDAL burns).  Returns the used hash slots (unit,
    pattern, cells, population) and, per unit, the OR of the patterns of the cells whose
    centre it holds.
    """
    h, w = bits.shape
    inv_f2 = 1.0 / (f * f)
    labels = np.full((h, w), -1, np.int32)
    cap = 1 << 12
    tu = np.full(cap, -1, np.int64)
    tp = np.zeros(cap, np.uint64)
    tc = np.zeros(cap, np.float64)
    tq = np.zeros(cap, np.float64)
    n = 0
    unit_bits = np.zeros(n_units, np.uint64)
    row_lo = np.full(h, w, np.int64)  # columns of each row that units reach
    row_hi = np.zeros(h, np.int64)
    for q in range(idx.shape[0]):
        g = idx[q]
        ra = max(r0, math.floor(ymin[g]))
        rb = min(r0 + h, math.ceil(ymax[g]))
        if rb <= ra:
            continue
        ca0 = math.floor(xmin[g])
        nc = math.floor(xmax[g]) - ca0 + 1
        for jj in range(ra - r0, rb - r0):
            row_lo[jj] = max(min(row_lo[jj], ca0), 0)
            row_hi[jj] = min(max(row_hi[jj], ca0 + nc), w)
        wind = np.zeros((rb - ra, nc + 1), np.int32)
        if exact:
            prow = np.zeros((rb - ra, nc), np.float64)
            srow = np.zeros((rb - ra, nc), np.float64)
        else:
            prow = np.zeros((1, 1), np.float64)
            srow = prow
        _scan(xs, ys, last, vstart[g], vend[g], ra, rb, ca0, nc, wind, prow, srow, exact)
        if exact and orient < 0:
            prow *= -1.0
            srow *= -1.0
        for jj in range(rb - ra):
            if exact:
                tu, tp, tc, tq = _ensure(tu, tp, tc, tq, n, nc)
                n += _unit_row(
                    tu,
                    tp,
                    tc,
                    tq,
                    labels,
                    bits,
                    pop,
                    f,
                    inv_f2,
                    nodata,
                    unit_bits,
                    g,
                    ra + jj - r0,
                    ca0,
                    nc,
                    wind[jj],
                    prow[jj],
                    srow[jj],
                    True,
                )
            else:
                _unit_row(
                    tu,
                    tp,
                    tc,
                    tq,
                    labels,
                    bits,
                    pop,
                    f,
                    inv_f2,
                    nodata,
                    unit_bits,
                    g,
                    ra + jj - r0,
                    ca0,
                    nc,
                    wind[jj],
                    prow[0],
                    srow[0],
                    False,
                )
    for tj in range(h):
        if row_hi[tj] <= row_lo[tj]:
            continue
        tu, tp, tc, tq = _ensure(tu, tp, tc, tq, n, row_hi[tj] - row_lo[tj] + 1)
        n += _runs_row(
            tu,
            tp,
            tc,
            tq,
            labels,
            bits,
            pop,
            f,
            inv_f2,
            nodata,
            unit_bits,
            tj,
            row_lo[tj],
            row_hi[tj],
        )
    used = np.flatnonzero(tu != -1)
    return tu[used], tp[used], tc[used], tq[used], unit_bits
