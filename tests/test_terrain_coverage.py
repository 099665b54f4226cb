"""Terrain as an option of the coverage engine: the grid engine's hook against the masks'
own test, antenna heights read from station files, villages tested at their point, and
coverage(terrain=...) on terrain worked by hand (flat ground up to the radio horizon, a
ridge of known height, a valley below a hilltop, earth curvature limiting a long 2G
radius), the disc vs terrain comparison, the analysis file, the CLI and the demo."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely import box

import geocov
from geocov import terrain as T
from geocov.engine import GridSpec, grid_coverage
from geocov.errors import CRSError, DataQualityWarning, SchemaError
from geocov.terrain.model import shadowed_villages, station_terrain, village_terrain

UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 2_400_000.0  # south-west corner of the test DEMs (UTM 48N)
KR = 4.0 / 3.0 * T.EARTH_RADIUS_M
HORIZON_30_15 = math.sqrt(2 * KR * 30.0) + math.sqrt(2 * KR * 1.5)  # 27,624 m


def make_dem(z, cell: float = 50.0) -> T.DEM:
    """A DEM in UTM 48N with its south-west corner at (X0, Y0)."""
    z = np.asarray(z, dtype=float)
    return T.DEM.from_array(z, Affine(cell, 0, X0, 0, -cell, Y0 + z.shape[0] * cell), UTM)


def fractal(n: int, seed: int, relief: float = 400.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.random((4, 4))
    amp = 1.0
    while z.shape[0] < n:
        z = np.kron(z, np.ones((2, 2)))
        z = (z + np.roll(z, 1, 0) + np.roll(z, 1, 1) + np.roll(np.roll(z, 1, 0), 1, 1)) / 4
        amp /= 1.8
        z = z + amp * rng.random(z.shape)
    z = z[:n, :n]
    return relief * (z - z.min()) / (z.max() - z.min())


def cell_centres(grid: GridSpec) -> np.ndarray:
    t = grid.transform
    jj, ii = np.meshgrid(np.arange(grid.width), np.arange(grid.height))
    return np.column_stack([t.c + (jj.ravel() + 0.5) * t.a, t.f + (ii.ravel() + 0.5) * t.e])


@pytest.fixture(autouse=True)
def _fresh_cache():
    T.clear_cache()
    yield
    T.clear_cache()


# ============================================================================ engine hook
def test_engine_hook_counts_exactly_the_cells_the_masks_reach():
    dem = make_dem(fractal(128, seed=3), cell=50.0)
    xy = np.array([[X0 + 3000, Y0 + 3100], [X0 + 1700, Y0 + 4400], [X0 + 3300, Y0 + 2500]])
    az, bw = np.array([np.nan, np.nan, 45.0]), np.array([np.nan, np.nan, 90.0])
    m = T.viewsheds(dem, xy, [20.0, 30.0, 25.0], [1500.0, 1200.0, 900.0], azimuth_deg=az,
                    beamwidth_deg=bw)
    grid = GridSpec.from_bounds(dem.bounds, resolution_m=37, crs=UTM)  # not the DEM's grid
    kw = dict(grid=grid, centres_xy=xy, radius_m=m.radius_m, bit_of_station=[0, 1, 2],
              azimuth_deg=az, beamwidth_deg=bw)
    with_t = grid_coverage([box(*dem.bounds)], station_masks=m, **kw)
    disc = grid_coverage([box(*dem.bounds)], **kw)
    pts = cell_centres(grid)
    on = ((pts[:, 0] < dem.bounds[2]) & (pts[:, 1] > dem.bounds[1]))
    for s in range(3):
        want = int(m.reaches(np.full(on.sum(), s), pts[on]).sum())
        assert with_t.covered(1 << s)[0][0] == want
        assert 0 < want < disc.covered(1 << s)[0][0]  # the terrain does hide some of it


def test_engine_hook_on_a_geographic_grid():
    """A lon/lat grid (a population raster's) with the masks on the metric DEM: the cell
    centres' metric offsets come from the engine's Jacobian; within a few boundary cells
    of the exact test."""
    from pyproj import Transformer

    dem = make_dem(fractal(128, seed=5), cell=50.0)
    xy = np.array([[X0 + 3200, Y0 + 3200]])
    m = T.viewsheds(dem, xy, 25.0, 2000.0)
    to_ll = Transformer.from_crs(UTM, 4326, always_xy=True)
    lon, lat = to_ll.transform([X0 + 500, X0 + 5900], [Y0 + 500, Y0 + 5900])
    grid = GridSpec.from_bounds((lon[0], lat[0], lon[1], lat[1]), resolution_m=1 / 2400,
                                crs=4326)  # 1.5 arc-seconds, ~45 m
    s = grid_coverage([box(lon[0], lat[0], lon[1], lat[1])], grid=grid, centres_xy=xy,
                      radius_m=[2000.0], bit_of_station=[0], stations_crs=UTM,
                      station_masks=m)
    ll = cell_centres(grid)
    ex, ny = Transformer.from_crs(4326, UTM, always_xy=True).transform(ll[:, 0], ll[:, 1])
    want = m.reaches(np.zeros(len(ll), int), np.column_stack([ex, ny])).sum()
    assert abs(s.covered(1)[0][0] - want) <= 0.005 * want


def test_engine_hook_checks_its_masks():
    dem = make_dem(np.zeros((40, 40)))
    xy = np.array([[X0 + 1000, Y0 + 1000]])
    m = T.viewsheds(dem, xy, 30.0, 500.0)
    grid = GridSpec.from_bounds(dem.bounds, resolution_m=50, crs=UTM)
    with pytest.raises(SchemaError, match="station_masks has 1 stations but centres_xy has 2"):
        grid_coverage([box(*dem.bounds)], grid=grid, centres_xy=np.repeat(xy, 2, axis=0),
                      radius_m=[500.0, 500.0], bit_of_station=[0, 1], station_masks=m)
    other = GridSpec.from_bounds(dem.bounds, resolution_m=50, crs="EPSG:32649")
    with pytest.raises(CRSError, match="station_masks are on a DEM in WGS 84 / UTM zone 48N "
                                       "but the stations are in WGS 84 / UTM zone 49N"):
        grid_coverage([box(*dem.bounds)], grid=other, centres_xy=xy, radius_m=[500.0],
                      bit_of_station=[0], station_masks=m)
    with pytest.raises(SchemaError, match="station_masks needs the stations"):
        grid_coverage([box(*dem.bounds)], grid=grid, station_masks=m)


# ============================================================================ stations
def test_antenna_heights_are_read_from_station_files(tmp_path):
    p = tmp_path / "bts.csv"
    pd.DataFrame({"Mã trạm": ["A", "B", "C", "D"], "Kinh độ": [104.1, 104.2, 104.3, 104.4],
                  "Vĩ độ": [22.1, 22.2, 22.3, 22.4], "Công nghệ": ["4G", "2G", "3G", "4G"],
                  "Độ cao anten (m)": ["45", "", "700", "-2"]}).to_csv(p, index=False)
    with pytest.raises(SchemaError, match=r"bts.csv: 2 row\(s\) in column 'Độ cao anten \(m\)'"
                                          r": antenna height outside 0-600 m: row 4 \('700'\), "
                                          r"row 5 \('-2'\)"):
        geocov.read_stations(p)
    rej = geocov.RejectsReport()
    s = geocov.read_stations(p, rejects=rej)
    assert s["antenna_height_m"].tolist()[0] == 45.0 and np.isnan(s["antenna_height_m"][1])
    assert list(s.columns).index("antenna_height_m") == list(s.columns).index("beamwidth_deg") + 1
    assert rej.to_frame()["row"].tolist() == [4, 5]
    assert T.antenna_heights_m(s).tolist() == [45.0, 30.0]
    # other spellings, and no column: no antenna_height_m column at all
    for header in ("antenna_height_m", "do_cao_anten", "HEIGHT_M"):
        q = tmp_path / f"{header}.csv"
        pd.DataFrame({"lon": [104.1], "lat": [22.1], "tech": ["4G"], header: [12]}).to_csv(q)
        assert geocov.read_stations(q)["antenna_height_m"].tolist() == [12.0]
    q = tmp_path / "plain.csv"
    pd.DataFrame({"lon": [104.1], "lat": [22.1], "tech": ["4G"]}).to_csv(q, index=False)
    assert "antenna_height_m" not in geocov.read_stations(q).columns


# ============================================================================ villages
def _one_station(tech="4G", radius=4000.0, height=None):
    frame = pd.DataFrame({"technology": [tech]})
    if height is not None:
        frame["antenna_height_m"] = [height]
    return dict(stations=frame, radius_m=np.array([radius]), azimuth_deg=np.array([np.nan]),
                beamwidth_deg=np.array([np.nan]))


def test_a_village_behind_a_ridge_is_blocked_exactly_when_geometry_says_so():
    """Flat ground, a 30 m mast at x = 0, a handset 1.5 m high at x = 4 km, a one-cell
    ridge at x = 2 km: the ray passes over the ridge at (30 + 1.5) / 2 = 15.75 m above the
    ground, less the earth's bulge there (2 km * 2 km / 2kR = 0.235 m): a ridge 0.2 m
    higher than that blocks the village, one 0.2 m lower does not."""
    bulge = 2000.0 * 2000.0 / (2 * KR)
    crit = 15.75 - bulge
    for h, blocked in ((crit - 0.2, False), (crit + 0.2, True)):
        z = np.zeros((5, 200))
        z[:, 119] = h  # cell 119 spans x = 5,950..6,000 m; its centre is at 5,975 m
        dem = make_dem(z, cell=50.0)
        mast = np.array([[X0 + 3975.0, Y0 + 125.0]])  # centre of cell 79
        vill = np.array([[X0 + 7975.0, Y0 + 125.0]])  # 4 km east, centre of cell 159
        kw = _one_station()
        st = station_terrain(dem, xy=mast, wcrs=UTM, area_bounds=dem.bounds, **kw)
        vt = village_terrain(st, vill, xy=mast, station_bits=np.array([1], np.uint64), **kw)
        assert vt.disc_bits.tolist() == [1]
        assert vt.bits.tolist() == [0 if blocked else 1], h
        assert vt.ridge_distance_m[0] == pytest.approx(2000.0)
        assert vt.ridge_height_m[0] == pytest.approx(h - crit, abs=1e-6)
        assert vt.ridge_elevation_m[0] == pytest.approx(h)


def test_shadowed_villages_name_the_blocked_stations_and_the_ridge():
    z = np.zeros((5, 200))
    z[:, 119] = 100.0
    dem = make_dem(z, cell=50.0)
    # a 4G mast west of the ridge, a 2G mast east of it; villages east of the ridge
    xy = np.array([[X0 + 3975.0, Y0 + 125.0], [X0 + 9975.0, Y0 + 125.0]])
    frame = pd.DataFrame({"technology": ["4G", "2G"], "antenna_height_m": [30.0, 30.0]})
    kw = dict(stations=frame, xy=xy, radius_m=np.array([4500.0, 1500.0]),
              azimuth_deg=np.full(2, np.nan), beamwidth_deg=np.full(2, np.nan))
    st = station_terrain(dem, wcrs=UTM, area_bounds=dem.bounds, **kw)
    pts = np.array([[X0 + 2975.0, Y0 + 125.0], [X0 + 7975.0, Y0 + 125.0],
                    [X0 + 8475.0, Y0 + 125.0]])
    vt = village_terrain(st, pts, station_bits=np.array([1, 2], np.uint64), **kw)
    assert vt.disc_bits.tolist() == [1, 1, 3] and vt.bits.tolist() == [1, 0, 2]
    villages = gpd.GeoDataFrame({"village_code": ["V0", "V1", "V2"],
                                 "village_name": ["Bản Một", "Bản Hai", "Bản Ba"],
                                 "population": [100, 200, 300]},
                                geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=UTM)
    units = pd.DataFrame({"commune_code": ["C1"], "commune_name": ["Xã Một"]})
    t = shadowed_villages(vt, villages, station_ids=["S4", "S2"], station_technology=["4G", "2G"],
                          station_operator=["A", "B"], unit_ids=units,
                          village_unit=np.array([0.0, 0.0, np.nan]), crs=UTM)
    assert t["village_code"].tolist() == ["V2", "V1"]  # largest population first
    assert t["disc_technology"].tolist() == ["4G", "4G"]
    assert t["terrain_technology"].tolist() == ["2G", "none"]
    assert t["stations_blocked"].tolist() == ["S4", "S4"]
    assert pd.isna(t["commune_name"][0]) and t["commune_name"][1] == "Xã Một"
    assert t["distance_m"].tolist() == [4500.0, 4000.0]
    assert t["ridge_distance_m"].tolist() == [2000.0, 2000.0]
    assert (t["ridge_elevation_m"] == 100.0).all() and (t["ridge_height_m"] > 80).all()
    assert t.crs.to_epsg() == 4326 and t.geometry.iloc[0].x == pytest.approx(105.0, abs=0.2)


def test_station_terrain_checks_and_warns():
    dem = make_dem(np.zeros((40, 40)))
    xy = np.array([[X0 + 1000, Y0 + 1000], [X0 - 600, Y0 + 1000]])  # the second off the DEM
    kw = dict(stations=pd.DataFrame({"technology": ["4G", "4G"]}), xy=xy,
              radius_m=np.array([500.0, 800.0]), azimuth_deg=np.full(2, np.nan),
              beamwidth_deg=np.full(2, np.nan))
    with pytest.warns(DataQualityWarning, match=r"1 station\(s\) that reach into the study "
                                                r"area stand off the DEM"):
        st = station_terrain(dem, wcrs=UTM, area_bounds=dem.bounds, **kw)
    assert st.off_dem == 1 and len(st.masks) == 2
    assert st.masks.reaches([0, 1], [(X0 + 1100, Y0 + 1000), (X0 + 100, Y0 + 1000)]).tolist() \
        == [True, False]
    with pytest.warns(DataQualityWarning, match=r"does not cover the whole study area"):
        station_terrain(dem, wcrs=UTM, area_bounds=(X0, Y0, X0 + 3000, Y0 + 3000), **kw)
    with pytest.raises(CRSError, match="the DEM is in WGS 84 / UTM zone 48N but coverage "
                                       "works in WGS 84 / UTM zone 49N"):
        station_terrain(dem, wcrs="EPSG:32649", area_bounds=dem.bounds, **kw)
    with pytest.raises(SchemaError, match=r"terrain_mode must be one of \['los', 'pathloss'\]"):
        station_terrain(dem, wcrs=UTM, area_bounds=dem.bounds, mode="itm", **kw)
