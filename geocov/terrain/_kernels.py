"""Numba kernels of :mod:`geocov.terrain` (compiled on first use, cached on disk).

Conventions shared by every kernel
----------------------------------
* ``z`` is the DEM, float32 ``(rows, cols)``, north-up; a cell ``(i, j)`` has its centre at
  pixel coordinates ``(col, row) = (j + 0.5, i + 0.5)``.  Points are handed over in pixel
  coordinates (``px`` = column, ``py`` = row, continuous) with the cell sizes ``cw``, ``ch``
  (metres) to measure distances.
* Elevation at a point is bilinear between the four nearest cell centres, the edge rows and
  columns extended outwards; at a cell centre it is exactly the cell's value.
* Earth curvature: in the "drop" frame a point at distance ``d`` from the transmitter is
  lowered by ``d**2 * inv2kr`` (``inv2kr = 1 / (2 k R)``), which is the same as raising the
  terrain by the bulge ``d1 * d2 * inv2kr`` under the chord of a path (ITU-R P.526 §4.5).
* Masks are packed bits: cell ``k = li * ncols + lj`` of a window is bit ``k & 7`` of byte
  ``offset + (k >> 3)``.  Each site owns its bytes, so sites run in parallel without locks.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_jit = njit(nogil=True, cache=True)
_pjit = njit(nogil=True, cache=True, parallel=True)

J_CUTOFF = -0.78  # ITU-R P.526-15 eq. (31): J(v) = 0 for v <= -0.78


@_jit
def bilinear(z, px, py):
    """Elevation at pixel coordinates (px, py): bilinear between cell centres."""
    h, w = z.shape
    u = px - 0.5
    v = py - 0.5
    fj = math.floor(u)
    fi = math.floor(v)
    fu = u - fj
    fv = v - fi
    j0 = min(max(int(fj), 0), w - 1)
    j1 = min(max(int(fj) + 1, 0), w - 1)
    i0 = min(max(int(fi), 0), h - 1)
    i1 = min(max(int(fi) + 1, 0), h - 1)
    top = (1.0 - fu) * z[i0, j0] + fu * z[i0, j1]
    bot = (1.0 - fu) * z[i1, j0] + fu * z[i1, j1]
    return (1.0 - fv) * top + fv * bot


@_jit
def los_profile(z, pax, pay, pbx, pby, dist, ht, hr, inv2kr, lam, step, thr, early):
    """Walk the profile from a (antenna top ``ht`` m a.s.l.) to b (``hr``).

    Samples every ``dist / n`` metres (``n = ceil(dist / step)``), end points excluded.
    The criterion at a sample is the clearance ``c`` (m, ray minus terrain with the earth
    bulge) or, when ``lam > 0``, ``c / F1`` (first Fresnel zone radius).  Returns
    ``(worst criterion, its distance, its clearance, its ground elevation)``; with
    ``early`` it stops at the first sample below ``thr`` (then only ``worst < thr`` holds).
    """
    n = int(math.ceil(dist / step)) if dist > 0 else 1
    worst = np.inf
    wd = np.nan
    wc = np.nan
    wz = np.nan
    for i in range(1, n):
        t = i / n
        d = t * dist
        zi = bilinear(z, pax + t * (pbx - pax), pay + t * (pby - pay))
        c = ht + t * (hr - ht) - zi - d * (dist - d) * inv2kr
        if lam > 0.0:
            crit = c / math.sqrt(lam * d * (dist - d) / dist)
        else:
            crit = c
        if crit < worst:
            worst = crit
            wd = d
            wc = c
            wz = zi
            if early and crit < thr:
                return worst, wd, wc, wz
    return worst, wd, wc, wz


@_pjit
def los_pairs(z, cw, ch, pax, pay, ht, pbx, pby, hr, inv2kr, lam, thr, step,
              vis, dist_out, clear_out, elev_out, crit_out):
    """Line of sight for many (a, b) pairs; heights ``ht``/``hr`` above ground."""
    for p in prange(pax.shape[0]):
        dx = (pbx[p] - pax[p]) * cw
        dy = (pby[p] - pay[p]) * ch
        dist = math.sqrt(dx * dx + dy * dy)
        h_a = bilinear(z, pax[p], pay[p]) + ht[p]
        h_b = bilinear(z, pbx[p], pby[p]) + hr[p]
        worst, wd, wc, wz = los_profile(z, pax[p], pay[p], pbx[p], pby[p], dist, h_a, h_b,
                                        inv2kr, lam[p], step, thr, False)
        vis[p] = worst >= thr
        dist_out[p] = wd
        clear_out[p] = wc
        elev_out[p] = wz
        crit_out[p] = worst


@_jit
def _set_bit(bits, base, k):
    bits[base + (k >> 3)] |= np.uint8(1 << (k & 7))


@_jit
def get_bit(bits, offset, row0, col0, nrows, ncols, site, row, col):
    """True when cell (row, col) of the DEM is set in ``site``'s mask (False outside it).

    The hook for the grid engine: a station's cells are visible where this is True for
    its site (see :class:`geocov.terrain.StationMasks`)."""
    li = row - row0[site]
    lj = col - col0[site]
    if li < 0 or lj < 0 or li >= nrows[site] or lj >= ncols[site]:
        return False
    k = li * ncols[site] + lj
    return (bits[offset[site] + (k >> 3)] >> (k & 7)) & 1 == 1


@_pjit
def viewshed_exact(z, cw, ch, spx, spy, ht, reach, rxh, inv2kr, lam, thr, step,
                   row0, col0, nrows, ncols, offset, bits, order):
    """Per site: every cell centre within ``reach`` m tested with its own profile (R3)."""
    for q in prange(order.shape[0]):
        s = order[q]
        h_a = bilinear(z, spx[s], spy[s]) + ht[s]
        r2 = reach[s] * reach[s]
        nc = ncols[s]
        for li in range(nrows[s]):
            i = row0[s] + li
            dy = (i + 0.5 - spy[s]) * ch
            for lj in range(nc):
                j = col0[s] + lj
                dx = (j + 0.5 - spx[s]) * cw
                d2 = dx * dx + dy * dy
                if d2 > r2:
                    continue
                dist = math.sqrt(d2)
                worst, _, _, _ = los_profile(z, spx[s], spy[s], j + 0.5, i + 0.5, dist, h_a,
                                             z[i, j] + rxh, inv2kr, lam[s], step, thr, True)
                if worst >= thr:
                    _set_bit(bits, offset[s], li * nc + lj)


@_jit
def _sweep_ray(z, cw, ch, px, py, h_a, rxh, inv2kr, reach, dxp, dyp, xmajor,
               i0, j0, nr, nc, best, vis):
    """March one ray (direction dxp, dyp in pixels) through column (x-major) or row
    centre lines, keeping the running horizon; each cell the ray crosses gets this ray's
    verdict when the ray passes closer to its centre than any ray before."""
    h, w = z.shape
    stop = reach + 0.75 * (cw + ch)
    horizon = -np.inf
    if xmajor:
        sgn = 1 if dxp > 0 else -1
        slope = dyp / dxp
        k = int(math.floor(px - 0.5)) + 1 if sgn > 0 else int(math.ceil(px - 0.5)) - 1
    else:
        sgn = 1 if dyp > 0 else -1
        slope = dxp / dyp
        k = int(math.floor(py - 0.5)) + 1 if sgn > 0 else int(math.ceil(py - 0.5)) - 1
    while True:
        if xmajor:
            if k < 0 or k >= w:
                return
            x = k + 0.5
            y = py + (x - px) * slope
            # elevation along the column line, between the two nearest row centres
            v = y - 0.5
            fi = math.floor(v)
            fv = v - fi
            ia = min(max(int(fi), 0), h - 1)
            ib = min(max(int(fi) + 1, 0), h - 1)
            zs = (1.0 - fv) * z[ia, k] + fv * z[ib, k]
            ci = int(math.floor(y))
            cj = k
            off = abs(y - (ci + 0.5))
        else:
            if k < 0 or k >= h:
                return
            y = k + 0.5
            x = px + (y - py) * slope
            u = x - 0.5
            fj = math.floor(u)
            fu = u - fj
            ja = min(max(int(fj), 0), w - 1)
            jb = min(max(int(fj) + 1, 0), w - 1)
            zs = (1.0 - fu) * z[k, ja] + fu * z[k, jb]
            ci = k
            cj = int(math.floor(x))
            off = abs(x - (cj + 0.5))
        ex = (x - px) * cw
        ny = (y - py) * ch
        d = math.sqrt(ex * ex + ny * ny)
        if d > stop:
            return
        li = ci - i0
        lj = cj - j0
        if li >= 0 and lj >= 0 and li < nr and lj < nc:
            cell = li * nc + lj
            if off < best[cell]:
                cx = (cj + 0.5 - px) * cw
                cy = (ci + 0.5 - py) * ch
                dc = math.sqrt(cx * cx + cy * cy)
                if dc <= 1e-9:
                    seen = True
                else:
                    slope_rx = (z[ci, cj] + rxh - dc * dc * inv2kr - h_a) / dc
                    seen = slope_rx >= horizon
                best[cell] = off
                vis[cell] = 1 if seen else 0
        if d > 0:
            s_t = (zs - d * d * inv2kr - h_a) / d
            if s_t > horizon:
                horizon = s_t
        k += sgn


@_pjit
def viewshed_sweep(z, cw, ch, spx, spy, ht, reach, rxh, inv2kr,
                   row0, col0, nrows, ncols, offset, bits, order):
    """Per site: Franklin's R2 radial sweep (rays to every cell of a square ring beyond
    the reach, elevations interpolated along column/row lines, the ray passing closest to
    a cell's centre decides), then the cells within ``reach`` are packed."""
    for q in prange(order.shape[0]):
        s = order[q]
        nr = nrows[s]
        nc = ncols[s]
        if nr <= 0 or nc <= 0:
            continue
        px = spx[s]
        py = spy[s]
        h_a = bilinear(z, px, py) + ht[s]
        best = np.full(nr * nc, np.inf, np.float64)
        vis = np.zeros(nr * nc, np.uint8)
        big = int(math.ceil(max(reach[s] / cw, reach[s] / ch))) + 1
        for m in range(-big, big + 1):
            _sweep_ray(z, cw, ch, px, py, h_a, rxh, inv2kr, reach[s], float(big), float(m),
                       True, row0[s], col0[s], nr, nc, best, vis)
            _sweep_ray(z, cw, ch, px, py, h_a, rxh, inv2kr, reach[s], float(-big), float(m),
                       True, row0[s], col0[s], nr, nc, best, vis)
            _sweep_ray(z, cw, ch, px, py, h_a, rxh, inv2kr, reach[s], float(m), float(big),
                       False, row0[s], col0[s], nr, nc, best, vis)
            _sweep_ray(z, cw, ch, px, py, h_a, rxh, inv2kr, reach[s], float(m), float(-big),
                       False, row0[s], col0[s], nr, nc, best, vis)
        # the antenna's own cell: its receiver is within half a cell of the antenna
        li = int(math.floor(py)) - row0[s]
        lj = int(math.floor(px)) - col0[s]
        if li >= 0 and lj >= 0 and li < nr and lj < nc:
            vis[li * nc + lj] = 1
        r2 = reach[s] * reach[s]
        for li in range(nr):
            dy = (row0[s] + li + 0.5 - py) * ch
            for lj in range(nc):
                dx = (col0[s] + lj + 0.5 - px) * cw
                if dx * dx + dy * dy <= r2 and vis[li * nc + lj] == 1:
                    _set_bit(bits, offset[s], li * nc + lj)


# ----------------------------------------------------------------------- path loss
@_jit
def knife_edge_db(v):
    """ITU-R P.526-15 eq. (31): single knife-edge diffraction loss J(v), dB."""
    if v <= J_CUTOFF:
        return 0.0
    t = v - 0.1
    return 6.9 + 20.0 * math.log10(math.sqrt(t * t + 1.0) + t)


@_jit
def free_space_db(dist_m, f_mhz):
    """ITU-R P.525 free-space basic transmission loss, dB (distance floored at 1 m)."""
    d = max(dist_m, 1.0)
    return 20.0 * math.log10(d / 1000.0) + 20.0 * math.log10(f_mhz) + 32.44778


@_jit
def fill_profile(z, pax, pay, pbx, pby, dist, h_a, h_b, inv2kr, step, dd, zz):
    """Distances and heights (drop frame: ``- d**2 * inv2kr``) of the profile a -> b,
    end points being the antenna tops; returns the index of the last point."""
    n = int(math.ceil(dist / step)) if dist > 0 else 1
    dd[0] = 0.0
    zz[0] = h_a
    for i in range(1, n):
        t = i / n
        d = t * dist
        dd[i] = d
        zz[i] = bilinear(z, pax + t * (pbx - pax), pay + t * (pby - pay)) - d * d * inv2kr
    dd[n] = dist
    zz[n] = h_b - dist * dist * inv2kr
    return n


@_jit
def max_v(dd, zz, a, b, lam):
    """Largest Fresnel-Kirchhoff parameter v among the points strictly between a and b
    (height above the line a-b, ITU-R P.526 eq. (26)); ``(v, index)``, index -1 if none."""
    da = dd[a]
    span = dd[b] - da
    if b - a < 2 or span <= 0:
        return -np.inf, -1
    slope = (zz[b] - zz[a]) / span
    # v = h sqrt(2 span / (lam d1 d2)): compare sign(h) h**2 / (d1 d2), one sqrt at the end
    best = -np.inf
    k = -1
    for i in range(a + 1, b):
        d1 = dd[i] - da
        d2 = dd[b] - dd[i]
        if d1 <= 0 or d2 <= 0:
            continue
        hgt = zz[i] - (zz[a] + slope * d1)
        q = hgt * abs(hgt) / (d1 * d2)
        if q > best:
            best = q
            k = i
    if k < 0:
        return -np.inf, -1
    v = math.copysign(math.sqrt(abs(best) * 2.0 * span / lam), best)
    return v, k


@_jit
def deygout_db(dd, zz, n, lam, budget):
    """Deygout's construction (ITU-R P.526): the principal edge's J(v), plus the
    largest edge on each side of it that obstructs the line between its sub-path's ends.
    Returns ``(loss dB, principal v, principal index)``.  When the principal edge alone
    exceeds ``budget`` (dB) the secondary edges are not looked for (they only add)."""
    v, k = max_v(dd, zz, 0, n, lam)
    if k < 0 or v <= J_CUTOFF:
        return 0.0, v, k
    loss = knife_edge_db(v)
    if loss > budget:
        return loss, v, k
    # secondary edges count only where they cut their sub-path's line of sight (v > 0): a
    # sub-path ends on the principal edge's ground, so on smooth terrain its grazing
    # neighbours (v near 0) would otherwise each add about 6 dB
    vt, kt = max_v(dd, zz, 0, k, lam)
    if kt >= 0 and vt > 0.0:
        loss += knife_edge_db(vt)
    vr, kr = max_v(dd, zz, k, n, lam)
    if kr >= 0 and vr > 0.0:
        loss += knife_edge_db(vr)
    return loss, v, k


@_pjit
def loss_pairs(z, cw, ch, pax, pay, ht, pbx, pby, hr, inv2kr, f_mhz, step, diffraction,
               dist_out, fs_out, diff_out, v_out, edge_out):
    """Free-space and Deygout diffraction loss for many pairs."""
    for p in prange(pax.shape[0]):
        dx = (pbx[p] - pax[p]) * cw
        dy = (pby[p] - pay[p]) * ch
        dist = math.sqrt(dx * dx + dy * dy)
        dist_out[p] = dist
        fs_out[p] = free_space_db(dist, f_mhz[p])
        diff_out[p] = 0.0
        v_out[p] = np.nan
        edge_out[p] = np.nan
        if not diffraction:
            continue
        n = int(math.ceil(dist / step)) if dist > 0 else 1
        dd = np.empty(n + 1, np.float64)
        zz = np.empty(n + 1, np.float64)
        h_a = bilinear(z, pax[p], pay[p]) + ht[p]
        h_b = bilinear(z, pbx[p], pby[p]) + hr[p]
        n = fill_profile(z, pax[p], pay[p], pbx[p], pby[p], dist, h_a, h_b, inv2kr, step,
                         dd, zz)
        lam = 299.792458 / f_mhz[p]
        loss, v, k = deygout_db(dd, zz, n, lam, np.inf)
        diff_out[p] = loss
        if k >= 0:
            v_out[p] = v
            edge_out[p] = dd[k]


@_jit
def j_inverse(loss_db):
    """The v at which J(v) = ``loss_db`` (inverse of ITU-R P.526 eq. (31), loss > 0)."""
    y = 10.0 ** ((loss_db - 6.9) / 20.0)
    return 0.1 + 0.5 * (y - 1.0 / y)


@_jit
def served_cell(z, pax, pay, pbx, pby, dist, h_a, h_b, inv2kr, lam, step, budget, dd, zz):
    """True when free space leaves ``budget`` dB and Deygout's diffraction fits in it.

    The profile is filled and the principal edge sought in one pass, which stops as soon
    as one edge alone exceeds the budget (secondary edges only add to it)."""
    n = int(math.ceil(dist / step)) if dist > 0 else 1
    dd[0] = 0.0
    zz[0] = h_a
    dd[n] = dist
    zz[n] = h_b - dist * dist * inv2kr
    if n < 2:
        return True
    slope = (zz[n] - zz[0]) / dist
    vlim = j_inverse(budget) if budget > 0 else J_CUTOFF
    # v > vlim  <=>  h|h| / (d1 d2) > qlim
    qlim = math.copysign(vlim * vlim * lam / (2.0 * dist), vlim)
    best = -np.inf
    k = -1
    for i in range(1, n):
        t = i / n
        d = t * dist
        dd[i] = d
        zi = bilinear(z, pax + t * (pbx - pax), pay + t * (pby - pay)) - d * d * inv2kr
        zz[i] = zi
        hgt = zi - (h_a + slope * d)
        q = hgt * abs(hgt) / (d * (dist - d))
        if q > best:
            best = q
            k = i
            if q > qlim:
                return False
    v = math.copysign(math.sqrt(abs(best) * 2.0 * dist / lam), best)
    if v <= J_CUTOFF:
        return True
    loss = knife_edge_db(v)
    vt, kt = max_v(dd, zz, 0, k, lam)
    if kt >= 0 and vt > 0.0:
        loss += knife_edge_db(vt)
    vr, kr = max_v(dd, zz, k, n, lam)
    if kr >= 0 and vr > 0.0:
        loss += knife_edge_db(vr)
    return loss <= budget


@_pjit
def signal_sites(z, cw, ch, spx, spy, ht, reach, rxh, inv2kr, f_mhz, max_loss, step,
                 row0, col0, nrows, ncols, offset, bits, order):
    """Per site: the cells within ``reach`` where free-space + Deygout loss is at most
    ``max_loss`` dB (EIRP minus the receiver threshold)."""
    for q in prange(order.shape[0]):
        s = order[q]
        h_a = bilinear(z, spx[s], spy[s]) + ht[s]
        r2 = reach[s] * reach[s]
        nmax = int(math.ceil(reach[s] / step)) + 2
        dd = np.empty(nmax, np.float64)
        zz = np.empty(nmax, np.float64)
        lam = 299.792458 / f_mhz[s]
        nc = ncols[s]
        for li in range(nrows[s]):
            i = row0[s] + li
            dy = (i + 0.5 - spy[s]) * ch
            for lj in range(nc):
                j = col0[s] + lj
                dx = (j + 0.5 - spx[s]) * cw
                d2 = dx * dx + dy * dy
                if d2 > r2:
                    continue
                dist = math.sqrt(d2)
                budget = max_loss[s] - free_space_db(dist, f_mhz[s])
                if budget < 0:
                    continue
                if served_cell(z, spx[s], spy[s], j + 0.5, i + 0.5, dist, h_a, z[i, j] + rxh,
                               inv2kr, lam, step, budget, dd, zz):
                    _set_bit(bits, offset[s], li * nc + lj)


@_jit
def sample_profiles(z, pax, pay, pbx, pby, counts, starts, out):
    """Elevations at ``counts[p] + 1`` equally spaced points from a to b, for ITM."""
    for p in range(pax.shape[0]):
        n = counts[p]
        for i in range(n + 1):
            t = i / n
            out[starts[p] + i] = bilinear(z, pax[p] + t * (pbx[p] - pax[p]),
                                          pay[p] + t * (pby[p] - pay[p]))


# ----------------------------------------------------------------------- cache keys
@_jit
def _mix64(x):
    # splitmix64 finaliser
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@_jit
def row_hashes(words, seed):
    """One 64-bit hash per row of a uint64 matrix (the bit patterns of float64 keys)."""
    n, m = words.shape
    out = np.empty(n, np.uint64)
    for r in range(n):
        h = _mix64(seed)
        for c in range(m):
            h = _mix64(h ^ (words[r, c] + np.uint64(0x9E3779B97F4A7C15) * np.uint64(c + 1)))
        out[r] = h
    return out


# ----------------------------------------------------------------------- mask queries
@_jit
def in_wedge(dx, dy, az, bw):
    """The sector test of :func:`geocov.stations.covering_pairs` (dx east, dy north)."""
    if not (az == az and bw == bw) or bw >= 360.0:
        return True
    if dx == 0.0 and dy == 0.0:
        return True
    bearing = math.degrees(math.atan2(dx, dy))
    diff = abs((bearing - az + 180.0) % 360.0 - 180.0)
    return diff <= bw / 2.0 + 1e-9


@_pjit
def station_counts(bits, offset, row0, col0, nrows, ncols, site, spx, spy, cw, ch, radius,
                   az, bw, out):
    """Cells set in each station's mask whose centre is in its disc or wedge."""
    for s in prange(site.shape[0]):
        t = site[s]
        r2 = radius[s] * radius[s]
        cnt = 0
        nc = ncols[t]
        for li in range(nrows[t]):
            dy = -(row0[t] + li + 0.5 - spy[s]) * ch
            for lj in range(nc):
                dx = (col0[t] + lj + 0.5 - spx[s]) * cw
                if dx * dx + dy * dy > r2:
                    continue
                k = li * nc + lj
                if (bits[offset[t] + (k >> 3)] >> (k & 7)) & 1 == 1 and in_wedge(
                        dx, dy, az[s], bw[s]):
                    cnt += 1
        out[s] = cnt


@_pjit
def points_visible(bits, offset, row0, col0, nrows, ncols, site, x0, y0, cw, ch, sx, sy,
                   radius, az, bw, st, qx, qy, out):
    """Pairs (point, station): the point is in the station's disc or wedge (exact test at
    the point) and the DEM cell containing it is set in the station's mask."""
    for p in prange(st.shape[0]):
        s = st[p]
        dx = qx[p] - sx[s]
        dy = qy[p] - sy[s]
        if dx * dx + dy * dy > radius[s] * radius[s] or not in_wedge(dx, dy, az[s], bw[s]):
            out[p] = False
            continue
        row = int(math.floor((y0 - qy[p]) / ch))
        col = int(math.floor((qx[p] - x0) / cw))
        out[p] = get_bit(bits, offset, row0, col0, nrows, ncols, site[s], row, col)


@_pjit
def copy_ranges(src, src_start, dst, dst_start, length):
    """dst[dst_start[q]:dst_start[q] + length[q]] = src[src_start[q]:...] for every q."""
    for q in prange(length.shape[0]):
        a = src_start[q]
        b = dst_start[q]
        for k in range(length[q]):
            dst[b + k] = src[a + k]


@_jit
def reached_at_offset(bits, offset, row0, col0, nrows, ncols, site, spx, spy, cw, ch, s,
                      east_m, north_m):
    """The grid engine's hook: does station ``s`` reach the point ``east_m`` east and
    ``north_m`` north of it (metres of the DEM's CRS)?  Only the terrain mask is tested:
    the engine keeps its own disc and wedge test.  ``spx, spy`` are the stations' DEM
    pixel coordinates (:meth:`geocov.terrain.StationMasks.lookup_arrays`)."""
    col = int(math.floor(spx[s] + east_m / cw))
    row = int(math.floor(spy[s] - north_m / ch))
    return get_bit(bits, offset, row0, col0, nrows, ncols, site[s], row, col)
