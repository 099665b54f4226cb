"""End-to-end coverage on real Vietnamese boundaries and the real WorldPop raster.

Expected figures come from ``shared/data/SOURCES.md``: Lào Cai (pre-2025) has 9 districts
and 6,362.6 km² (gis.chinhphu.vn layer); WorldPop 2020 puts about 632 k people in it;
164 communes in the 2009-era GADM set; 99 communes in 2025 (two levels, no districts).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import geocov

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def pop2020(shared_data):
    return str(shared_data / "population" / "vnm_ppp_2020_1km_Aggregated_UNadj.tif")


def _stations_near(units, n=60, seed=1):
    """A few synthetic stations inside the units or within ~5 km of them (no real station
    data exists); a station in a far corner of the bounding box would rightly be named as
    far from every unit."""
    rng = np.random.default_rng(seed)
    lonlat = units.to_crs(4326)
    minx, miny, maxx, maxy = lonlat.total_bounds
    lon = rng.uniform(minx - 0.05, maxx + 0.05, 20 * n)
    lat = rng.uniform(miny - 0.05, maxy + 0.05, 20 * n)
    near = shapely.dwithin(shapely.points(lon, lat), lonlat.union_all(), 0.05)
    lon, lat = lon[near][:n], lat[near][:n]
    assert len(lon) == n
    frame = gpd.GeoDataFrame(
        {
            "station_id": [f"s{i}" for i in range(n)],
            "technology": rng.choice(["2G", "3G", "4G"], n),
            "operator": "X",
            "range_m": np.nan,
            "azimuth_deg": np.nan,
            "beamwidth_deg": np.nan,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    return frame


def test_lao_cai_districts_pre2025_with_worldpop(shared_data, pop2020):
    path = shared_data / "boundaries" / "vn_admin_pre2025_gischinhphu_dvhcvn.gpkg"
    units = geocov.read_units(
        path,
        layer="districts",
        levels={"province": "province_name", "district": "name"},
        codes={"province": "level1_id", "district": "level2_id"},
    )
    lc = units[units["province_name"] == "Tỉnh Lào Cai"]
    lc.attrs = units.attrs
    r = geocov.coverage(lc, stations=_stations_near(lc), population=pop2020)
    p = r.table("province").iloc[0]
    assert p["districts"] == 9
    assert p["area_km2"] == pytest.approx(6362.6, rel=2e-3)
    assert p["population"] == pytest.approx(632_000, rel=0.01)
    assert p["population_source"] == "raster:vnm_ppp_2020_1km_Aggregated_UNadj.tif"
    d = r.table("district")
    assert d["population"].sum() == pytest.approx(p["population"])
    assert (d["population_covered_any"] <= d["population"] + 1e-6).all()


def test_lao_cai_2025_two_levels(shared_data, pop2020):
    path = shared_data / "boundaries" / "vn_communes_2025_5prov_sapnhap.gpkg"
    units = geocov.read_units(
        path,
        layer="communes_2025",
        levels={"province": "province_code", "commune": "name"},
        codes={"province": "province_code", "commune": "code"},
    )
    lc = units[units["province_code"] == "15"]
    lc.attrs = units.attrs
    r = geocov.coverage(lc, stations=_stations_near(lc), population=pop2020)
    assert r.levels == ("province", "commune", "total")
    p = r.table("province").iloc[0]
    assert p["communes"] == 99
    # new Lào Cai = old Lào Cai + Yên Bái (~6,364 + ~6,888 km2)
    assert 13_000 < p["area_km2"] < 13_500
    assert 0 < p["communes_with_signal"] <= 99


def test_gadm_communes_three_levels(shared_data):
    path = shared_data / "boundaries" / "vn_communes_gadm41_L3_simplified.gpkg"
    units = geocov.read_units(
        path,
        levels={"province": "NAME_1", "district": "NAME_2", "commune": "NAME_3"},
        codes={"commune": "GID_3"},
    )
    lc = units[units["province_name"] == "LàoCai"]
    lc.attrs = units.attrs
    r = geocov.coverage(lc, stations=_stations_near(lc), resolution_m=200)
    assert len(r.table("district")) == 9
    assert r.table("province").iloc[0]["communes"] == 164
    # GADM's simplified communes overlap (6.65 km2 in Lào Cai): the exact unit areas sum a
    # little above the outline, and the coverage still adds up child to parent
    c = r.table("commune")
    assert c["covered_area_km2_any"].sum() == pytest.approx(
        r.table("province").iloc[0]["covered_area_km2_any"]
    )
