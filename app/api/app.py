"""The FastAPI application: settings, database and lexicon wired once per process."""

from __future__ import annotations

import logging
import sys
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from app import runtime
from app.api import errors
from app.api.limits import BodyLimit
from app.api.metrics import Timing, record_write
from app.api.routes import router
from app.score.active import ActiveLexicon
from app.settings import Settings, get_settings
from app.store.db import make_engine, make_sessionmaker, migrate
from app.store.writer import BatchWriter

log = logging.getLogger("callqa")


def create_app(settings: Settings | None = None, *, settle_gc: bool = False) -> FastAPI:
    """The application. settle_gc (set by `callqa serve`, not by tests that make many apps in
    one process): tune the garbage collector for a long-running server once started."""
    settings = settings or get_settings()
    zone = settings.zone()  # the center's time zone: what a day is, and times without an offset

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The event loop scores calls and the writer thread mostly waits on the database; each
        # time the writer wakes it needs the GIL back from whoever is scoring, who by default
        # keeps it for up to 5 ms. A shorter turn lets it in sooner.
        sys.setswitchinterval(0.001)
        engine = make_engine(settings.database_url)
        migrate(engine, zone)
        app.state.sessions = make_sessionmaker(engine)
        app.state.writer = BatchWriter(app.state.sessions, zone, linger=settings.write_linger_ms / 1000,
                                       on_commit=record_write)  # group commit for POST /v1/calls
        app.state.cpu = anyio.CapacityLimiter(1)  # one scoring thread per worker process
        app.state.lexicon = ActiveLexicon(settings.lexicon_dir, app.state.scoring, shared=settings.run_dir)
        if settle_gc:
            runtime.settle_gc()
        log.info("lexicon %s, database %s", app.state.lexicon.current.version, engine.url.render_as_string(hide_password=True))
        yield
        app.state.writer.close()
        engine.dispose()

    app = FastAPI(title="callqa", version="0.1.0", lifespan=lifespan,
                  description="Speech-compliance checks for Chinese call-center transcripts: POST finished calls, "
                              "query scored calls, agents and rules.")
    app.state.settings = settings
    app.state.scoring = settings.scoring()
    app.state.hints = settings.hints()  # what reading other formats takes from the settings
    app.state.zone = zone
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Timing)
    app.include_router(router)
    _document_call_body(app)
    return app


def create_service() -> FastAPI:
    """What `callqa serve` runs: the application, configured from the environment."""
    return create_app(settle_gc=True)


def _document_call_body(app: FastAPI) -> None:
    """The call routes read their body themselves (see app.api.routes); put the Call schema
    in the OpenAPI document they refer to."""
    from app.models import Call

    def openapi():
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            call = Call.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(call.pop("$defs", {}))
            components["Call"] = call
            # The two ways to send an API key (app.api.auth): /docs then has an Authorize button.
            schema["components"]["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
