"""The one place for CRS policy.

* Inputs without a CRS raise :class:`~geocov.errors.CRSError`.
* Distances and footprints are built in a metric *working CRS*: the UTM zone
  of the centre of the data unless the user names one (e.g. VN-2000,
  ``EPSG:3405``/``EPSG:9210`` or any projected CRS).
* Areas (``area_km2``) are computed in an *equal-area CRS*: a Lambert
  azimuthal equal-area projection centred on the data, so that areas are
  exact whatever the extent of the study area (a whole country spans two
  UTM zones).
* Maps reproject to EPSG:4326 themselves.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
from pyproj import CRS

from .errors import CRSError

__all__ = ["require_crs", "utm_crs_for", "working_crs", "equal_area_crs", "lonlat_bounds"]

WGS84 = CRS.from_epsg(4326)


def require_crs(gdf: gpd.GeoDataFrame, *, what: str) -> CRS:
    """Return the CRS of ``gdf`` or raise :class:`CRSError` naming ``what``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> require_crs(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4326), what="x").to_epsg()
    4326
    """
    if gdf.crs is None:
        raise CRSError(
            f"{what} has no CRS. Set one when reading (e.g. a .prj beside a shapefile) or "
            f"with gdf.set_crs('EPSG:4326') if the coordinates are longitude/latitude."
        )
    return CRS.from_user_input(gdf.crs)


def lonlat_bounds(gdf: gpd.GeoSeries | gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Bounds of ``gdf`` in longitude/latitude (minx, miny, maxx, maxy)."""
    crs = gdf.crs
    if crs is None:
        raise CRSError("cannot compute longitude/latitude bounds of data without a CRS")
    minx, miny, maxx, maxy = gdf.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        raise CRSError("the data has no finite bounds (empty geometries only?)")
    if CRS.from_user_input(crs).is_geographic:
        return float(minx), float(miny), float(maxx), float(maxy)
    t = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    return tuple(float(v) for v in t.transform_bounds(minx, miny, maxx, maxy))  # type: ignore[return-value]


def utm_crs_for(lon: float, lat: float) -> CRS:
    """The WGS 84 UTM zone containing (lon, lat).

    Examples
    --------
    >>> utm_crs_for(104.0, 22.3).to_epsg()   # Lao Cai
    32648
    >>> utm_crs_for(-70.0, -33.0).to_epsg()  # Santiago
    32719
    """
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def working_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any = None) -> CRS:
    """The metric working CRS for ``gdf``: ``crs`` if given, else the UTM zone of its centre.

    Raises :class:`CRSError` if ``crs`` is given but not projected in metres.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> g = gpd.GeoSeries([box(103.5, 21.8, 104.6, 22.9)], crs=4326)
    >>> working_crs(g).to_epsg()
    32648
    >>> working_crs(g, "EPSG:3405").name   # VN-2000 / UTM zone 48N
    'VN-2000 / UTM zone 48N'
    """
    if crs is not None:
        out = CRS.from_user_input(crs)
        if not out.is_projected or out.axis_info[0].unit_name not in ("metre", "meter"):
            raise CRSError(
                f"working CRS {out.name!r} is not a projected CRS in metres; name a UTM or "
                f"national metric CRS such as 'EPSG:3405' (VN-2000 / UTM 48N)"
            )
        return out
    minx, miny, maxx, maxy = lonlat_bounds(gdf)
    return utm_crs_for((minx + maxx) / 2.0, (miny + maxy) / 2.0)


def equal_area_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """A Lambert azimuthal equal-area CRS centred on ``gdf`` (areas exact at any extent)."""
    minx, miny, maxx, maxy = lonlat_bounds(gdf)
    lon0, lat0 = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +x_0=0 +y_0=0 +ellps=WGS84 "
        "+units=m +no_defs"
    )
