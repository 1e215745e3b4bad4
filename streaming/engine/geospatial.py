"""Geospatial functions ("GeoSpatial Functions" reference pages, "Introduction to Stream Analytics
geospatial functions", "Geofencing and geospatial aggregation scenarios").

Constructors take latitude first and return GeoJSON records with longitude first, as the pages'
examples: `CreatePoint(3.0, -10.2)` -> `{"type": "Point", "coordinates": [-10.2, 3.0]}`. The
relationship functions take GeoJSON records, the same as JSON text, or Well-Known Text
(`POINT(lon lat)`, `LINESTRING(...)`, `POLYGON((...))`, the geofencing article's reference data).

They compute on the WGS84 ellipsoid, as the service's geography type does: ST_DISTANCE is the geodesic
distance in meters (Vincenty's inverse formula; the ST_DISTANCE page's example, 784028.74077501823 m,
is matched to a millimetre); an edge between two vertices is the great elliptic arc (the ellipsoid cut
by the plane through both vertices and the centre), so the predicates are sign tests on earth-centred
vectors. A polygon is the region on the left of its ring (CreatePolygon page: "right-hand ring
orientation"; a clockwise ring is the whole globe minus it). ST_WITHIN and ST_OVERLAPS follow the
OGC definitions their pages paraphrase (a point on a polygon's boundary is not within it); the results
are bigint 1 or 0. NULL arguments give NULL. What the pages do not define is an error rather than a
guess: ST_DISTANCE of anything but two points, ST_OVERLAPS of anything but two polygons, a polygon
with holes or a ring that crosses itself (not a valid geography), other WKT types.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any

import orjson

from streaming.engine.values import record_property

_A = 6_378_137.0  # WGS84 semi-major axis, meters
_F = 1 / 298.257223563  # WGS84 flattening
_B = _A * (1 - _F)
_E2 = _F * (2 - _F)
_EPS = 1e-13
"""Below this (radians, about a micrometre on the earth) a point is on an arc."""

Vec = tuple[float, float, float]


@dataclass(frozen=True)
class Geometry:
    """A point, line string or polygon: (longitude, latitude) vertices; a polygon's ring is closed."""

    kind: str  # "point" | "linestring" | "polygon"
    coordinates: tuple[tuple[float, float], ...]

    @cached_property
    def shape(self) -> _Shape:
        """The earth-centred vertices and edges (computed once per geometry; WKT text is cached)."""
        vertices = [_vector(lon, lat) for lon, lat in self.coordinates]
        edges = _edges(vertices)
        if self.kind == "polygon":
            for i, (a, b) in enumerate(edges):
                for c, d in edges[i + 2 :]:
                    if _crosses(a, b, c, d):
                        raise TypeError(
                            f"the polygon's ring crosses itself between {self.coordinates[i]} and "
                            f"{self.coordinates[i + 1]} (not a valid geography): {list(self.coordinates)!r}"[
                                :300
                            ]
                        )
        return _Shape(self.kind, vertices, edges)


def _number(value: Any, function: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{function}() needs a number for {what}, got {value!r}")
    return float(value)


def _position(value: Any, function: str) -> tuple[float, float]:
    """A GeoJSON position [longitude, latitude(, altitude ignored)]."""
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise TypeError(f"{function}() needs a position [longitude, latitude], got {value!r}")
    lon, lat = _number(value[0], function, "a longitude"), _number(value[1], function, "a latitude")
    return lon, _latitude(lat, function)


def _latitude(lat: float, function: str) -> float:
    if not -90.0 <= lat <= 90.0:
        raise TypeError(f"{function}() needs a latitude between -90 and 90, got {lat!r}")
    return lat


def _ring(points: list[tuple[float, float]], function: str) -> tuple[tuple[float, float], ...]:
    if points and points[0] != points[-1]:
        points = [*points, points[0]]  # the ST_OVERLAPS page's example rings are not closed
    if len(set(points)) < 3:
        raise TypeError(f"{function}() needs a polygon of at least 3 distinct points, got {points!r}")
    return tuple(points)


def _from_geojson(record: dict[str, Any], function: str) -> Geometry:
    kind = record_property(record, "type")
    coordinates = record_property(record, "coordinates")
    kind = kind.casefold() if isinstance(kind, str) else kind
    if kind == "point":
        return Geometry("point", (_position(coordinates, function),))
    if kind == "linestring" and isinstance(coordinates, list) and len(coordinates) >= 2:
        return Geometry("linestring", tuple(_position(p, function) for p in coordinates))
    if kind == "polygon" and isinstance(coordinates, list) and coordinates:
        rings = coordinates
        if all(isinstance(p, list) and p and not isinstance(p[0], list) for p in coordinates):
            rings = [coordinates]  # one ring without the outer list, as the pages' examples write it
        if len(rings) != 1:
            raise TypeError(f"{function}(): polygons cannot have holes (CreatePolygon page), got {record!r}")
        if not isinstance(rings[0], list):
            raise TypeError(f"{function}() needs a list of positions as a polygon ring, got {record!r}")
        return Geometry("polygon", _ring([_position(p, function) for p in rings[0]], function))
    raise TypeError(
        f"{function}() needs a GeoJSON Point, LineString or Polygon (at least 2 points for a line), "
        f"got {record!r}"
    )


_WKT = re.compile(r"\s*(POINT|LINESTRING|POLYGON)\s*\((.*)\)\s*", re.IGNORECASE | re.DOTALL)
_WKT_RING = re.compile(r"\s*\(([^()]*)\)\s*")


def _wkt_points(text: str, function: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.split(","):
        parts = pair.split()
        if len(parts) not in (2, 3):
            raise TypeError(f"{function}(): {pair.strip()!r} is not a WKT position 'longitude latitude'")
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError as exc:
            raise TypeError(f"{function}(): {pair.strip()!r} is not a WKT position") from exc
        points.append((lon, _latitude(lat, function)))
    return points


def _from_wkt(text: str, function: str) -> Geometry:
    match = _WKT.fullmatch(text)
    if match is None:
        raise TypeError(
            f"{function}() needs GeoJSON or WKT POINT, LINESTRING or POLYGON (other WKT types are not "
            f"supported by the local engine), got {text[:80]!r}"
        )
    kind, body = match.group(1).lower(), match.group(2)
    if kind == "polygon":
        ring = _WKT_RING.fullmatch(body)
        if ring is None:
            raise TypeError(
                f"{function}(): polygons cannot have holes (CreatePolygon page), got {text[:80]!r}"
            )
        return Geometry("polygon", _ring(_wkt_points(ring.group(1), function), function))
    points = _wkt_points(body, function)
    if kind == "point" and len(points) == 1:
        return Geometry("point", tuple(points))
    if kind == "linestring" and len(points) >= 2:
        return Geometry("linestring", tuple(points))
    raise TypeError(f"{function}(): {text[:80]!r} has the wrong number of positions for its type")


@lru_cache(maxsize=4096)
def _from_text(text: str, function: str) -> Geometry:
    if text.lstrip().startswith("{"):
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise TypeError(f"{function}() cannot read {text[:80]!r} as GeoJSON: {exc}") from exc
        return _from_geojson(record, function) if isinstance(record, dict) else _from_wkt(text, function)
    return _from_wkt(text, function)


def geometry(value: Any, function: str) -> Geometry:
    """A GeoJSON record, GeoJSON text or WKT text as a geometry (TypeError naming the function)."""
    if isinstance(value, dict):
        return _from_geojson(value, function)
    if isinstance(value, str):
        return _from_text(value, function)
    raise TypeError(f"{function}() needs a GeoJSON record or WKT text, got {value!r}")


# -- constructors -------------------------------------------------------------------------------------


def create_point(latitude: Any, longitude: Any) -> dict[str, Any] | None:
    """CreatePoint(latitude, longitude) -> {"type": "Point", "coordinates": [longitude, latitude]}."""
    if latitude is None or longitude is None:
        return None
    lat = _latitude(_number(latitude, "CreatePoint", "the latitude"), "CreatePoint")
    return {"type": "Point", "coordinates": [_number(longitude, "CreatePoint", "the longitude"), lat]}


def _points(values: tuple[Any, ...], function: str) -> list[list[float]] | None:
    if any(v is None for v in values):
        return None
    positions = []
    for value in values:
        found = geometry(value, function)
        if found.kind != "point":
            raise TypeError(f"{function}() takes points (CreatePoint), got a {found.kind}")
        positions.append(list(found.coordinates[0]))
    return positions


def create_line_string(*points: Any) -> dict[str, Any] | None:
    """CreateLineString(point, point, ...): at least two points, connected in order."""
    positions = _points(points, "CreateLineString")
    return None if positions is None else {"type": "LineString", "coordinates": positions}


def create_polygon(*points: Any) -> dict[str, Any] | None:
    """CreatePolygon(point, ...): at least 3 distinct points, the first repeated last to close it."""
    positions = _points(points, "CreatePolygon")
    if positions is None:
        return None
    if positions[0] != positions[-1]:
        raise TypeError(
            f"CreatePolygon(): the first and last points must be equal to close the loop (CreatePolygon "
            f"page), got {positions[0]} and {positions[-1]}"
        )
    _ring([(p[0], p[1]) for p in positions], "CreatePolygon")
    return {"type": "Polygon", "coordinates": [positions]}


# -- distance ---------------------------------------------------------------------------------------


def st_distance(a: Any, b: Any) -> float | None:
    """ST_DISTANCE(pointA, pointB): geodesic distance on WGS84 in meters."""
    if a is None or b is None:
        return None
    first, second = geometry(a, "ST_DISTANCE"), geometry(b, "ST_DISTANCE")
    if first.kind != "point" or second.kind != "point":
        raise TypeError(
            "ST_DISTANCE() is supported between two points only (the page's result for other "
            f"geometries is not defined), got a {first.kind} and a {second.kind}"
        )
    (lon1, lat1), (lon2, lat2) = first.coordinates[0], second.coordinates[0]
    return _vincenty(lat1, lon1, lat2, lon2)


def _vincenty(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Vincenty's inverse formula on WGS84 (meters)."""
    u1 = math.atan((1 - _F) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - _F) * math.tan(math.radians(lat2)))
    longitude = math.radians(lon2 - lon1)
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lam = longitude
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0.0:
            return 0.0  # the same point
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha * sin_alpha
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
        previous = lam
        lam = longitude + (1 - c) * _F * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm * cos_2sm))
        )
        if abs(lam - previous) < 1e-13:
            break
    else:
        raise TypeError(
            f"ST_DISTANCE(): the geodesic between ({lat1}, {lon1}) and ({lat2}, {lon2}) does not converge "
            "(nearly antipodal points are not supported by the local engine)"
        )
    u_sq = cos2_alpha * (_A * _A - _B * _B) / (_B * _B)
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm * cos_2sm)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma * sin_sigma) * (-3 + 4 * cos_2sm * cos_2sm)
            )
        )
    )
    return _B * big_a * (sigma - delta_sigma)


# -- predicates on earth-centred vectors ---------------------------------------------------------------


def _vector(lon: float, lat: float) -> Vec:
    """The WGS84 earth-centred position of (lon, lat), scaled to unit length."""
    phi, lam = math.radians(lat), math.radians(lon)
    n = 1 / math.sqrt(1 - _E2 * math.sin(phi) ** 2)
    x, y, z = (
        n * math.cos(phi) * math.cos(lam),
        n * math.cos(phi) * math.sin(lam),
        n * (1 - _E2) * math.sin(phi),
    )
    norm = math.sqrt(x * x + y * y + z * z)
    return x / norm, y / norm, z / norm


def _cross(a: Vec, b: Vec) -> Vec:
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _unit(a: Vec) -> Vec:
    norm = math.sqrt(_dot(a, a))
    return a[0] / norm, a[1] / norm, a[2] / norm


def _normal(a: Vec, b: Vec) -> Vec | None:
    """The unit normal of the plane through a, b and the centre (left of a->b), None when a == b."""
    # (b + a) x (b - a) = 2 a x b, without the cancellation of nearly equal vectors
    n = _cross((b[0] + a[0], b[1] + a[1], b[2] + a[2]), (b[0] - a[0], b[1] - a[1], b[2] - a[2]))
    norm = math.sqrt(_dot(n, n))
    return None if norm < 1e-300 else (n[0] / norm, n[1] / norm, n[2] / norm)


def _on_arc(p: Vec, a: Vec, b: Vec) -> bool:
    n = _normal(a, b)
    if n is None:
        return _dot(p, a) > 1 - _EPS * _EPS
    if abs(_dot(n, p)) > _EPS:
        return False
    return _dot(_cross(a, p), n) >= -_EPS and _dot(_cross(p, b), n) >= -_EPS


def _crosses(a: Vec, b: Vec, c: Vec, d: Vec) -> bool:
    """The arcs a-b and c-d cross at a point inside both (not at an end)."""
    ab, cd = _normal(a, b), _normal(c, d)
    if ab is None or cd is None:
        return False
    acb, bda = -_dot(ab, c), _dot(ab, d)
    if acb * bda <= 0 or abs(acb) <= _EPS or abs(bda) <= _EPS:
        return False
    cbd, dac = -_dot(cd, b), _dot(cd, a)
    return acb * cbd > 0 and acb * dac > 0 and abs(cbd) > _EPS and abs(dac) > _EPS


def _edges(points: list[Vec]) -> list[tuple[Vec, Vec]]:
    return list(pairwise(points))


def _on_boundary(p: Vec, edges: list[tuple[Vec, Vec]]) -> bool:
    return any(_on_arc(p, a, b) for a, b in edges)


def _left_points(ring: list[tuple[Vec, Vec]]) -> Iterator[Vec]:
    """Points just left of the ring's edges, each in the region left of the ring: beside an edge's middle,
    closer to it than any other edge (the step from the middle crosses and touches no other edge)."""
    retraced = {(b, a) for a, b in ring}
    for a, b in ring:
        n = _normal(a, b)
        if n is None or (a, b) in retraced:
            continue  # a zero-length or spike edge has no inside next to it
        middle = _unit((a[0] + b[0], a[1] + b[1], a[2] + b[2]))
        half_chord = _cross((b[0] + a[0], b[1] + a[1], b[2] + a[2]), (b[0] - a[0], b[1] - a[1], b[2] - a[2]))
        offset = 1e-3 * math.sqrt(_dot(half_chord, half_chord)) / 2  # a thousandth of the edge (radians)
        while offset > 1e-12:
            point = _unit((middle[0] + offset * n[0], middle[1] + offset * n[1], middle[2] + offset * n[2]))
            others = [(c, d) for c, d in ring if (c, d) != (a, b)]
            if not any(_crosses(middle, point, c, d) or _on_arc(point, c, d) for c, d in others) and not any(
                _on_arc(v, middle, point) for c, d in others for v in (c, d)
            ):
                yield point
                break
            offset /= 16  # another edge runs that close: step nearer to this one


def _inside(p: Vec, ring: list[tuple[Vec, Vec]]) -> bool:
    """p (not on the ring) lies in the region left of the ring: the parity of the ring's crossings on
    the arc from a point just left of one of its edges to p."""
    for reference in _left_points(ring):
        if _dot(reference, p) < -1 + 1e-9 or any(_on_arc(v, reference, p) for v, _ in ring):
            continue  # antipodal, or the arc runs through a vertex: try another reference point
        crossings = sum(_crosses(reference, p, c, d) for c, d in ring)
        return crossings % 2 == 0
    raise TypeError("the polygon's ring has no edge to tell its inside from (the local engine gives up)")


@dataclass(frozen=True)
class _Shape:
    kind: str
    vertices: list[Vec]
    edges: list[tuple[Vec, Vec]]

    def probes(self) -> list[Vec]:
        """Points of the geometry itself: its vertices and the middles of its edges."""
        middles = [_unit((a[0] + b[0], a[1] + b[1], a[2] + b[2])) for a, b in self.edges if _normal(a, b)]
        return self.vertices + middles


def _shape(value: Any, function: str) -> _Shape:
    return geometry(value, function).shape


def _strictly_inside(p: Vec, polygon: _Shape) -> bool:
    return not _on_boundary(p, polygon.edges) and _inside(p, polygon.edges)


def _interior_point(polygon: _Shape) -> Vec:
    """A point just inside the polygon (left of one of its edges)."""
    for point in _left_points(polygon.edges):
        return point
    raise TypeError("the polygon's ring has no edge to tell its inside from (the local engine gives up)")


def _any_crossing(first: _Shape, second: _Shape) -> bool:
    return any(_crosses(a, b, c, d) for a, b in first.edges for c, d in second.edges)


def _within(inner: _Shape, polygon: _Shape) -> bool:
    """OGC within: every point of `inner` in the polygon, some point in its interior."""
    if inner.kind == "point":
        return _strictly_inside(inner.vertices[0], polygon)
    if _any_crossing(inner, polygon):
        return False
    probes = inner.probes()
    on_edge = [_on_boundary(p, polygon.edges) for p in probes]
    if not all(edge or _inside(p, polygon.edges) for p, edge in zip(probes, on_edge, strict=True)):
        return False
    if inner.kind == "polygon":
        if any(_strictly_inside(v, inner) for v in polygon.vertices):
            return False  # the polygon's boundary runs inside `inner`: `inner` is the larger one
        return _strictly_inside(_interior_point(inner), polygon) or not all(on_edge)
    return not all(on_edge)


def _bit(value: bool) -> int:
    return 1 if value else 0


def st_within(geography: Any, polygon: Any) -> int | None:
    """ST_WITHIN(geography, polygon): 1 when the point, line string or polygon lies within the polygon."""
    if geography is None or polygon is None:
        return None
    inner, outer = _shape(geography, "ST_WITHIN"), _shape(polygon, "ST_WITHIN")
    if outer.kind != "polygon":
        raise TypeError(f"ST_WITHIN() needs a polygon as its second argument, got a {outer.kind}")
    return _bit(_within(inner, outer))


def st_overlaps(a: Any, b: Any) -> int | None:
    """ST_OVERLAPS(polygonA, polygonB): 1 when their interiors meet and neither is within the other."""
    if a is None or b is None:
        return None
    first, second = _shape(a, "ST_OVERLAPS"), _shape(b, "ST_OVERLAPS")
    if first.kind != "polygon" or second.kind != "polygon":
        raise TypeError(
            "ST_OVERLAPS() compares two polygons (its page; other geometries are not defined there), "
            f"got a {first.kind} and a {second.kind}"
        )
    interiors_meet = (
        _any_crossing(first, second)
        or any(_strictly_inside(v, second) for v in first.vertices)
        or any(_strictly_inside(v, first) for v in second.vertices)
        or _strictly_inside(_interior_point(first), second)
    )
    return _bit(interiors_meet and not _within(first, second) and not _within(second, first))


def _touches(p: Vec, shape: _Shape) -> bool:
    if shape.kind == "point":
        return _dot(p, shape.vertices[0]) > 1 - _EPS * _EPS
    if _on_boundary(p, shape.edges):
        return True
    return shape.kind == "polygon" and _inside(p, shape.edges)


def st_intersects(a: Any, b: Any) -> int | None:
    """ST_INTERSECTS(a, b): 1 when the two geometries share at least one point."""
    if a is None or b is None:
        return None
    first, second = _shape(a, "ST_INTERSECTS"), _shape(b, "ST_INTERSECTS")
    return _bit(
        _any_crossing(first, second)
        or any(_touches(v, second) for v in first.vertices)
        or any(_touches(v, first) for v in second.vertices)
    )


GEOSPATIAL: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (implementation, fewest arguments, most arguments), merged into scalars.SCALARS
    "createpoint": (create_point, 2, 2),
    "createlinestring": (create_line_string, 2, 64),
    "createpolygon": (create_polygon, 4, 64),
    "st_distance": (st_distance, 2, 2),
    "st_within": (st_within, 2, 2),
    "st_overlaps": (st_overlaps, 2, 2),
    "st_intersects": (st_intersects, 2, 2),
}
