"""Travel-time sources: matrix, great circle, and an OSRM-style service that may fail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from yiyang.scheduling.solver.model import Location, ProblemError, TravelMode
from yiyang.scheduling.solver.travel import (
    GreatCircleTravelTime,
    HttpTableTravelTime,
    MatrixTravelTime,
)

A = Location("a", 31.2304, 121.4737)
B = Location("b", 31.2404, 121.4737)


def test_great_circle_times_circuity_at_the_mode_speed() -> None:
    walk = GreatCircleTravelTime(circuity=1.3).minutes([A, B], TravelMode.WALK)
    car = GreatCircleTravelTime(circuity=1.3).minutes([A, B], TravelMode.CAR)
    assert walk[0][0] == 0
    assert walk[0][1] == pytest.approx(1.112 * 1.3 / 4.5 * 60, rel=0.01)
    assert car[0][1] == pytest.approx(walk[0][1] * 4.5 / 25, rel=1e-9)


def test_a_matrix_must_be_square_and_know_every_location() -> None:
    with pytest.raises(ProblemError) as raised:
        MatrixTravelTime(["a", "b"], [[0, 1], [1]])
    assert raised.value.path == "distances[1]"
    with pytest.raises(ProblemError, match="'c' is not in the matrix"):
        MatrixTravelTime(["a", "b"], [[0, 1], [1, 0]]).minutes([Location("c")], TravelMode.CAR)


class Handler(BaseHTTPRequestHandler):
    delay = 0.0
    body = b""

    def do_GET(self) -> None:
        time.sleep(self.delay)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client gave up (the timeout under test): a broken pipe is expected


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def test_the_table_service_answer_is_used(server: ThreadingHTTPServer) -> None:
    Handler.delay, Handler.body = 0.0, json.dumps({"durations": [[0, 120], [180, 0]]}).encode()
    source = HttpTableTravelTime(f"http://127.0.0.1:{server.server_port}", timeout_seconds=2)
    assert source.minutes([A, B], TravelMode.CAR) == [[0, 2], [3, 0]]
    assert source.notes == []


def test_a_slow_table_service_times_out_and_falls_back_with_a_note(
    server: ThreadingHTTPServer,
) -> None:
    Handler.delay, Handler.body = 1.5, b"{}"
    source = HttpTableTravelTime(f"http://127.0.0.1:{server.server_port}", timeout_seconds=0.2)
    began = time.perf_counter()
    minutes = source.minutes([A, B], TravelMode.WALK)
    assert time.perf_counter() - began < 1.0
    assert minutes == GreatCircleTravelTime().minutes([A, B], TravelMode.WALK)
    assert len(source.notes) == 1
    assert "failed" in source.notes[0]
    assert "great-circle" in source.notes[0]


def test_a_malformed_answer_falls_back_too(server: ThreadingHTTPServer) -> None:
    Handler.delay, Handler.body = 0.0, json.dumps({"durations": [[0]]}).encode()
    source = HttpTableTravelTime(f"http://127.0.0.1:{server.server_port}", timeout_seconds=2)
    assert source.minutes([A, B], TravelMode.CAR) == GreatCircleTravelTime().minutes(
        [A, B], TravelMode.CAR
    )
    assert "ValueError" in source.notes[0]
