"""geocov.terrain against geometry worked by hand: flat ground and the radio horizon, ridges
of known height (just above and just below the critical height), a valley below a hilltop,
Fresnel clearance, free-space loss and knife-edge diffraction against their formulas, ITM
against the published QKPFL test case; and invariants (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin
from terrain_fixtures import HORIZON_30_15, KR, UTM, fractal, fresh_viewshed_cache, make_dem  # noqa: F401

import geocov
from geocov import terrain as T
from geocov.errors import CRSError, DataQualityWarning, DataSourceError, SchemaError


def centre(dem: T.DEM, i, j) -> np.ndarray:
    """Metric coordinates of cell centres (i, j)."""
    t = dem.transform
    i, j = np.broadcast_arrays(np.asarray(i, float), np.asarray(j, float))
    return np.column_stack([t.c + (j + 0.5) * t.a, t.f + (i + 0.5) * t.e])


def disc_cells(dem: T.DEM, xy, radius: float) -> np.ndarray:
    h, w = dem.shape
    ii, jj = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    c = centre(dem, ii.ravel(), jj.ravel())
    d = np.hypot(c[:, 0] - xy[0], c[:, 1] - xy[1])
    return (d <= radius).reshape(h, w)


def full_mask(masks: T.StationMasks, i: int) -> np.ndarray:
    """Station i's mask on the whole DEM grid."""
    win, t = masks.station_mask(i)
    out = np.zeros(masks.dem_shape, bool)
    r0 = round((t.f - masks.transform.f) / masks.transform.e)
    c0 = round((t.c - masks.transform.c) / masks.transform.a)
    out[r0:r0 + win.shape[0], c0:c0 + win.shape[1]] = win
    return out


# ============================================================================ DEM
def write_tif(path, values, transform, crs="EPSG:4326", nodata=None, dtype="float32"):
    values = np.asarray(values)
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1],
                       height=values.shape[0], count=1, dtype=dtype, crs=crs,
                       transform=transform, nodata=nodata) as dst:
        dst.write(values.astype(dtype), 1)
    return path


def lonlat_plane(tmp_path, nodata_cells=(), dtype="float32", nodata=-9999.0):
    """A 3 arc-second DEM around (104.0 E, 22.0 N) whose elevation is a plane in lon/lat."""
    res = 1 / 1200
    lon = 103.95 + (np.arange(120) + 0.5) * res
    lat = 22.05 - (np.arange(120) + 0.5) * res
    z = 500 + 4000 * (lon[None, :] - 103.95) + 2000 * (lat[:, None] - 21.95)
    for i, j in nodata_cells:
        z[i, j] = nodata
    return write_tif(tmp_path / "dem.tif", z, from_origin(103.95, 22.05, res, res),
                     nodata=None if dtype == "int16" else nodata, dtype=dtype), z


def test_read_dem_reprojects_bilinear_to_the_working_crs(tmp_path):
    tif, _ = lonlat_plane(tmp_path)
    dem = T.read_dem(tif, bounds=(397000, 2430000, 401000, 2434000), crs=UTM)
    assert dem.crs.to_epsg() == 32648 and dem.nodata_cells == 0 and dem.source == "dem.tif"
    cw, ch = dem.cell_size_m
    assert cw == ch == 86.0  # 3 arc-seconds at 22 N, the finer side, to 0.1 m
    for v in (dem.transform.c, dem.transform.f):  # a grid aligned on multiples of it
        assert v == pytest.approx(round(v / cw) * cw, abs=1e-6)
    # a plane in lon/lat stays (locally) a plane: bilinear resampling reproduces it
    from pyproj import Transformer

    pts = np.array([[398000.0, 2431000.0], [400123.0, 2433210.0]])
    lon, lat = Transformer.from_crs(UTM, 4326, always_xy=True).transform(pts[:, 0], pts[:, 1])
    expect = 500 + 4000 * (np.asarray(lon) - 103.95) + 2000 * (np.asarray(lat) - 21.95)
    np.testing.assert_allclose(dem.sample(pts), expect, atol=0.05)
    assert not dem.elevation.flags.writeable


def test_read_dem_fills_nodata_and_says_so(tmp_path):
    hole = [(i, j) for i in range(55, 65) for j in range(55, 65)]  # 10 x 10 source cells
    tif, z = lonlat_plane(tmp_path, nodata_cells=hole)
    with pytest.warns(DataQualityWarning, match=r"inside the file had no data \(nodata "
                                                r"-9999\); .* filled by interpolation"):
        dem = T.read_dem(tif, bounds=(397000, 2430000, 401000, 2434000), crs=UTM)
    assert 0 < dem.nodata_cells < 100 and "interpolation" in dem.nodata_note
    assert dem.outside_cells == 0
    # filled from the plane around the hole: within a few metres of it
    assert np.isfinite(dem.elevation).all() and dem.elevation.min() > 400
    with pytest.warns(DataQualityWarning, match=r"set to 0 m \(sea level\)"):
        zero = T.read_dem(tif, bounds=(397000, 2430000, 401000, 2434000), crs=UTM,
                          fill_nodata="zero")
    assert zero.nodata_cells == dem.nodata_cells and (zero.elevation == 0).sum() > 0


def test_read_dem_srtm_voids_without_a_nodata_tag(tmp_path):
    hole = [(i, j) for i in range(70, 80) for j in range(70, 80)]
    tif, _ = lonlat_plane(tmp_path, nodata_cells=hole, dtype="int16", nodata=-32768)
    with pytest.warns(DataQualityWarning, match=r"inside the file had no data \(nodata "
                                                r"-32768 \(SRTM voids\)\)"):
        dem = T.read_dem(tif, bounds=(397000, 2430000, 401000, 2434000), crs=UTM)
    assert dem.elevation.min() > 0


def test_read_dem_window_past_the_file_is_filled_and_noted(tmp_path):
    # the file starts at 103.95 E (x ~ 391,600): a window from x = 390,000 runs past it;
    # that is noted (the usual case of a buffered study area), not warned about
    tif, _ = lonlat_plane(tmp_path)
    dem = T.read_dem(tif, bounds=(390000, 2430000, 401000, 2434000), crs=UTM,
                     resolution_m=100)
    assert dem.cell_size_m == (100.0, 100.0)
    assert dem.nodata_cells == dem.outside_cells and 0.1 < dem.outside_cells / 4400 < 0.2
    assert "lie outside the file's extent" in dem.nodata_note
    assert dem.elevation[:, 0].min() > 400  # filled from the file's edge, not 0 m
    # voids and a window past the file: the warning counts both, the voids apart
    hole = [(i, j) for i in range(55, 65) for j in range(55, 65)]
    tif, _ = lonlat_plane(tmp_path, nodata_cells=hole)
    with pytest.warns(DataQualityWarning, match=r"without data: \d+ inside the file had no "
                                                r"data .* and \d+ lie outside the file's "
                                                r"extent"):
        both = T.read_dem(tif, bounds=(390000, 2430000, 401000, 2434000), crs=UTM,
                          resolution_m=100)
    assert both.nodata_cells > both.outside_cells == dem.outside_cells


def test_read_dem_errors(tmp_path):
    tif, _ = lonlat_plane(tmp_path)
    b = (397000, 2430000, 401000, 2434000)
    with pytest.raises(DataSourceError, match="DEM file not found"):
        T.read_dem(tmp_path / "nope.tif", bounds=b, crs=UTM)
    with pytest.raises(CRSError, match="not a projected CRS in metres"):
        T.read_dem(tif, bounds=b, crs="EPSG:4326")
    with pytest.raises(SchemaError, match="minx < maxx"):
        T.read_dem(tif, bounds=(1, 0, 0, 1), crs=UTM)
    with pytest.raises(SchemaError, match="no data at all"):
        T.read_dem(tif, bounds=(600000, 2430000, 601000, 2431000), crs=UTM)
    with pytest.raises(SchemaError, match=r"limit 500,000,000.*coarser resolution_m"):
        T.read_dem(tif, bounds=b, crs=UTM, resolution_m=0.1)
    with pytest.raises(SchemaError, match="fill_nodata must be"):
        T.read_dem(tif, bounds=b, crs=UTM, fill_nodata="mean")
    nocrs = write_tif(tmp_path / "nocrs.tif", np.zeros((4, 4)), from_origin(0, 4, 1, 1),
                      crs=None)
    with pytest.raises(CRSError, match="has no CRS"):
        T.read_dem(nocrs, bounds=b, crs=UTM)
    with geocov.cli_hints(), pytest.raises(DataSourceError, match=r"Set \[model\] dem"):
        T.read_dem(tmp_path / "nope.tif", bounds=b, crs=UTM)


def test_dem_from_array_checks():
    with pytest.raises(SchemaError, match=r"1 cell\(s\) are not finite \(first at row 1, "
                                          r"column 2\)"):
        make_dem([[0, 0, 0], [0, 0, np.nan]])
    with pytest.raises(SchemaError, match="must be north-up"):
        T.DEM.from_array(np.zeros((2, 2)), Affine(1, 0.5, 0, 0, -1, 2), UTM)
    with pytest.raises(CRSError, match="not a projected CRS"):
        T.DEM.from_array(np.zeros((2, 2)), Affine(1, 0, 0, 0, -1, 2), "EPSG:4326")
    with pytest.raises(SchemaError, match="2-D array"):
        make_dem([1.0, 2.0])
    a = np.zeros((3, 3))
    d1, d2 = make_dem(a), make_dem(a)
    assert d1.key == d2.key
    a[1, 1] = 0.5
    assert make_dem(a).key != d1.key  # the cache key follows the content
    assert a[1, 1] == 0.5  # the input is copied, not frozen


def test_antenna_heights():
    s = pd.DataFrame({"antenna_height_m": [45, None, "12.5"]})
    assert T.antenna_heights_m(s).tolist() == [45.0, 30.0, 12.5]
    assert T.antenna_heights_m(s, default_m=20).tolist() == [45.0, 20.0, 12.5]
    bad = pd.DataFrame({"antenna_height_m": [30, "tall", -5], "source_file": "bts.csv",
                        "source_row": [2, 3, 4]})
    with pytest.raises(SchemaError, match=r"bts.csv: row\(s\) 3 \('tall'\), 4 \(-5\): column "
                                          r"'antenna_height_m' must be the antenna height"):
        T.antenna_heights_m(bad)
    with pytest.raises(SchemaError, match=r"position\(s\) 0 \(900\)"):
        T.antenna_heights_m(pd.DataFrame({"antenna_height_m": [900]}))
    with pytest.raises(SchemaError, match="default antenna height must be"):
        T.antenna_heights_m(s, default_m=-1)


# ============================================================================ line of sight
def row_dem(z_row, cell=50.0):
    """Three identical rows: profiles run along the middle one."""
    return make_dem(np.tile(np.asarray(z_row, float), (3, 1)), cell)


def test_flat_ground_visible_up_to_the_radio_horizon():
    dem = row_dem(np.zeros(800), cell=50.0)  # 40 km
    tx = centre(dem, 1, 0)[0]
    d = np.array([0.5, 0.9, 0.99, 1.01, 1.1]) * HORIZON_30_15
    rx = np.column_stack([tx[0] + d, np.full(5, tx[1])])
    los = T.line_of_sight(dem, tx, 30.0, rx)
    assert los.visible.tolist() == [True, True, True, False, False]
    # beyond the horizon the controlling point is the bulge near the tangent point
    # sqrt(2 k R 30) = 22.6 km from the mast
    assert np.all(np.abs(los.obstacle_distance_m[3:] - math.sqrt(2 * KR * 30)) < 2500)
    assert (los.obstacle_height_m[3:] > 0).all() and (los.clearance_m[:3] >= 0).all()
    np.testing.assert_allclose(los.distance_m, d)
    flat = T.line_of_sight(dem, tx, 30.0, rx, k_factor=np.inf)
    assert flat.visible.all()  # no earth curvature: nothing blocks on flat ground
    # a flatter earth (larger k) sees further; k = 1 (no refraction) less far
    assert T.line_of_sight(dem, tx, 30.0, rx[3:4], k_factor=1.5).visible[0]
    assert not T.line_of_sight(dem, tx, 30.0, rx[2:3], k_factor=1.0).visible[0]


def test_symmetric_ridge_critical_height_at_the_bulge():
    # 20 m masts 8 km apart, a 5-cell plateau centred halfway: the ray clears it exactly
    # when the plateau is 20 m minus the earth bulge (4 km)^2 / (2 k R)
    z = np.zeros(200)
    dem0 = row_dem(z)
    tx, rx = centre(dem0, 1, 10)[0], centre(dem0, 1, 170)[0]
    h_crit = 20.0 - 4000.0**2 / (2 * KR)
    for dh, visible in ((-0.01, True), (0.01, False)):
        z[88:93] = h_crit + dh
        los = T.line_of_sight(row_dem(z), tx, 20.0, rx, 20.0)
        assert bool(los.visible[0]) is visible
        assert los.obstacle_distance_m[0] == pytest.approx(4000.0)
        assert los.obstacle_elevation_m[0] == pytest.approx(h_crit + dh, abs=1e-3)
        assert los.obstacle_height_m[0] == pytest.approx(dh, abs=1e-3)


def test_ridge_between_mast_and_village_critical_height():
    # 30 m mast, village 5 km away (1.5 m), plateau 2.0-2.2 km from the mast: the ray minus
    # the bulge is least at the plateau's far edge (2.2 km)
    z = np.zeros(200)
    dem0 = row_dem(z)
    tx, rx = centre(dem0, 1, 10)[0], centre(dem0, 1, 110)[0]
    d, dist = 2200.0, 5000.0
    h_crit = 30.0 + (1.5 - 30.0) * d / dist - d * (dist - d) / (2 * KR)
    assert h_crit == pytest.approx(17.0974, abs=1e-4)
    for dh, visible in ((-0.01, True), (0.01, False)):
        z[50:55] = h_crit + dh
        los = T.line_of_sight(row_dem(z), tx, 30.0, rx)
        assert bool(los.visible[0]) is visible
        assert los.obstacle_distance_m[0] == pytest.approx(d)
    # a taller mast sees over the same ridge
    assert T.line_of_sight(row_dem(z), tx, 31.0, rx).visible[0]


def test_valley_village_below_a_hilltop_station():
    n, cell = 200, 50.0
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    r = np.hypot(ii - 100, jj - 100) * cell
    cone = np.maximum(200.0, 1000.0 - 0.2 * r)  # peak 1000 m, valley floor 200 m at 4 km
    dem = make_dem(cone, cell)
    top = centre(dem, 100, 100)[0]
    village = centre(dem, 100, 190)[0]  # 4.5 km east, in the valley
    los = T.line_of_sight(dem, top, 30.0, village)
    assert los.visible[0] and los.clearance_m[0] > 0
    # a spur rising to 600 m at 3 km on the way shadows it
    spur = cone.copy()
    spur[:, 158:162] = 600.0
    los = T.line_of_sight(make_dem(spur, cell), top, 30.0, village)
    assert not los.visible[0]
    assert 2900 <= los.obstacle_distance_m[0] <= 3100 and los.obstacle_elevation_m[0] == 600.0
    # and the viewshed agrees, cell by cell in the valley
    m = T.viewsheds(make_dem(cone, cell), top, 30.0, 4900.0, method="exact")
    assert m.reaches([0], village.reshape(1, 2))[0]


def test_fresnel_clearance():
    # obstacle at the middle of a 4 km path at 900 MHz: F1 = sqrt(lambda 2000 2000 / 4000)
    lam = 299.792458 / 900
    f1 = math.sqrt(lam * 2000 * 2000 / 4000)
    z = np.zeros(120)
    tx_i, rx_i = 10, 90
    base = row_dem(z)
    tx, rx = centre(base, 1, tx_i)[0], centre(base, 1, rx_i)[0]
    ray_mid = 20.0 - 2000.0**2 / (2 * KR)  # 20 m masts; ray height above the bulged ground
    for share, ok06 in ((0.5, False), (0.7, True)):
        z[48:53] = ray_mid - share * f1
        dem = row_dem(z)
        plain = T.line_of_sight(dem, tx, 20.0, rx, 20.0)
        fres = T.line_of_sight(dem, tx, 20.0, rx, 20.0, fresnel_fraction=0.6,
                               frequency_mhz=900)
        assert plain.visible[0] and bool(fres.visible[0]) is ok06
        assert fres.fresnel_clearance[0] == pytest.approx(share, abs=0.01)
        assert np.isnan(plain.fresnel_clearance[0])
        m = T.viewsheds(dem, tx, 20.0, 4100.0, rx_height_m=20.0, fresnel_fraction=0.6,
                        frequency_mhz=900)
        assert "exact profiles" in m.description and "0.6 of the first Fresnel" in m.description
        assert bool(m.reaches([0], rx.reshape(1, 2))[0]) is ok06
    with pytest.raises(SchemaError, match="fresnel_fraction needs frequency_mhz"):
        T.line_of_sight(dem, tx, 20.0, rx, fresnel_fraction=0.6)
    with pytest.raises(SchemaError, match="method='sweep' cannot test a Fresnel clearance"):
        T.viewsheds(dem, tx, 20.0, 1000.0, fresnel_fraction=0.6, frequency_mhz=900,
                    method="sweep")


def test_line_of_sight_inputs():
    dem = row_dem(np.zeros(50))
    tx = centre(dem, 1, 0)[0]
    rx = centre(dem, 1, np.arange(5, 50, 10))
    los = T.line_of_sight(dem, tx, [30.0], rx)  # one transmitter, many receivers
    assert los.visible.all() and len(los.to_frame()) == 5
    assert list(los.to_frame().columns)[:2] == ["visible", "distance_m"]
    short = T.line_of_sight(dem, tx, 30.0, tx + [10.0, 0.0])  # shorter than one step
    assert short.visible[0] and np.isnan(short.obstacle_distance_m[0])
    with pytest.raises(SchemaError, match=r"1 of 1 receivers lie outside the DEM"):
        T.line_of_sight(dem, tx, 30.0, [(99999.0, 75.0)])
    with pytest.raises(SchemaError, match="give one of each per pair"):
        T.line_of_sight(dem, rx[:2], 30.0, rx[:3])
    with pytest.raises(SchemaError, match=r"tx_height_m: items \[0, 1, 2, 3, 4\] have "
                                          r"values \[-3.0"):
        T.line_of_sight(dem, tx, -3.0, rx)
    with pytest.raises(SchemaError, match="k_factor must be positive"):
        T.line_of_sight(dem, tx, 30.0, rx, k_factor=0)


# ============================================================================ viewsheds
@pytest.mark.parametrize("method", ["sweep", "exact"])
def test_flat_ground_viewshed_is_the_disc_inside_the_horizon(method):
    dem = make_dem(np.zeros((161, 161)), cell=250.0)  # 40 km
    xy = centre(dem, 80, 80)[0]
    m = T.viewsheds(dem, xy, 30.0, 20000.0, method=method)
    np.testing.assert_array_equal(full_mask(m, 0), disc_cells(dem, xy, 20000.0))
    assert m.cell_counts()[0] == disc_cells(dem, xy, 20000.0).sum()
    assert not m.clipped[0]


@pytest.mark.parametrize("method", ["sweep", "exact"])
def test_earth_curvature_alone_limits_a_long_2g_radius(method):
    # a 35 km 2G cell (the GSM timing-advance limit) on flat ground: the 30 m mast's
    # radio horizon for a handset, 27.6 km, is what limits it
    dem = make_dem(np.zeros((301, 301)), cell=250.0)
    xy = centre(dem, 150, 150)[0]
    m = T.viewsheds(dem, xy, 30.0, 35000.0, method=method)
    seen = full_mask(m, 0)
    np.testing.assert_array_equal(seen & disc_cells(dem, xy, HORIZON_30_15 - 250),
                                  disc_cells(dem, xy, HORIZON_30_15 - 250))
    assert not (seen & ~disc_cells(dem, xy, HORIZON_30_15 + 250)).any()
    assert m.area_km2()[0] == pytest.approx(math.pi * HORIZON_30_15**2 / 1e6, rel=0.01)


def test_exact_viewshed_is_line_of_sight_at_cell_centres():
    dem = make_dem(fractal(64, seed=3), cell=50.0)
    xy = centre(dem, 30, 33)[0]
    m = T.viewsheds(dem, xy, 20.0, 1500.0, method="exact")
    disc = disc_cells(dem, xy, 1500.0)
    ii, jj = np.nonzero(disc)
    los = T.line_of_sight(dem, xy, 20.0, centre(dem, ii, jj))
    seen = full_mask(m, 0)
    np.testing.assert_array_equal(seen[ii, jj], los.visible)
    assert 0.2 < los.visible.mean() < 0.95  # the terrain does block some of it
    assert m.reaches(np.zeros(len(ii), int), centre(dem, ii, jj)).tolist() == \
        los.visible.tolist()


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_sweep_agrees_with_exact_on_rough_terrain(seed):
    dem = make_dem(fractal(128, seed=seed), cell=50.0)
    xy = centre(dem, [64, 40], [64, 90])
    sweep = T.viewsheds(dem, xy, 25.0, 2500.0, method="sweep")
    exact = T.viewsheds(dem, xy, 25.0, 2500.0, method="exact")
    for i in range(2):
        a, b = full_mask(sweep, i), full_mask(exact, i)
        disc = disc_cells(dem, xy[i], 2500.0)
        assert (a != b).sum() <= 0.05 * disc.sum()
        assert abs(int(a.sum()) - int(b.sum())) <= 0.03 * disc.sum()


def test_sectors_share_their_site_and_keep_their_wedge():
    dem = make_dem(fractal(64, seed=7), cell=50.0)
    xy = np.repeat(centre(dem, 32, 32), 4, axis=0)
    az = [np.nan, 0.0, 120.0, 240.0]
    bw = [np.nan, 120.0, 120.0, 120.0]
    m = T.viewsheds(dem, xy, 25.0, 1400.0, azimuth_deg=az, beamwidth_deg=bw)
    assert m.n_sites == 1 and m.site.tolist() == [0, 0, 0, 0]
    omni = full_mask(m, 0)
    sectors = [full_mask(m, i) for i in (1, 2, 3)]
    assert not any((s & ~omni).any() for s in sectors)
    np.testing.assert_array_equal(sectors[0] | sectors[1] | sectors[2], omni)
    # a point north of the mast is in the first sector only
    north = xy[0] + [0.0, 300.0]
    got = m.reaches([0, 1, 2, 3], np.repeat(north.reshape(1, 2), 4, axis=0))
    assert got.tolist() == [bool(got[0]), bool(got[0]), False, False]


def test_engine_hook_matches_reaches():
    """The compiled hook the grid engine calls (metric offset from the station -> the
    terrain bit) agrees with StationMasks.reaches inside the disc."""
    from geocov.terrain._kernels import reached_at_offset

    dem = make_dem(fractal(64, seed=13), cell=50.0)
    xy = centre(dem, [20, 40], [25, 35]) + [[7.0, -3.0], [0.0, 11.0]]
    m = T.viewsheds(dem, xy, [20.0, 35.0], 1300.0)
    a = m.lookup_arrays()
    rng = np.random.default_rng(0)
    for s in range(2):
        ang, rad = rng.uniform(0, 2 * np.pi, 400), 1290.0 * np.sqrt(rng.uniform(0, 1, 400))
        east, north = rad * np.sin(ang), rad * np.cos(ang)
        hook = [reached_at_offset(a["bits"], a["offset"], a["row0"], a["col0"], a["nrows"],
                                  a["ncols"], a["site"], a["spx"], a["spy"], a["cw"], a["ch"],
                                  s, e, n) for e, n in zip(east, north, strict=True)]
        pts = np.column_stack([xy[s, 0] + east, xy[s, 1] + north])
        assert hook == m.reaches(np.full(400, s), pts).tolist()
        assert 0 < sum(hook) < 400


def test_station_outside_the_dem_and_clipped_discs():
    dem = make_dem(np.zeros((20, 20)), cell=50.0)
    with pytest.raises(SchemaError, match=r"1 of 2 stations lie outside the DEM .*items \[1\]"):
        T.viewsheds(dem, [(100.0, 100.0), (5000.0, 100.0)], 30.0, 200.0)
    m = T.viewsheds(dem, [(100.0, 100.0), (500.0, 500.0)], 30.0, [500.0, 200.0])
    assert m.clipped.tolist() == [True, False]
    with pytest.raises(SchemaError, match="method must be one of"):
        T.viewsheds(dem, [(100.0, 100.0)], 30.0, 200.0, method="r3")
    with pytest.raises(SchemaError, match="workers must be 1.."):
        T.viewsheds(dem, [(100.0, 100.0)], 30.0, 200.0, workers=0)
    empty = T.viewsheds(dem, np.zeros((0, 2)), 30.0, 200.0)
    assert len(empty) == 0 and empty.cell_counts().tolist() == []


def test_viewsheds_are_cached_by_site_parameters_and_dem(tmp_path):
    z = fractal(64, seed=11)
    dem = make_dem(z, cell=50.0)
    xy = centre(dem, [20, 40, 40], [20, 40, 40])
    first = T.viewsheds(dem, xy, [25.0, 30.0, 30.0], 1200.0)
    assert (first.sites_computed, first.sites_cached) == (2, 0)
    again = T.viewsheds(make_dem(z, cell=50.0), xy, [25.0, 30.0, 30.0], 1200.0)
    assert (again.sites_computed, again.sites_cached) == (0, 2)
    np.testing.assert_array_equal(again.bits, first.bits)
    taller = T.viewsheds(dem, xy, [25.0, 31.0, 31.0], 1200.0)
    assert (taller.sites_computed, taller.sites_cached) == (1, 1)
    both = T.viewsheds(dem, xy[1:], [30.0, 31.0], 1200.0)  # from two earlier calls
    assert (both.sites_computed, both.sites_cached) == (0, 2)
    np.testing.assert_array_equal(both.cell_counts(), [first.cell_counts()[1],
                                                       taller.cell_counts()[1]])
    z2 = z.copy()
    z2[0, 0] += 1.0  # another DEM: nothing reused
    assert T.viewsheds(make_dem(z2, 50.0), xy, [25.0, 30.0, 30.0], 1200.0).sites_cached == 0
    assert T.viewsheds(dem, xy, [25.0, 30.0, 30.0], 1200.0, cache=False).sites_cached == 0
    # on disk: reused by a later session (memory cleared)
    T.clear_cache()
    disk = T.viewsheds(dem, xy, [25.0, 30.0, 30.0], 1200.0, cache_dir=tmp_path)
    assert disk.sites_computed == 2 and len(list(tmp_path.glob("terrain-*.npz"))) == 1
    T.clear_cache()
    back = T.viewsheds(dem, xy, [25.0, 30.0, 30.0], 1200.0, cache_dir=tmp_path)
    assert (back.sites_computed, back.sites_cached) == (0, 2)
    np.testing.assert_array_equal(back.bits, first.bits)
    np.testing.assert_array_equal(back.cell_counts(), first.cell_counts())
    # a damaged cache file is reported and ignored
    T.clear_cache()
    for f in tmp_path.glob("terrain-*.npz"):
        f.write_bytes(b"not a zip")
    with pytest.warns(DataQualityWarning, match="cannot be read .* it is ignored"):
        redo = T.viewsheds(dem, xy, [25.0, 30.0, 30.0], 1200.0, cache_dir=tmp_path)
    assert redo.sites_computed == 2


SMALL = settings(max_examples=25, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@SMALL
@given(seed=st.integers(0, 10_000), low=st.floats(0, 40), extra=st.floats(0.5, 60),
       i=st.integers(8, 24), j=st.integers(8, 24), method=st.sampled_from(["sweep", "exact"]))
def test_raising_the_antenna_never_reduces_the_viewshed(seed, low, extra, i, j, method):
    dem = make_dem(fractal(32, seed=seed, relief=300.0), cell=50.0)
    xy = np.repeat(centre(dem, i, j), 2, axis=0)
    m = T.viewsheds(dem, xy, [low, low + extra], 700.0, method=method, cache=False)
    lo, hi = full_mask(m, 0), full_mask(m, 1)
    assert not (lo & ~hi).any()


@SMALL
@given(seed=st.integers(0, 10_000), rows=st.integers(0, 31), height=st.floats(1, 300),
       method=st.sampled_from(["sweep", "exact"]))
def test_adding_a_ridge_never_increases_the_viewshed(seed, rows, height, method):
    z = fractal(32, seed=seed, relief=200.0)
    xy = centre(make_dem(z), 16, 6)
    ridge = np.zeros_like(z, dtype=bool)
    ridge[rows: rows + 6, 12:14] = True  # a ridge not under the antenna
    z2 = z + np.where(ridge, height, 0.0)
    before = full_mask(T.viewsheds(make_dem(z), xy, 20.0, 1200.0, method=method,
                                   cache=False), 0)
    after = full_mask(T.viewsheds(make_dem(z2), xy, 20.0, 1200.0, method=method,
                                  cache=False), 0)
    assert not (after & ~before & ~ridge).any()


# ============================================================================ path loss
@given(d=st.floats(1.0, 1e6), f=st.floats(30.0, 1e5))
def test_free_space_loss_against_the_formula(d, f):
    expect = 20 * math.log10(d / 1000) + 20 * math.log10(f) + 32.44
    assert float(T.free_space_loss_db(d, f)) == pytest.approx(expect, abs=0.01)


def test_free_space_hand_values_and_path_loss_free_space_model():
    # 1 km at 900 MHz: 0 + 59.08 + 32.45; 10 km at 1800 MHz: 20 + 65.11 + 32.45
    assert T.free_space_loss_db([1000.0, 10000.0], [900.0, 1800.0]).round(2).tolist() == \
        [91.53, 117.55]
    dem = row_dem(np.zeros(120))
    tx = centre(dem, 1, 0)[0]
    pl = T.path_loss(dem, tx, 30.0, tx + [5000.0, 0.0], frequency_mhz=900,
                     model="free_space")
    assert pl.loss_db[0] == pytest.approx(105.51, abs=0.01) and pl.excess_db[0] == 0.0
    with pytest.raises(SchemaError, match="model must be one of"):
        T.path_loss(dem, tx, 30.0, tx + [5000.0, 0.0], frequency_mhz=900, model="hata")


def _fresnel_integrals(v: float) -> tuple[float, float]:
    t = np.linspace(0.0, v, 400_001)
    return (float(np.trapezoid(np.cos(np.pi * t * t / 2), t)),
            float(np.trapezoid(np.sin(np.pi * t * t / 2), t)))


def test_knife_edge_against_the_fresnel_integral():
    # J(v) = -20 log10(|1 - C - S, C - S| / 2) (ITU-R P.526 eq. (27)); eq. (31), the
    # approximation used, is within 0.15 dB of it for v > -0.78; J(0) = 6.02 dB (half the
    # field: 20 log10 2)
    assert float(T.knife_edge_loss_db(0.0)) == pytest.approx(6.02, abs=0.02)
    for v in (-0.7, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.4, 3.0, 4.0, 5.0):
        c, s = _fresnel_integrals(v)
        exact = -20 * math.log10(math.hypot(1 - c - s, c - s) / 2)
        assert float(T.knife_edge_loss_db(v)) == pytest.approx(exact, abs=0.15)
    assert T.knife_edge_loss_db([-0.79, -3.0]).tolist() == [0.0, 0.0]


def test_deygout_single_and_double_knife_edge_by_hand():
    lam = 299.792458 / 900
    z = np.zeros(200)
    z[90] = 60.0  # a 60 m wall 4 km from each 30 m mast: 30 m above the ray
    dem = row_dem(z)
    tx, rx = centre(dem, 1, 10)[0], centre(dem, 1, 170)[0]
    pl = T.path_loss(dem, tx, 30.0, rx, 30.0, frequency_mhz=900, k_factor=np.inf)
    v = 30.0 * math.sqrt(2 * 8000 / (lam * 4000 * 4000))
    assert pl.edge_v[0] == pytest.approx(v) and pl.edge_distance_m[0] == pytest.approx(4000)
    assert pl.excess_db[0] == pytest.approx(float(T.knife_edge_loss_db(v)), abs=1e-6)
    assert pl.free_space_db[0] == pytest.approx(float(T.free_space_loss_db(8000, 900)))
    # two walls: 50 m at 2 km (principal) and 45 m at 6 km (secondary, measured from the
    # principal edge's top to the receiver)
    z = np.zeros(200)
    z[50], z[130] = 50.0, 45.0
    pl = T.path_loss(row_dem(z), tx, 30.0, rx, 30.0, frequency_mhz=900, k_factor=np.inf)
    v_p = 20.0 * math.sqrt(2 * 8000 / (lam * 2000 * 6000))
    h_s = 45.0 - (50.0 + (30.0 - 50.0) * 4000 / 6000)
    v_s = h_s * math.sqrt(2 * 6000 / (lam * 4000 * 2000))
    expect = float(T.knife_edge_loss_db(v_p) + T.knife_edge_loss_db(v_s))
    assert pl.excess_db[0] == pytest.approx(expect, abs=1e-6)
    assert pl.edge_distance_m[0] == pytest.approx(2000)


def test_smooth_ground_adds_little_diffraction():
    # a handset on flat ground is inside the first Fresnel zone near it: the principal
    # "edge" has v ~ -0.45 (about 2 dB); no secondary edges on smooth ground
    dem = row_dem(np.zeros(120))
    tx = centre(dem, 1, 0)[0]
    pl = T.path_loss(dem, tx, 30.0, tx + [5000.0, 0.0], frequency_mhz=900)
    assert 0 < pl.excess_db[0] < 3


QKPFL_PROFILE = [
    96, 84, 65, 46, 46, 46, 61, 41, 33, 27, 23, 19, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
    15, 15, 17, 19, 21, 23, 25, 27, 29, 35, 46, 41, 35, 30, 33, 35, 37, 40, 35, 30, 51, 62,
    76, 46, 46, 46, 46, 46, 46, 50, 56, 67, 106, 83, 95, 112, 137, 137, 76, 103, 122, 122,
    83, 71, 61, 64, 67, 71, 74, 77, 79, 86, 91, 83, 76, 68, 63, 76, 107, 107, 107, 119, 127,
    133, 135, 137, 142, 148, 152, 152, 107, 137, 104, 91, 99, 120, 152, 152, 137, 168, 168,
    122, 137, 137, 170, 183, 183, 187, 194, 201, 192, 152, 152, 166, 177, 198, 156, 127,
    116, 107, 104, 101, 98, 95, 103, 91, 97, 102, 107, 107, 107, 103, 98, 94, 91, 105, 122,
    122, 122, 122, 122, 137, 137, 137, 137, 137, 137, 137, 137, 140, 144, 147, 150, 152, 159,
]


def test_itm_reproduces_the_published_qkpfl_case():
    """QKPFL test 1 of NTIA's ITM 1.2.2 distribution: Crystal Palace to Mursley, England,
    77.8 km, 41.5 MHz, antennas 143.9 m and 8.5 m, climate 5, N = 314, average ground,
    horizontal polarisation.  Published quantiles of basic transmission loss (dB) at
    reliability 1 % / 99 % and confidence 50 / 90 / 10 %: 128.6 137.6 119.6 / 139.7
    148.4 131.0 (as reproduced in itmlogic's tests/test_p2p.py)."""
    pytest.importorskip("itmlogic")
    from itmlogic.misc.qerfi import qerfi
    from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
    from itmlogic.statistics.avar import avar

    expect = {(1, 50): 128.6, (1, 90): 137.6, (1, 10): 119.6, (99, 50): 139.7,
              (99, 90): 148.4, (99, 10): 131.0}
    prof = np.asarray(QKPFL_PROFILE, float)
    for (rel, conf), ref in expect.items():
        s = T.ITMSettings(climate=5, refractivity_n=314, polarization="horizontal",
                          reliability_pct=rel, confidence_pct=conf)
        zr, zc = qerfi([rel / 100])[0], qerfi([conf / 100])[0]
        got = T._itm_one(prof, 77_800.0, 143.9, 8.5, 41.5, s, zr, zc, qlrpfl, avar)
        assert got == pytest.approx(ref, abs=0.05)
    # through the public API, on a DEM made of the same profile (resampled every half
    # cell): within half a dB of the published median
    cell = 77_800.0 / 156
    dem = make_dem(np.tile(prof, (3, 1)), cell)
    s = T.ITMSettings(climate=5, refractivity_n=314, polarization="horizontal",
                      reliability_pct=1, confidence_pct=50)
    pl = T.path_loss(dem, centre(dem, 1, 0)[0], 143.9, centre(dem, 1, 156)[0], 8.5,
                     frequency_mhz=41.5, model="itm", itm=s)
    assert pl.loss_db[0] == pytest.approx(128.6, abs=0.5)
    assert pl.free_space_db[0] + pl.excess_db[0] == pytest.approx(pl.loss_db[0])
    with pytest.raises(SchemaError, match="climate must be 1..7"):
        T.path_loss(dem, centre(dem, 1, 0)[0], 143.9, centre(dem, 1, 156)[0], 8.5,
                    frequency_mhz=41.5, model="itm", itm=T.ITMSettings(climate=9))


def test_radio_models_table_and_overrides():
    assert set(T.RADIO_MODELS) == {"2G", "3G", "4G", "5G"}
    m = T.radio_models({"4G": {"eirp_dbm": 36.0}, "2G": T.RadioModel(900, 60, -95)})
    assert (m["4G"].eirp_dbm, m["4G"].threshold_dbm, m["2G"].max_loss_db) == (36.0, -112.0,
                                                                              155.0)
    assert T.RADIO_MODELS["4G"].eirp_dbm == 33.0  # the defaults are not changed
    a = T.radio_arrays(pd.Series(["4G", "2G", "4G"]), {"4G": {"frequency_mhz": 800}})
    assert a["frequency_mhz"].tolist() == [800.0, 900.0, 800.0]
    with pytest.raises(SchemaError, match=r"unknown technology key\(s\) \['6G'\]"):
        T.radio_models({"6G": {"eirp_dbm": 1}})
    with pytest.raises(SchemaError, match=r"unknown field\(s\) \['power'\]"):
        T.radio_models({"4G": {"power": 1}})
    with pytest.raises(SchemaError, match="must be positive"):
        T.radio_models({"4G": {"frequency_mhz": -5}})
    with pytest.raises(SchemaError, match=r"technology values \['LTE'\] have no radio model"):
        T.radio_arrays(["LTE"])


def test_signal_masks_are_path_loss_at_cell_centres():
    dem = make_dem(fractal(64, seed=21, relief=300.0), cell=50.0)
    xy = centre(dem, 32, 30)[0]
    radio = T.radio_arrays(["3G"], {"3G": {"eirp_dbm": 30.0}})  # a tight budget
    m = T.signal_masks(dem, xy, 15.0, 1500.0, **radio)
    ii, jj = np.nonzero(disc_cells(dem, xy, 1500.0))
    pl = T.path_loss(dem, xy, 15.0, centre(dem, ii, jj), frequency_mhz=2100)
    served = 30.0 - pl.loss_db >= radio["threshold_dbm"][0]
    np.testing.assert_array_equal(full_mask(m, 0)[ii, jj], served)
    assert 0.1 < served.mean() < 0.9


def test_behind_a_small_ridge_is_not_behind_a_mountain():
    """Line of sight calls both blocked; path loss serves the village behind the low
    ridge (a few dB of diffraction) and not the one behind the mountain."""
    z = np.zeros((60, 200))
    z[:, 60:62] = 9.0  # 2 km west of the mast: about 2 m above the ray to the village
    z[:, 138:140] = 400.0  # 2 km east: a mountain
    dem = make_dem(z, cell=50.0)
    mast = centre(dem, 30, 100)[0]
    villages = np.vstack([mast - [2500.0, 0.0], mast + [2500.0, 0.0]])  # west, east
    los = T.line_of_sight(dem, mast, 30.0, villages)
    assert los.visible.tolist() == [False, False]
    assert 0 < los.obstacle_height_m[0] < 3 and los.obstacle_height_m[1] > 350
    pl = T.path_loss(dem, mast, 30.0, villages, frequency_mhz=1800)
    assert pl.excess_db[0] < 15 < 40 < pl.excess_db[1]
    radio = T.radio_arrays(["4G"])
    m = T.signal_masks(dem, mast, 30.0, 2600.0, **radio)
    assert m.reaches([0, 0], villages).tolist() == [True, False]
    assert "Deygout" in m.description
    v = T.viewsheds(dem, mast, 30.0, 2600.0)
    assert v.reaches([0, 0], villages).tolist() == [False, False]
    assert m.area_km2()[0] > v.area_km2()[0]


def test_sample_province_viewsheds():
    """The built-in sample's terrain and stations: sweep and exact agree, terrain hides
    a large share of the discs in these mountains."""
    paths = geocov.sample_paths()
    stations = geocov.read_stations(paths["stations"])
    wcrs = geocov.crs.working_crs(stations)
    pts = stations.geometry.to_crs(wcrs)
    xy = np.column_stack([pts.x, pts.y])[:120]
    r = geocov.station_radius_m(stations)[:120]
    pad = r.max()
    bounds = (xy[:, 0].min() - pad, xy[:, 1].min() - pad, xy[:, 0].max() + pad,
              xy[:, 1].max() + pad)
    dem = T.read_dem(paths["terrain"], bounds=bounds, crs=wcrs)  # runs past the file
    assert dem.nodata_cells == dem.outside_cells > 0
    h = T.antenna_heights_m(stations)[:120]
    az, bw = stations.azimuth_deg.to_numpy()[:120], stations.beamwidth_deg.to_numpy()[:120]
    sweep = T.viewsheds(dem, xy, h, r, azimuth_deg=az, beamwidth_deg=bw)
    exact = T.viewsheds(dem, xy, h, r, azimuth_deg=az, beamwidth_deg=bw, method="exact")
    a, b = sweep.cell_counts(), exact.cell_counts()
    assert abs(int(a.sum()) - int(b.sum())) <= 0.02 * b.sum()
    disc = math.pi * (r**2) / 1e6
    sector = np.isfinite(az) & np.isfinite(bw)
    disc[sector] *= bw[sector] / 360
    share = sweep.area_km2().sum() / disc.sum()
    assert 0.2 < share < 0.9
