"""One error shape for every error the service answers:

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": [...]}}

`message` says what to do about it; `details` lists field problems with their paths.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.errors import InputError, LexiconError, StoreUnavailable, UnscorableCall
from app.ingest.formats import InvalidCall, UnknownFormat
from app.ingest.roles import RolesUnknown

log = logging.getLogger("callqa")

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_format", 422: "invalid", 500: "internal", 503: "unavailable"}


def _resend(request: Request) -> str:
    """A call answered with 503 or 500 may or may not be stored; sending it again is safe."""
    if request.method == "POST" and request.url.path == "/v1/calls":
        return "; the call may not be stored: send it again (a call sent twice is replaced, never duplicated)"
    return ""


def error_response(status: int, message: str, details: list | None = None, headers: dict | None = None) -> JSONResponse:
    body = {"status": status, "code": CODES.get(status, "error"), "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _field_problems(exc: RequestValidationError) -> tuple[int, str, list]:
    details = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            return 400, f"invalid JSON: {ctx.get('error', err.get('msg'))}", []
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        msg = "required field is missing" if err.get("type") == "missing" else \
            str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if not loc and err.get("type") in ("model_attributes_type", "dict_type", "model_type"):
            msg = "the body must be one call, a JSON object, sent with Content-Type: application/json"
        details.append({"field": ".".join(loc) or "(body)", "message": msg})
    first = details[0] if details else {"field": "(body)", "message": "invalid"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return 422, f"{first['field']}: {first['message']}{more}", details


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        status, message, details = _field_problems(exc)
        return error_response(status, message, details)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException):
        return error_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(UnscorableCall)
    async def _unscorable(_: Request, exc: UnscorableCall):
        return error_response(422, str(exc))

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError):
        if isinstance(exc, UnknownFormat):
            return error_response(415, str(exc), [{"format": k, "message": v} for k, v in exc.tried.items()])
        if isinstance(exc, InvalidCall):
            return error_response(422, str(exc), exc.details)
        if isinstance(exc, RolesUnknown):
            return error_response(422, str(exc))
        return error_response(400, str(exc))

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable):
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
        return error_response(503, f"the database is unavailable; try again shortly{_resend(request)}",
                              headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):  # the server logs the traceback
        return error_response(500, f"internal error in {request.method} {request.url.path}; the service log has "
                                   f"the details{_resend(request)}")

    @app.exception_handler(LexiconError)
    async def _lexicon(_: Request, exc: LexiconError):
        return error_response(422, f"lexicon refused; the lexicon in use is unchanged ({len(exc.problems)} problem(s))",
                              [{"file": p.file, "rule_id": p.rule_id, "field": p.field, "message": p.message}
                               for p in exc.problems])
