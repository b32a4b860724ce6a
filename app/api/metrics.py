"""Prometheus metrics. With several worker processes, PROMETHEUS_MULTIPROC_DIR (set by
`callqa serve`) lets /metrics add up every worker's counts."""

from __future__ import annotations

import os
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response

REQUESTS = Counter("callqa_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("callqa_http_request_seconds", "HTTP request latency", ["route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
CALLS_SCORED = Counter("callqa_calls_scored_total", "Calls scored", ["stored"])
VIOLATIONS = Counter("callqa_violations_total", "Rules failed in scored calls", ["rule_id"])
WRITE_CALLS = Histogram("callqa_store_batch_calls", "Calls written per transaction by POST /v1/calls",
                        buckets=(1, 2, 4, 8, 16, 32, 64))
WRITE_SECONDS = Histogram("callqa_store_write_seconds", "Time to write and commit one transaction of calls",
                          buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


def record_write(calls: int, seconds: float) -> None:
    WRITE_CALLS.observe(calls)
    WRITE_SECONDS.observe(seconds)


def record_result(result, stored: bool) -> None:
    CALLS_SCORED.labels(stored="yes" if stored else "no").inc()
    for r in result.rules:
        if r.status == "failed":
            VIOLATIONS.labels(rule_id=r.rule_id).inc()


class Timing:
    """ASGI middleware counting requests and their latency by route (the route's path
    template, so /v1/calls/{call_id} is one series, not one per call)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [500]

        async def send_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(route=path).observe(time.perf_counter() - start)
            REQUESTS.labels(method=scope["method"], route=path, status=str(status[0])).inc()


def metrics_response() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
