"""The synthetic sample province: shipped files, determinism, realism checks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import tomllib
from click.testing import CliRunner
from geopandas.testing import assert_geodataframe_equal
from hypothesis import given, settings
from hypothesis import strategies as st

from geocov import sample
from geocov.crs import equal_area_crs
from geocov.errors import DataSourceError
from geocov.sample import make_region, sample_paths, write_sample

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

TECH = {"2g": "2G", "gsm": "2G", "3g": "3G", "umts": "3G", "wcdma": "3G", "4g": "4G", "lte": "4G"}


@pytest.fixture(scope="module")
def shipped() -> dict:
    return sample_paths()


@pytest.fixture(scope="module")
def communes(shipped) -> gpd.GeoDataFrame:
    return gpd.read_file(shipped["units"], layer="communes")


@pytest.fixture(scope="module")
def province(shipped) -> gpd.GeoDataFrame:
    return gpd.read_file(shipped["units"], layer="province")


@pytest.fixture(scope="module")
def villages(shipped) -> pd.DataFrame:
    return pd.read_csv(shipped["villages"], dtype={"village_code": str, "commune_code": str})


@pytest.fixture(scope="module")
def stations(shipped) -> pd.DataFrame:
    return pd.read_csv(shipped["stations"])


def _points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs=4326)


def test_sample_paths_finds_every_shipped_file(shipped):
    assert list(shipped) == list(sample.SAMPLE_KEYS)
    assert all(p.is_file() for p in shipped.values())
    assert shipped["units"].name == "sample_province.gpkg"
    assert shipped["units"].parent.name in ("boundaries", "_boundaries")
    assert shipped["villages"].parent.name == "sample_data"


def test_sample_paths_missing_files_name_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(sample, "_shipped_dirs", lambda: (tmp_path / "b", tmp_path / "d"))
    with pytest.raises(
        DataSourceError,
        match=r"units: .*sample_province.gpkg.*run `geocov sample --update-shipped`",
    ):
        sample_paths()


def test_regenerating_gives_the_shipped_data(tmp_path, shipped):
    fresh = write_sample(tmp_path)
    assert set(fresh) == set(shipped)
    for layer in ("communes", "districts", "province"):
        assert_geodataframe_equal(
            gpd.read_file(fresh["units"], layer=layer), gpd.read_file(shipped["units"], layer=layer)
        )
    for layer in ("nodes", "routes"):
        assert_geodataframe_equal(
            gpd.read_file(fresh["fiber"], layer=layer), gpd.read_file(shipped["fiber"], layer=layer)
        )
    for key in ("villages", "stations"):
        pd.testing.assert_frame_equal(
            pd.read_csv(fresh[key], dtype=str), pd.read_csv(shipped[key], dtype=str)
        )
    for key in ("population", "terrain"):
        with rasterio.open(fresh[key]) as a, rasterio.open(shipped[key]) as b:
            assert a.profile == b.profile
            np.testing.assert_array_equal(a.read(1), b.read(1))


def test_another_seed_gives_another_province(tmp_path):
    other = write_sample(tmp_path, seed=7)
    a = pd.read_csv(other["villages"])
    b = pd.read_csv(sample_paths()["villages"])
    assert not np.allclose(a.lon.to_numpy()[:100], b.lon.to_numpy()[:100])


def test_counts_are_those_of_a_mountain_province(communes, villages, stations):
    assert communes["province_code"].nunique() == 1
    assert communes["district_code"].nunique() == 9
    assert 140 <= len(communes) <= 160
    assert 1400 <= len(villages) <= 1600
    assert 950 <= len(stations) <= 1050
    tech = stations["technology"].str.lower().map(TECH)
    assert tech.notna().all()
    shares = tech.value_counts(normalize=True)
    assert shares["2G"] == pytest.approx(0.311, abs=0.01)
    assert shares["3G"] == pytest.approx(0.391, abs=0.01)
    assert shares["4G"] == pytest.approx(0.298, abs=0.01)
    assert stations["technology"].nunique() > 3  # mixed spellings
    assert set(stations["operator"]) == set(sample.OPERATORS)
    assert stations["station_id"].is_unique
    assert 0.2 < stations["range_m"].isna().mean() < 0.5
    sector = stations["azimuth"].notna()
    assert sector.any() and stations.loc[sector, "beamwidth"].notna().all()
    assert stations.loc[~sector, "beamwidth"].isna().all()
    assert 600_000 <= villages["population"].sum() <= 800_000
    assert villages["population"].between(100, 2000).all()


def test_codes_and_names_are_gso_style(communes, villages):
    assert communes["province_code"].str.fullmatch(r"\d{2}").all()
    assert communes["district_code"].str.fullmatch(r"\d{3}").all()
    assert communes["commune_code"].str.fullmatch(r"\d{5}").all()
    assert communes["commune_code"].is_unique
    assert communes["commune_name"].str.match(r"(Xã|Phường|Thị trấn) ").all()
    assert communes["district_name"].str.match(r"(Huyện|Thành phố) ").all()
    assert communes["province_name"].str.startswith("Tỉnh ").all()
    # names unique within their district
    assert not communes.duplicated(["district_code", "commune_name"]).any()
    assert villages["village_code"].is_unique
    assert villages["village_name"].str.match(r"(Thôn|Bản|Tổ dân phố) ").all()
    missing = villages["commune_code"].isna().mean()
    assert 0.03 < missing < 0.07


def test_communes_tile_the_province(communes, province, shipped):
    assert shapely.coverage_is_valid(communes.geometry.values)
    ea = equal_area_crs(province)
    union = shapely.coverage_union_all(communes.to_crs(ea).geometry.values)
    prov = province.to_crs(ea).geometry.iloc[0]
    assert union.area == pytest.approx(prov.area, rel=1e-6)
    assert shapely.symmetric_difference(union, prov).area / prov.area < 1e-6
    assert prov.area / 1e6 == pytest.approx(6300, rel=0.01)
    districts = gpd.read_file(shipped["units"], layer="districts").to_crs(ea)
    assert len(districts) == 9
    assert districts.area.sum() == pytest.approx(prov.area, rel=1e-6)
    assert (districts.geom_type == "Polygon").all()  # contiguous groups of communes


def test_villages_lie_in_the_province_and_in_their_commune(villages, communes, province):
    pts = _points(villages)
    assert pts.within(province.geometry.iloc[0]).all()
    joined = gpd.sjoin(
        pts,
        communes[["commune_code", "geometry"]],
        predicate="within",
        lsuffix="file",
        rsuffix="space",
    )
    coded = joined[joined["commune_code_file"].notna()]
    assert (coded["commune_code_file"] == coded["commune_code_space"]).all()
    assert joined["commune_code_space"].nunique() == len(communes)  # no empty commune


def test_fiber_reaches_about_two_thirds_and_some_communes_are_dark(
    shipped, villages, stations, communes
):
    routes = gpd.read_file(shipped["fiber"], layer="routes")
    nodes = gpd.read_file(shipped["fiber"], layer="nodes")
    assert set(routes["from_node"]) | set(routes["to_node"]) <= set(nodes["node_id"])
    assert len(routes) == len(nodes) - 1  # a tree
    utm = 32648
    vil = _points(villages).to_crs(utm)
    r = routes.to_crs(utm)
    tree = shapely.STRtree(r.geometry.values)
    within = np.zeros(len(vil), bool)
    within[tree.query(vil.geometry.values, predicate="dwithin", distance=2000)[0]] = True
    assert 0.58 <= within.mean() <= 0.72
    lte = _points(stations[stations.technology.str.lower().map(TECH) == "4G"]).to_crs(utm)
    c = communes.to_crs(utm)
    no_4g = ~c.geometry.apply(lambda g: bool(lte.dwithin(g, 3000).any())).to_numpy()
    no_fiber = ~c.geometry.apply(lambda g: bool(r.dwithin(g, 2000).any())).to_numpy()
    assert 1 <= (no_4g & no_fiber).sum() <= 10


def test_rasters_are_sane(shipped, villages, province):
    with rasterio.open(shipped["population"]) as src:
        assert src.crs.to_epsg() == 4326
        assert src.res == pytest.approx((1 / 1200, 1 / 1200))
        assert src.dtypes[0] == "float32" and src.nodata == -99999
        assert src.compression is not None
        b = src.bounds
        pb = province.total_bounds
        assert b.left < pb[0] and b.bottom < pb[1] and b.right > pb[2] and b.top > pb[3]
        a = src.read(1, masked=True)
    assert a.min() >= 0
    assert 1.0 <= a.sum() / villages["population"].sum() <= 1.3
    with rasterio.open(shipped["terrain"]) as src:
        assert src.crs.to_epsg() == 4326 and src.dtypes[0] == "int16"
        t = src.read(1)
    assert 50 <= t.min() <= 300 and 2000 <= t.max() <= 3100


def test_shipped_analysis_toml_uses_sample_paths(shipped):
    cfg = tomllib.loads(shipped["analysis"].read_text(encoding="utf-8"))
    assert cfg["units"]["path"] == "sample:units"
    for section, key in (
        ("villages", "path"),
        ("stations", "path"),
        ("fiber", "path"),
        ("population", "raster"),
    ):
        assert cfg[section][key] == f"sample:{section}"
    assert cfg["units"]["codes"]["commune"] == "commune_code"


def test_written_analysis_toml_paths_are_relative(tmp_path):
    out = write_sample(tmp_path, seed=3)
    cfg = tomllib.loads(out["analysis"].read_text(encoding="utf-8"))
    assert (tmp_path / cfg["units"]["path"]).is_file()
    assert (tmp_path / cfg["population"]["raster"]).is_file()


def test_cli_writes_the_files(tmp_path):
    from geocov.cli.sample import command

    res = CliRunner().invoke(command, ["--out", str(tmp_path / "s"), "--seed", "5"])
    assert res.exit_code == 0, res.output
    assert "villages" in res.output
    assert (tmp_path / "s" / "sample_province.gpkg").is_file()
    assert (tmp_path / "s" / "population.tif").is_file()


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_d=st.integers(1, 4),
    cpd=st.integers(1, 6),
    area=st.floats(50, 3000),
)
def test_make_region_invariants(seed, n_d, cpd, area):
    r = make_region(
        n_provinces=1,
        districts_per_province=n_d,
        communes_per_district=cpd,
        villages_per_commune=2,
        stations=20,
        centre_lonlat=(105.5, 20.5),
        area_km2=area,
        seed=seed,
    )
    c = r["communes"]
    assert len(c) == n_d * cpd and c["district_code"].nunique() == n_d
    assert shapely.coverage_is_valid(c.geometry.values)
    assert c.to_crs(r["stats"]["laea"]).area.sum() / 1e6 == pytest.approx(area, rel=1e-6)
    assert len(r["villages"]) == 2 * len(c) and len(r["stations"]) == 20
