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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import Point, box
from terrain_fixtures import HORIZON_30_15, KR, UTM, fractal, fresh_viewshed_cache  # noqa: F401
from terrain_fixtures import make_dem as _make_dem

import geocov
from geocov import terrain as T
from geocov.engine import GridSpec, grid_coverage
from geocov.errors import CRSError, DataQualityWarning, SchemaError
from geocov.terrain.model import shadowed_villages, station_terrain, village_terrain

X0, Y0 = 500_000.0, 2_400_000.0  # south-west corner of the test DEMs (UTM 48N)


def make_dem(z, cell: float = 50.0) -> T.DEM:
    """A DEM in UTM 48N with its south-west corner at (X0, Y0)."""
    return _make_dem(z, cell, origin=(X0, Y0))


def cell_centres(grid: GridSpec) -> np.ndarray:
    t = grid.transform
    jj, ii = np.meshgrid(np.arange(grid.width), np.arange(grid.height))
    return np.column_stack([t.c + (jj.ravel() + 0.5) * t.a, t.f + (ii.ravel() + 0.5) * t.e])


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


# ============================================================================ coverage()
def units_frame(boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    """Communes (metric boxes, offsets from (X0, Y0)) of one province."""
    g = gpd.GeoDataFrame(
        {"province_name": ["P"] * len(boxes), "commune_name": list(boxes)},
        geometry=[box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes.values()],
        crs=UTM)
    return geocov.read_units(g, levels={"province": "province_name", "commune": "commune_name"})


def villages_frame(points: dict[str, tuple[float, float]], population=100) -> gpd.GeoDataFrame:
    n = len(points)
    pop = population if np.ndim(population) else [population] * n
    g = gpd.GeoDataFrame({"village_code": list(points), "village_name": list(points),
                          "population": pop},
                         geometry=[Point(X0 + x, Y0 + y) for x, y in points.values()], crs=UTM)
    return geocov.read_villages(g)


def stations_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Stations from dicts with x, y (offsets), technology, range_m and optional fields."""
    f = pd.DataFrame(rows)
    f.insert(0, "station_id", [f"S{i}" for i in range(len(f))])
    if "operator" not in f:
        f["operator"] = "A"
    geom = [Point(X0 + x, Y0 + y) for x, y in zip(f.pop("x"), f.pop("y"), strict=True)]
    return gpd.GeoDataFrame(f, geometry=geom, crs=UTM)


FIGURES = ["villages_covered_{}", "population_covered_{}", "covered_area_km2_{}"]


def figures(result, level="commune", layers=("2g", "3g", "4g", "any")) -> pd.DataFrame:
    t = result.table(level)
    units = ["communes_with_signal", *(f"communes_with_{x}" for x in layers if x != "any")]
    return t[[f.format(x) for x in layers for f in FIGURES] + units].astype(float)


def test_flat_ground_terrain_model_equals_the_disc_model_within_the_horizon():
    """On flat ground every footprint shorter than the radio horizon (27.6 km for a 30 m
    mast and a handset) is wholly visible: the same tables, nothing shadowed."""
    dem = make_dem(np.zeros((100, 140)), cell=100.0)  # 14 km x 10 km at sea level
    units = units_frame({"West": (1000, 1000, 7000, 9000), "East": (7000, 1000, 13000, 9000)})
    rng = np.random.default_rng(4)
    xy = rng.uniform([1000, 1000], [13000, 9000], (40, 2))
    villages = villages_frame({f"V{i}": tuple(p) for i, p in enumerate(xy)},
                              population=rng.integers(50, 500, 40))
    stations = stations_frame([
        dict(x=3000, y=5000, technology="4G", range_m=2500.0),
        dict(x=9000, y=4000, technology="3G", range_m=3000.0, azimuth_deg=90.0,
             beamwidth_deg=120.0),
        dict(x=7200, y=6000, technology="2G", range_m=4000.0, antenna_height_m=12.0)])
    disc = geocov.coverage(units, villages=villages, stations=stations, resolution_m=100)
    terr = geocov.coverage(units, villages=villages, stations=stations, resolution_m=100,
                           terrain=dem)
    for level in ("commune", "total"):
        pd.testing.assert_frame_equal(figures(terr, level), figures(disc, level))
    assert terr.shadowed is not None and len(terr.shadowed) == 0 and disc.shadowed is None
    assert terr.villages["best_technology"].tolist() == disc.villages["best_technology"].tolist()
    assert terr.stations["antenna_height_m"].isna().tolist() == [True, True, False]
    assert "Terrain (los): line of sight" in terr.metadata["model"]
    assert terr.metadata["terrain"]["sites"] == 3 and "terrain" not in disc.metadata


def test_earth_curvature_alone_limits_a_long_2g_radius():
    """A 35 km 2G cell on a flat plain: the 30 m mast's radio horizon for a handset,
    27.6 km with 4/3 refraction, is what limits it (villages and area)."""
    dem = make_dem(np.zeros((320, 320)), cell=250.0)  # 80 km
    units = units_frame({"Plain": (0, 0, 80000, 80000)})
    c = (40000.0, 40000.0)
    dists = {"V20": 20000.0, "V27": HORIZON_30_15 - 400, "V28": HORIZON_30_15 + 400,
             "V34": 34000.0}
    villages = villages_frame({k: (c[0] + d, c[1]) for k, d in dists.items()})
    stations = stations_frame([dict(x=c[0], y=c[1], technology="2G", range_m=35000.0)])
    terr = geocov.coverage(units, villages=villages, stations=stations, resolution_m=250,
                           terrain=dem)
    disc = geocov.coverage(units, villages=villages, stations=stations, resolution_m=250)
    assert terr.villages["best_technology"].tolist() == ["2G", "2G", "none", "none"]
    assert disc.villages["best_technology"].tolist() == ["2G"] * 4
    t = terr.table("total").iloc[0]
    assert t["covered_area_km2_2g"] == pytest.approx(math.pi * HORIZON_30_15**2 / 1e6, rel=0.01)
    assert disc.table("total").iloc[0]["covered_area_km2_2g"] == pytest.approx(
        math.pi * 35.0**2, rel=0.01)
    sh = terr.shadowed.set_index("village_code")
    assert sh.index.tolist() == ["V28", "V34"]  # equal populations: by code
    assert (sh["terrain_technology"] == "none").all() and (sh["station_id"] == "S0").all()
    assert (sh["ridge_height_m"] > 0).all()  # the earth's bulge is the ridge


@pytest.mark.parametrize("above", [-0.2, 0.2])
def test_a_ridge_between_station_and_village_through_coverage(above):
    """The single ridge of known height (see the village test above) through coverage():
    the village and the commune behind the ridge lose 4G exactly when the ridge stands
    above the ray; the shadowed list names the station and the ridge."""
    crit = 15.75 - 2000.0 * 2000.0 / (2 * KR)
    z = np.zeros((40, 200))
    z[:, 119] = crit + above  # x = 5,950 .. 6,000 m, ridge crest at 5,975 m
    dem = make_dem(z, cell=50.0)
    units = units_frame({"West": (3000, 0, 6000, 2000), "East": (6000, 0, 10000, 2000)})
    villages = villages_frame({"Front": (4975.0, 1025.0), "Behind": (7975.0, 1025.0)})
    stations = stations_frame([dict(x=3975.0, y=1025.0, technology="4G", range_m=4500.0)])
    r = geocov.coverage(units, villages=villages, stations=stations, resolution_m=50,
                        terrain=dem)
    blocked = above > 0
    assert r.villages["best_technology"].tolist() == ["4G", "none" if blocked else "4G"]
    t = r.table("total").iloc[0]
    assert t["villages_covered_4g"] == (1 if blocked else 2)
    if blocked:
        row = r.shadowed.iloc[0]
        assert (row["village_code"], row["commune_name"], row["station_id"]) == \
            ("Behind", "East", "S0")
        assert row["distance_m"] == pytest.approx(4000.0)
        assert row["ridge_distance_m"] == pytest.approx(2000.0)
        assert row["ridge_height_m"] == pytest.approx(above, abs=1e-6)
        assert row["ridge_elevation_m"] == pytest.approx(crit + above)
    else:
        assert len(r.shadowed) == 0


def test_a_valley_village_below_a_hilltop_station_is_served():
    """A mast on a 600 m hilltop whose slope falls straight to a valley floor 2 km away:
    the ground stays below the ray (it starts 30 m above the crest), so the valley
    village 3 km out is served; a village 4 km out behind a 400 m ridge is not."""
    x = (np.arange(200) + 0.5) * 50.0  # cell centres, m
    xs = 1000.0
    row = np.where(np.abs(x - xs) < 2000, 600.0 - 0.3 * np.abs(x - xs), 0.0)
    row[np.abs(x - (xs + 3500.0)) < 50] = 400.0
    dem = make_dem(np.tile(row, (30, 1)), cell=50.0)
    units = units_frame({"Valley": (0, 0, 10000, 1500)})
    villages = villages_frame({"Floor": (xs + 3000.0, 725.0), "Beyond": (xs + 4000.0, 725.0)})
    stations = stations_frame([dict(x=xs + 25.0, y=725.0, technology="4G", range_m=4500.0)])
    r = geocov.coverage(units, villages=villages, stations=stations, resolution_m=50,
                        terrain=dem)
    assert r.villages["best_technology"].tolist() == ["4G", "none"]
    assert r.shadowed["village_code"].tolist() == ["Beyond"]
    assert r.shadowed["ridge_distance_m"].iloc[0] == pytest.approx(3475.0, abs=50)


def test_pathloss_mode_behind_a_small_ridge_is_not_behind_a_mountain():
    """4 km from a 4G mast: behind an 18 m ridge the line of sight is lost by about 2 m,
    but the diffraction loss (~8 dB) leaves the link budget positive; behind a 300 m
    mountain it does not (~43 dB)."""
    z = np.zeros((80, 200))
    z[40:, 119] = 18.0  # the southern half (rows from the north): a small ridge
    z[:40, 119] = 300.0  # the northern half: a mountain
    dem = make_dem(z, cell=50.0)
    units = units_frame({"C": (3000, 0, 9000, 4000)})
    villages = villages_frame({"Small": (7975.0, 1025.0), "Mountain": (7975.0, 3025.0)})
    stations = stations_frame([dict(x=3975.0, y=1025.0, technology="4G", range_m=4100.0),
                               dict(x=3975.0, y=3025.0, technology="4G", range_m=4100.0)])
    kw = dict(villages=villages, stations=stations, resolution_m=50, terrain=dem)
    los = geocov.coverage(units, **kw)
    pl = geocov.coverage(units, terrain_mode="pathloss", **kw)
    assert los.villages["best_technology"].tolist() == ["none", "none"]
    assert pl.villages["best_technology"].tolist() == ["4G", "none"]
    m = pl.shadowed.set_index("village_code")["margin_db"]
    assert m.index.tolist() == ["Mountain"] and -30 < m["Mountain"] < 0
    assert "path loss: free space + Deygout" in pl.metadata["model"]
    assert pl.table("total").iloc[0]["covered_area_km2_4g"] > \
        los.table("total").iloc[0]["covered_area_km2_4g"]
    with pytest.raises(SchemaError, match=r"terrain_mode must be one of \['los', 'pathloss'\]"):
        geocov.coverage(units, terrain_mode="itm", **kw)


def test_a_unit_behind_a_wall_has_no_signal_with_terrain():
    """'Unit has T' comes from the reached cells and served villages: the disc reaches
    into the commune behind the wall, the signal does not."""
    z = np.zeros((40, 200))
    z[:, 98:100] = 500.0  # x = 4,900 .. 5,000 m: the wall stands in the western commune
    dem = make_dem(z, cell=50.0)
    units = units_frame({"West": (2000, 0, 5000, 2000), "East": (5000, 0, 8000, 2000)})
    stations = stations_frame([dict(x=3500.0, y=1000.0, technology="4G", range_m=2500.0)])
    disc = geocov.coverage(units, stations=stations, resolution_m=50)
    terr = geocov.coverage(units, stations=stations, resolution_m=50, terrain=dem)
    assert disc.table("commune")["communes_with_4g"].tolist() == [1, 1]
    assert terr.table("commune")["communes_with_4g"].tolist() == [1, 0]
    assert terr.shadowed is None  # no villages: no list


def test_a_dem_that_does_not_cover_the_study_area_is_named(tmp_path):
    """A DEM file covering only the western commune: the eastern one's terrain would be
    invented, so a warning names it."""
    import rasterio
    from rasterio.transform import from_origin

    tif = tmp_path / "west.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=80, height=60, count=1,
                       dtype="float32", crs=UTM, transform=from_origin(X0, Y0 + 3000, 50, 50)
                       ) as dst:
        dst.write(np.zeros((1, 60, 80), np.float32))
    units = units_frame({"West": (500, 500, 3500, 2500), "East": (3500, 500, 7500, 2500)})
    stations = stations_frame([dict(x=2000.0, y=1500.0, technology="4G", range_m=1000.0)])
    with pytest.warns(DataQualityWarning, match=r"1 unit\(s\) of the study area \(positions "
                                                r"\[1\]\) run past the DEM file"):
        r = geocov.coverage(units, stations=stations, resolution_m=50, terrain=tif)
    assert "lie outside the file's extent" in r.metadata["model"]


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    dem = make_dem(fractal(128, seed=seed, relief=300.0), cell=50.0)
    units = units_frame({"A": (0, 0, 3200, 6400), "B": (3200, 0, 6400, 3200),
                         "C": (3200, 3200, 6400, 6400)})
    v = rng.uniform(200, 6200, (30, 2))
    villages = villages_frame({f"V{i:02d}": tuple(p) for i, p in enumerate(v)},
                              population=rng.integers(10, 900, 30))
    s = rng.uniform(500, 5900, (6, 2))
    tech = rng.choice(["2G", "3G", "4G"], 6)
    stations = stations_frame([dict(x=a, y=b, technology=t, range_m=float(rng.uniform(800, 2500)),
                                    operator=str(rng.choice(["A", "B"])))
                               for (a, b), t in zip(s, tech, strict=True)])
    return dem, units, villages, stations


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_terrain_never_adds_coverage_and_the_comparison_adds_up(seed):
    from geocov.terrain.compare import compare_terrain

    dem, units, villages, stations = _random_case(seed)
    c = compare_terrain(units, villages=villages, stations=stations, terrain=dem,
                        resolution_m=50)
    for level in c.levels:
        t = c.table(level)
        for metric in ("villages", "population", "area_km2"):
            assert (t[f"{metric}_blocked"] >= -1e-9).all()
        assert (t["villages_pct_terrain"].fillna(0) <= t["villages_pct_disc"].fillna(0)).all()
    tot = c.table("total").set_index("technology")
    sh = c.shadowed
    assert tot.loc["any", "villages_blocked"] == (sh["terrain_technology"] == "none").sum()
    if "4g" in tot.index:  # the best technology: lost 4G <=> shadowed from 4G
        assert tot.loc["4g", "villages_blocked"] == (sh["disc_technology"] == "4G").sum()
    assert c.terrain.table("commune")[[f"communes_with_{x}" for x in ("2g", "3g", "4g")]] \
        .le(c.disc.table("commune")[[f"communes_with_{x}" for x in ("2g", "3g", "4g")]]).all().all()


# ============================================================================ analysis, CLI, demo
def _sample_toml(tmp_path, model_lines: str):
    """The sample's analysis file (its "sample:" paths resolve from anywhere) with lines
    added to [model]."""
    text = geocov.sample_paths()["analysis"].read_text(encoding="utf-8").replace(
        "[model]\n", f"[model]\n{model_lines}\n")
    p = tmp_path / "analysis.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_model_section_takes_the_dem(tmp_path):
    from geocov.analysis import read_analysis, run_priorities, run_terrain_comparison

    (tmp_path / "dem.tif").write_bytes(geocov.sample_paths()["terrain"].read_bytes())
    p = _sample_toml(tmp_path, 'dem = "dem.tif"\nterrain_mode = "los"\nantenna_height_m = 35')
    a = read_analysis(p)
    assert a.model["dem"] == str(tmp_path / "dem.tif") and a.model["antenna_height_m"] == 35
    c = run_terrain_comparison(a)
    assert c.terrain.metadata["terrain"]["dem"] == "dem.tif"
    assert "antenna height 35 m above ground" in c.terrain.metadata["model"]
    assert 0 < len(c.shadowed) < 1500 and "terrain" not in c.disc.metadata
    # the priority list takes [model] dem when [priorities] has none
    pr = run_priorities(a, c.terrain)
    assert any(n.startswith("DEM dem.tif") for n in pr.notes)
    for bad, msg in (('terrain_mode = "itm"', r'\[model\] terrain_mode must be "los" \(line '
                                              r'of sight\) or "pathloss", got \'itm\''),
                     ("antenna_height_m = 900", r"\[model\] antenna_height_m must be the "
                                                r"antenna height above ground in metres, "
                                                r"0-600, got 900"),
                     ("dem_resolution_m = 0", r"\[model\] dem_resolution_m must be a positive "
                                              r"number of metres, got 0")):
        with pytest.raises(SchemaError, match=msg):
            read_analysis(_sample_toml(tmp_path, bad))
    with pytest.raises(SchemaError, match=r"no \[model\] dem, so no terrain model to compare "
                                          r"with the disc model; set \[model\] dem"):
        run_terrain_comparison(geocov.sample_paths()["analysis"])


def test_cli_report_with_a_dem_writes_the_comparison(tmp_path):
    from click.testing import CliRunner

    from geocov.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, [
        "report", "--analysis", str(geocov.sample_paths()["analysis"]),
        "--dem", str(geocov.sample_paths()["terrain"]), "--terrain-mode", "pathloss",
        "--antenna-height-m", "25", "-o", f"{out}/"])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.startswith("Terrain (disc model"))
    assert "shadowed village(s)" in line
    names = {p.name for p in out.iterdir()}
    assert {"terrain.xlsx", "terrain.gpkg", "terrain_shadowed_villages.csv",
            "terrain_commune.csv", "terrain_total.csv", "terrain_model.csv"} <= names
    sh = pd.read_csv(out / "terrain_shadowed_villages.csv", encoding="utf-8-sig",
                     dtype={"village_code": str})
    assert sh["margin_db"].notna().all() and (sh["margin_db"] < 0).all()
    model = pd.read_csv(out / "coverage_model.csv", encoding="utf-8-sig")
    text = model.set_index("key").loc["model", "value"]
    assert "Terrain (pathloss)" in text and "antenna height 25 m" in text
    tot = pd.read_csv(out / "terrain_total.csv", encoding="utf-8-sig").set_index("technology")
    assert tot.loc["4g", "villages_covered_terrain"] < tot.loc["4g", "villages_covered_disc"]
    # one file: the comparison beside it, under the file's stem
    res = CliRunner().invoke(main, [
        "report", "--analysis", str(geocov.sample_paths()["analysis"]),
        "--dem", str(geocov.sample_paths()["terrain"]), "-o", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r_terrain.xlsx").exists()


def test_demo_sets_the_disc_model_beside_the_terrain(tmp_path):
    from click.testing import CliRunner

    from geocov.cli import main

    res = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "t"), "--no-maps", "-q"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("Signal in 150/150 communes")  # the disc model's tables
    assert lines[1] == ("Terrain (disc model -> with terrain): 4G in 735 -> 658 of 1,500 "
                        "villages, 63.5% -> 59.2% of people, 27.4% -> 21.1% of the area; 277 "
                        "shadowed village(s) (183 left with no signal).")
    # then the priority list's and the plan's sentences, before the files
    assert lines[2].startswith("1,500 villages; listed: tier 1: no signal 328")
    assert lines[3].startswith("71 new 4G sites, 19 upgrades of 2G/3G sites to 4G")
    assert lines[4].startswith("wrote ")
    # the README shows these lines as the demo prints them ("..." cuts a line short)
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ geocov demo\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(shown) == 4
    for want, got in zip(shown, lines[:4], strict=True):
        assert got.startswith(want.removesuffix(" ...")), (want, got)
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "t" / "terrain.xlsx", read_only=True)
    assert wb.sheetnames[0] == "shadowed_villages" and "commune" in wb.sheetnames
    wb.close()


# ============================================================================ validate
def _write_dem(path, z, cell=100.0, origin=(X0, Y0), nodata=-9999.0):
    import rasterio
    from rasterio.transform import from_origin

    z = np.asarray(z, dtype="float32")
    t = from_origin(origin[0], origin[1] + z.shape[0] * cell, cell, cell)
    with rasterio.open(path, "w", driver="GTiff", height=z.shape[0], width=z.shape[1], count=1,
                       dtype="float32", crs=UTM, transform=t, nodata=nodata) as dst:
        dst.write(z, 1)
    return path


def test_check_dem_names_units_past_the_file_and_the_void_share(tmp_path):
    """Two 10 km x 10 km communes; the DEM covers the west one only, and a void fills
    its northern half: 50 + 100 of 200 km² have no elevation data (75 %)."""
    from geocov.terrain.model import check_dem

    units = units_frame({"West": (0, 0, 10_000, 10_000), "East": (10_000, 0, 20_000, 10_000)})
    z = np.full((100, 100), 250.0)
    z[:50] = -9999.0  # the northern half (rows from the top)
    problems = check_dem(_write_dem(tmp_path / "west.tif", z), units)
    assert len(problems) == 2
    assert problems[0].startswith("1 unit(s) of the study area (East (")
    assert "run past the DEM file (50.0% of the area)" in problems[0]
    assert problems[1].startswith("75.0% of the study area has no elevation data in west.tif")
    full = _write_dem(tmp_path / "full.tif", np.full((100, 200), 250.0))
    assert check_dem(full, units) == []
    (tmp_path / "bad.tif").write_text("not a raster")
    with pytest.raises(geocov.DataSourceError, match=r"bad.tif: cannot be read as an "
                                                     r"elevation model"):
        check_dem(tmp_path / "bad.tif", units)


def test_validate_checks_the_dem_over_the_units(tmp_path):
    """A DEM that covers the sample's western half: validate says so and exits 1."""
    import rasterio
    from click.testing import CliRunner

    from geocov.analysis import validate_analysis
    from geocov.cli import main

    with rasterio.open(geocov.sample_paths()["terrain"]) as src:
        z, profile = src.read(1), src.profile
    half = z[:, : z.shape[1] // 2]
    profile.update(width=half.shape[1])
    with rasterio.open(tmp_path / "west.tif", "w", **profile) as dst:
        dst.write(half, 1)
    v = validate_analysis(_sample_toml(tmp_path, 'dem = "west.tif"'))
    dem = v.problems.loc[v.problems["kind"] == "dem"]
    assert len(dem) == 2 and v.changes_figures
    assert dem["where"].iloc[0] == str(tmp_path / "west.tif")
    assert "run past the DEM file" in dem["detail"].iloc[0]
    res = CliRunner().invoke(main, ["validate", "--analysis", str(tmp_path / "analysis.toml"),
                                    "--rejects", str(tmp_path / "r.csv"), "-q"])
    assert res.exit_code == 1, res.output
    assert f"  elevation model {tmp_path / 'west.tif'}: " in res.output
    # the sample's own DEM covers it all
    assert validate_analysis(_sample_toml(tmp_path, 'dem = "sample:terrain"')).problems.empty


def test_demo_in_vietnamese_says_the_terrain_line_in_vietnamese(tmp_path):
    from click.testing import CliRunner

    from geocov.cli import main

    res = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "t"), "--no-maps", "-q",
                                    "--lang", "vi"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[1] == ("Địa hình (mô hình bán kính phủ sóng -> có tính địa hình): 4G ở 735 -> "
                        "658 trên 1.500 thôn, 63,5% -> 59,2% dân số, 27,4% -> 21,1% diện tích; "
                        "277 thôn bị địa hình che khuất (183 thôn thành trắng sóng).")
    assert lines[2].startswith("1.500 thôn; trong danh sách: mức 1: trắng sóng")
    assert lines[3].startswith("71 trạm BTS 4G mới, nâng cấp 19 trạm BTS 2G/3G lên 4G")
