"""Golden cases of the geospatial functions, each an example of the documentation it cites, with its
input and output as the page gives them, run through `python -m streaming test`'s runner.

Pages: the query language reference (MicrosoftDocs/azure-reference-other stream-analytics-docs/
createpoint.md, createlinestring.md, createpolygon.md, st-distance.md, st-within.md, st-overlaps.md,
st-intersects.md), "Introduction to Stream Analytics geospatial functions"
(articles/stream-analytics/stream-analytics-geospatial-functions.md) and "Geofencing and geospatial
aggregation scenarios with Azure Stream Analytics" (articles/stream-analytics/geospatial-scenarios.md).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streaming.engine import Engine, ExecutionError, InputEvent, compile_query
from streaming.engine.codegen import ExpressionCompiler, Scope, build
from streaming.engine.columnar import Batch, ColumnarCompiler, to_list
from streaming.engine.geospatial import st_distance, st_intersects, st_overlaps, st_within
from streaming.engine.parser import parse
from streaming.engine.table import Table
from streaming.tests.test_documented_semantics import run_case

LAT_LON = [{"latitude": 3.0, "longitude": -10.2}, {"latitude": -87.33, "longitude": 20.2321}]


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    """A counter-clockwise ring (the inside on the left), closed."""
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def test_create_point_example(tmp_path: Path) -> None:
    """CreatePoint page: latitude first in, longitude first out."""
    query = "SELECT CreatePoint(input.latitude, input.longitude) AS p FROM input"
    expected = [{"p": {"type": "Point", "coordinates": [-10.2, 3.0]}}, {"p": point(20.2321, -87.33)}]
    run_case(tmp_path, query, {"input": LAT_LON}, {"output": expected})


def test_create_line_string_example(tmp_path: Path) -> None:
    query = """SELECT CreateLineString(CreatePoint(input.latitude, input.longitude), CreatePoint(10.0, 10.0),
                   CreatePoint(10.5, 10.5)) AS line FROM input"""
    expected = [
        {"line": {"type": "LineString", "coordinates": [[-10.2, 3.0], [10.0, 10.0], [10.5, 10.5]]}},
        {"line": {"type": "LineString", "coordinates": [[20.2321, -87.33], [10.0, 10.0], [10.5, 10.5]]}},
    ]
    run_case(tmp_path, query, {"input": LAT_LON}, {"output": expected})


def test_create_polygon_example(tmp_path: Path) -> None:
    query = """SELECT CreatePolygon(CreatePoint(input.latitude, input.longitude), CreatePoint(10.0, 10.0),
                   CreatePoint(10.5, 10.5), CreatePoint(input.latitude, input.longitude)) AS area FROM input"""
    expected = [
        {
            "area": {
                "type": "Polygon",
                "coordinates": [[[-10.2, 3.0], [10.0, 10.0], [10.5, 10.5], [-10.2, 3.0]]],
            }
        },
        {
            "area": {
                "type": "Polygon",
                "coordinates": [[[20.2321, -87.33], [10.0, 10.0], [10.5, 10.5], [20.2321, -87.33]]],
            }
        },
    ]
    run_case(tmp_path, query, {"input": LAT_LON}, {"output": expected})


def run_rows(query: str, rows: list[dict[str, Any]], references: dict[str, Any] | None = None) -> list[Any]:
    engine = Engine(compile_query(query))
    for name, reference_rows in (references or {}).items():
        engine.load_reference(name, reference_rows)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    batches = engine.process("input", [InputEvent(row, now, 0) for row in rows]) + engine.flush()
    return [payload for batch in batches for payload in batch.payloads]


def test_st_distance_example_is_the_wgs84_geodesic_in_meters() -> None:
    """ST_DISTANCE page: 784028.74077501823 between [-5, -5] and [0, 0]; the engine's Vincenty geodesic
    differs by under a millimetre (0.97 mm), which the service's own library also rounds differently."""
    rows = [{"carPosition": point(-5.0, -5.0), "warehouse": point(0.0, 0.0)}]
    out = run_rows("SELECT ST_DISTANCE(input.carPosition, input.warehouse) AS d FROM input", rows)
    assert out[0]["d"] == pytest.approx(784028.74077501823, abs=0.002)


def test_st_distance_in_a_reference_join_finds_stations_within_10_km() -> None:
    """Introduction: `JOIN Station s ON ST_DISTANCE(c.Location, s.Location) < 10 * 1000`."""
    query = """SELECT c.CarId, s.Name FROM input c JOIN Station s ON ST_DISTANCE(c.Location, s.Location) < 10 * 1000"""
    stations = [
        {"Name": "near", "Location": point(0.05, 0.0)},  # about 5.6 km east of the car
        {"Name": "far", "Location": point(0.1, 0.0)},  # about 11.1 km
    ]
    out = run_rows(query, [{"CarId": 1, "Location": point(0.0, 0.0)}], {"Station": stations})
    assert out == [{"CarId": 1, "Name": "near"}]


def test_st_within_example(tmp_path: Path) -> None:
    """ST_WITHIN page (rings nested as `[[...]]`) and the introduction (one ring without the outer list)."""
    rows = [
        {
            "deliveryDestination": point(76.6, 10.1),
            "warehouse": {"type": "Polygon", "coordinates": [square(0, 0, 10, 10)]},
        },
        {
            "deliveryDestination": point(15.0, 15.0),
            "warehouse": {"type": "Polygon", "coordinates": square(10, 10, 20, 20)},
        },
    ]
    query = "SELECT ST_WITHIN(input.deliveryDestination, input.warehouse) AS within FROM input"
    run_case(tmp_path, query, {"input": rows}, {"output": [{"within": 0}, {"within": 1}]})


def test_st_overlaps_example(tmp_path: Path) -> None:
    """ST_OVERLAPS page, its rings as written (the second storm ring is not closed and retraces an edge)."""
    storm = [[10.0, 10.0], [40.0, 10.0], [40.0, 40.0], [40.0, 20.0], [40.0, 40.0]]
    rows = [
        {
            "datacenterArea": {"type": "Polygon", "coordinates": square(0, 0, 10, 10)},
            "stormArea": {"type": "Polygon", "coordinates": square(30, 30, 40, 40)},
        },
        {
            "datacenterArea": {"type": "Polygon", "coordinates": square(0, 0, 20, 20)},
            "stormArea": {"type": "Polygon", "coordinates": storm},
        },
    ]
    query = "SELECT ST_OVERLAPS(input.datacenterArea, input.stormArea) AS overlaps FROM input"
    run_case(tmp_path, query, {"input": rows}, {"output": [{"overlaps": 0}, {"overlaps": 1}]})


def test_st_intersects_example(tmp_path: Path) -> None:
    """ST_INTERSECTS page: two roads meeting at a shared vertex intersect; parallel ones do not."""
    paved = {"type": "LineString", "coordinates": [[-10.0, 0.0], [0.0, 0.0], [10.0, 0.0]]}
    rows = [
        {
            "pavedRoad": paved,
            "dirtRoad": {"type": "LineString", "coordinates": [[0.0, 10.0], [0.0, 0.0], [0.0, -10.0]]},
        },
        {
            "pavedRoad": paved,
            "dirtRoad": {"type": "LineString", "coordinates": [[-10.0, 10.0], [0.0, 10.0], [10.0, 10.0]]},
        },
    ]
    query = "SELECT ST_INTERSECTS(input.pavedRoad, input.dirtRoad) AS crosses FROM input"
    run_case(tmp_path, query, {"input": rows}, {"output": [{"crosses": 1}, {"crosses": 0}]})


SITES = [
    {
        "SiteID": 1,
        "SiteName": "Redmond Building 41",
        "Geofence": "POLYGON((-122.1337357922017 47.63782998329432,-122.13373042778369 47.637634793257305,"
        "-122.13346757130023 47.637642022530954,-122.13348902897235 47.637508280806806,-122.13361777500506 "
        "47.637508280806806,-122.13361241058703 47.63732393354484,-122.13265754417773 47.63730947490855,"
        "-122.13266290859576 47.637519124743164,-122.13302232460376 47.637515510097955,-122.13301696018573 "
        "47.63764925180358,-122.13272728161212 47.63764925180358,-122.13274873928424 47.63784082716388,"
        "-122.13373579220172 47.63782998329432))",
        "AllowedDeviceID": "B",
    },
    {
        "SiteID": 2,
        "SiteName": "Redmond Building 40",
        "Geofence": "POLYGON((-122.1336154507967 47.6366745947009,-122.13361008637867 47.636483015064535,"
        "-122.13349206918201 47.636479400347675,-122.13349743360004 47.63636372927573,-122.13372810357532 "
        "47.63636372927573,-122.13373346799335 47.63617576323771,-122.13263912671528 47.63616491902258,"
        "-122.13264985555134 47.63635649982525,-122.13304682248554 47.636367344000604,-122.13305218690357 "
        "47.63650831807564,-122.13276250832996 47.636497473929516,-122.13277323716602 47.63668543881025,"
        "-122.1336154507967 47.6366745947009))",
        "AllowedDeviceID": "A",
    },
    {
        "SiteID": 3,
        "SiteName": "Redmond Building 22",
        "Geofence": "POLYGON((-122.13611660248233 47.63758544698554,-122.13635263687564 47.6374083293018,"
        "-122.13622389084293 47.63733603619712,-122.13622389084293 47.63717699101473,-122.13581619507266 "
        "47.63692757827657,-122.13559625393344 47.637046862778135,-122.13569281345798 47.637144458985965,"
        "-122.13570890671207 47.637314348246214,-122.13611660248233 47.63758544698554))",
        "AllowedDeviceID": "C",
    },
]
DEVICES = [
    {"DeviceID": "A", "GeoPosition": "POINT(-122.13292341559497 47.636318374032726)"},
    {"DeviceID": "B", "GeoPosition": "POINT(-122.13338475554553 47.63743531308874)"},
    {"DeviceID": "C", "GeoPosition": "POINT(-122.13354001095752 47.63627622505007)"},
]


def test_geofencing_alert_from_wkt_reference_data(tmp_path: Path) -> None:
    """Geofencing article: device C is inside building 40 but allowed only in building 22 -> one alert."""
    query = """
        SELECT DeviceStreamInput.DeviceID, SiteReferenceInput.SiteID, SiteReferenceInput.SiteName INTO Output
        FROM DeviceStreamInput JOIN SiteReferenceInput
        ON st_within(DeviceStreamInput.GeoPosition, SiteReferenceInput.Geofence) = 0
        WHERE DeviceStreamInput.DeviceID = SiteReferenceInput.AllowedDeviceID
    """
    expected = [{"DeviceID": "C", "SiteID": 3, "SiteName": "Redmond Building 22"}]
    run_case(
        tmp_path,
        query,
        {"DeviceStreamInput": DEVICES},
        {"Output": expected},
        references={"SiteReferenceInput": SITES},
    )


def test_geofence_as_geojson_text_and_record_agree_with_wkt() -> None:
    ring = square(0, 0, 10, 10)
    wkt = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"
    record = {"type": "Polygon", "coordinates": [ring]}
    text = '{"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]]]}'
    for fence in (wkt, record, text):
        assert st_within("POINT(5 5)", fence) == 1
        assert st_within(point(15.0, 5.0), fence) == 0


def test_a_clockwise_ring_is_the_globe_minus_the_polygon() -> None:
    """CreatePolygon page: "A polygon with left-hand ring orientation will generate a geography that
    encompass the entire globe minus the polygon you declared"."""
    clockwise = {"type": "Polygon", "coordinates": [square(0, 0, 10, 10)[::-1]]}
    assert st_within(point(5.0, 5.0), clockwise) == 0
    assert st_within(point(100.0, -40.0), clockwise) == 1


def test_edges_follow_the_earth_not_the_map() -> None:
    """An edge between two points of one latitude bulges towards the pole (great elliptic arc): a point
    just north of the latitude line, midway, is inside the polygon although a flat map puts it outside."""
    fence = {"type": "Polygon", "coordinates": [square(0, 0, 40, 60)]}
    assert st_within(point(20.0, 60.5), fence) == 1
    assert st_within(point(20.0, 64.0), fence) == 0


def test_relations_between_shapes() -> None:
    big = {"type": "Polygon", "coordinates": [square(0, 0, 20, 20)]}
    small = {"type": "Polygon", "coordinates": [square(5, 5, 10, 10)]}
    assert st_within(small, big) == 1 and st_within(big, small) == 0
    assert st_overlaps(small, big) == 0  # one within the other is not an overlap (ST_OVERLAPS page)
    assert st_within(point(0.0, 10.0), big) == 0  # on the boundary: not within
    assert st_intersects(point(0.0, 10.0), big) == 1
    line = {"type": "LineString", "coordinates": [[6.0, 6.0], [8.0, 8.0]]}
    assert st_within(line, big) == 1 and st_intersects(line, small) == 1
    assert st_distance(point(0.0, 0.0), point(0.0, 0.0)) == 0.0


def test_nulls_give_null(tmp_path: Path) -> None:
    rows = [{"lat": None, "lon": 1.0, "area": None}]
    query = """SELECT CreatePoint(input.lat, input.lon) AS p, ST_WITHIN(CreatePoint(1.0, 1.0), input.area) AS w,
                      ST_DISTANCE(input.area, CreatePoint(1.0, 1.0)) AS d FROM input"""
    run_case(tmp_path, query, {"input": rows}, {"output": [{"p": None, "w": None, "d": None}]})


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("CreatePoint('north', 1.0)", "CreatePoint.*needs a number"),
        ("CreatePoint(91.0, 1.0)", "latitude between -90 and 90"),
        (
            "CreatePolygon(CreatePoint(0.0, 0.0), CreatePoint(0.0, 1.0), CreatePoint(1.0, 1.0), CreatePoint(1.0, 0.0))",
            "first and last points must be equal",
        ),
        (
            "CreatePolygon(CreatePoint(0.0, 0.0), CreatePoint(0.0, 1.0), CreatePoint(0.0, 1.0), CreatePoint(0.0, 0.0))",
            "at least 3 distinct points",
        ),
        ("ST_DISTANCE(CreatePoint(0.0, 0.0), 'POLYGON((0 0, 1 0, 1 1, 0 0))')", "two points only"),
        ("ST_WITHIN(CreatePoint(0.0, 0.0), CreatePoint(1.0, 1.0))", "needs a polygon"),
        ("ST_OVERLAPS(CreatePoint(0.0, 0.0), 'POLYGON((0 0, 1 0, 1 1, 0 0))')", "compares two polygons"),
        (
            "ST_WITHIN('POINT(0 0)', 'POLYGON((0 0, 9 0, 9 9, 0 0), (1 1, 2 1, 2 2, 1 1))')",
            "cannot have holes",
        ),
        ("ST_WITHIN('MULTIPOINT((0 0))', 'POLYGON((0 0, 9 0, 9 9, 0 0))')", "other WKT types"),
        ("ST_INTERSECTS('not a shape', 'POINT(0 0)')", "GeoJSON or WKT"),
        ("ST_WITHIN('POINT(1 1)', 'POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))')", "crosses itself"),
        ("ST_INTERSECTS(input.n, 'POINT(0 0)')", "GeoJSON record or WKT text"),
    ],
)
def test_bad_geometries_fail_the_step_naming_the_function(expression: str, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        run_rows(f"SELECT {expression} AS v FROM input", [{"n": 3}])


GEO_EXPRESSIONS = [
    "CreatePoint(lat, lon)",
    "CreateLineString(CreatePoint(lat, lon), CreatePoint(1.0, 2.0))",
    "ST_DISTANCE(CreatePoint(lat, lon), CreatePoint(0.0, 0.0))",
    "ST_WITHIN(CreatePoint(lat, lon), fence)",
    "ST_INTERSECTS(CreatePoint(lat, lon), fence)",
]


@pytest.mark.parametrize("expression", GEO_EXPRESSIONS)
def test_both_expression_compilers_agree(expression: str) -> None:
    """decisions/0006: a built-in must give the same result per row and per batch."""
    fence = "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))"
    rows = [
        {"lat": lat, "lon": lon, "fence": fence if (lat or 0) > 0 else None}
        for lat, lon in [(5.0, 5.0), (-3.0, 4.0), (None, 1.0), (0.0, 0.0), (12.5, 3.25)]
    ]
    node = parse(f"SELECT {expression} AS v INTO o FROM t").statements[0].items[0].expr
    reference = build(
        f"def f(r, t):\n    return {ExpressionCompiler(Scope(frozenset({'t'}), frozenset())).expr(node)}\n",
        "f",
    )
    evaluate = ColumnarCompiler(Scope(frozenset({"t"}), frozenset())).compile(node)
    got = to_list(evaluate(Batch(Table.of_records(rows), [0] * len(rows), [])), len(rows))
    assert got == [reference(row, 0) for row in rows]
    assert any(value is not None for value in got)


def test_a_fence_across_the_antimeridian() -> None:
    """Edges are arcs on the earth: a 2-degree square from longitude 179 to -179 holds (180, 1), not (0, 1)."""
    fence = {
        "type": "Polygon",
        "coordinates": [[[179.0, 0.0], [-179.0, 0.0], [-179.0, 2.0], [179.0, 2.0], [179.0, 0.0]]],
    }
    assert st_within(point(180.0, 1.0), fence) == 1
    assert st_within(point(-179.5, 1.5), fence) == 1
    assert st_within(point(0.0, 1.0), fence) == 0


def rectangle(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [square(x0, y0, x1, y1)]}


def test_a_sliver_polygon_keeps_its_inside() -> None:
    """A 10 cm high, 500 m wide fence: the point used to tell its inside lies within those 10 cm."""
    sliver = rectangle(-51.88, 33.8, -51.8746, 33.8000009)
    assert st_within(point(-51.877, 33.80000045), sliver) == 1
    assert st_within(point(-51.877, 33.81), sliver) == 0
    assert st_within(rectangle(-51.879, 33.801, -51.878, 33.802), sliver) == 0


def test_rectangle_relations_agree_with_their_intervals() -> None:
    """Random rectangles (1 m to 800 m, anywhere up to 80 degrees of latitude): within, overlaps and
    intersects as their longitude and latitude intervals say (arcs this short stay within millimetres
    of the map's straight lines, far from where the random corners fall)."""
    rng = random.Random(5)
    for _ in range(400):
        cx, cy, size = rng.uniform(-179, 179), rng.uniform(-80, 80), 10 ** rng.uniform(-5, -3)

        def corners() -> tuple[float, ...]:
            (x0, x1), (y0, y1) = (
                sorted(rng.uniform(0, 8) for _ in "xx"),
                sorted(rng.uniform(0, 8) for _ in "yy"),
            )
            return x0, y0, x1, y1

        a, b = corners(), corners()
        fence_a = rectangle(*(cx + v * size if i % 2 == 0 else cy + v * size for i, v in enumerate(a)))
        fence_b = rectangle(*(cx + v * size if i % 2 == 0 else cy + v * size for i, v in enumerate(b)))
        dx, dy = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
        a_in_b = b[0] <= a[0] and a[2] <= b[2] and b[1] <= a[1] and a[3] <= b[3]
        b_in_a = a[0] <= b[0] and b[2] <= a[2] and a[1] <= b[1] and b[3] <= a[3]
        assert st_within(fence_a, fence_b) == a_in_b, (a, b, cx, cy, size)
        assert st_overlaps(fence_a, fence_b) == (dx > 0 and dy > 0 and not a_in_b and not b_in_a), (a, b)
        assert st_intersects(fence_a, fence_b) == (dx >= 0 and dy >= 0), (a, b)
