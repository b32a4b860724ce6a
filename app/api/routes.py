"""Thin routers: look up, call one domain or store function, return."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from functools import partial
from typing import Annotated, Literal

from anyio.to_thread import run_sync
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from app.api import schemas
from app.api.auth import require
from app.api.metrics import metrics_response, record_result
from app.ingest.formats import FORMATS, InvalidCall, read_body
from app.ingest.native import BOM, looks_native, not_native
from app.models import Call, CallResult, IsoDay, IsoTime
from app.score.scorer import score_call
from app.store import calls as store
from app.store.days import to_utc
from app.store.db import opened, ping

router = APIRouter()

# The errors each route can answer, in the OpenAPI document; all have the shape of ErrorBody.
_WHY = {400: "the body is not valid JSON, or the cursor is not one this service gave out",
        401: "no API key, or one the service does not know (when keys are configured)",
        403: "the key's role does not allow this",
        404: "no call with this call_id is stored",
        413: "the body is larger than CALLQA_MAX_BODY_BYTES",
        415: "the body is in no format callqa reads; the message names each format tried and why it did not fit",
        422: "a field or parameter is missing or invalid (`details` lists each with its path), "
             "or the call cannot be scored, or the edited lexicon is refused (`details` lists every problem)",
        503: "the database is unavailable (Retry-After says when to try again); a call sent to POST /v1/calls "
             "may not be stored: send it again"}
# Either way of presenting a key (app.api.auth); their schemes are in the document's components.
SECURITY = [{"bearer": []}, {"apiKey": []}]


def _errors(*codes: int) -> dict:
    """The OpenAPI `responses` entries of these error statuses."""
    return {c: {"model": schemas.ErrorBody, "description": _WHY[c]} for c in codes}


def _guarded(role: str, *codes: int, body: dict | None = None, answers: dict | None = None) -> dict:
    """A route's key check for `role`, and what the OpenAPI document says of it: the ways to
    send a key, its other answers, and the errors it can answer."""
    return {"dependencies": [require(role)], "openapi_extra": {"security": SECURITY, **(body or {})},
            "responses": {**(answers or {}), **_errors(401, 403, *codes)}}


# Summaries and statistics count whole days of the center's time zone (CALLQA_TIMEZONE).
FIRST_DAY = "first day counted (YYYY-MM-DD, the center's time zone)"
END_DAY = "the day after the last day counted: since=2026-10-05&until=2026-10-12 is one week"


def _lexicon(request: Request):
    return request.app.state.lexicon.current


def _session(request: Request):
    return opened(request.app.state.sessions)


# The request body is a call: native JSON (schema "Call", added to the OpenAPI document by
# app.api.app), or any format app.ingest reads. Native JSON with no query parameters is parsed
# by pydantic-core straight from the bytes; parsing, scoring and serializing the result are one
# job (see _score), and the serialized result is also what the store keeps.
CALL_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/Call"}},
    "text/plain": {"schema": {"type": "string", "description": "SRT, WebVTT or a plain-text transcript"}},
    "application/x-www-form-urlencoded": {"schema": {"type": "string", "description": "Tencent Cloud's callback"}}}}}
_to_json = CallResult.__pydantic_serializer__.to_json


async def _in_thread(fn, *args, limiter=None):
    return await run_sync(partial(fn, *args), limiter=limiter)


def _parse(body: bytes, fmt: str | None) -> Call | None:
    """The native call in the body; None when the body is plainly another format that holds
    "utterances" further in (Volcengine), to be read by app.ingest."""
    try:
        return Call.model_validate_json(body.removeprefix(BOM))
    except ValidationError as exc:
        if fmt is None and not_native(exc):
            return None
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


class Ingest(BaseModel):
    """Query parameters of the call routes: how to read a body that is not native JSON, and
    what its format has no place for."""

    format: Literal[FORMATS] | None = Field(None, description="the body's format; detected when not given")  # type: ignore[valid-type]
    call_id: str | None = Field(None, min_length=1, max_length=200, description="the call's id, where the format has none")
    agent_id: str | None = Field(None, max_length=200)
    team_id: str | None = Field(None, max_length=200)
    direction: Literal["inbound", "outbound"] | None = None
    agent: str | None = Field(None, max_length=200, description="the agent's speaker label in this file (a channel "
                              "number, a diarization label); without it the agent is inferred where the format has no roles")


def _hints(request: Request, ingest: Ingest):
    """Hints for app.ingest from the query, or None when there are none."""
    params = request.query_params
    variables = {k[4:]: [v.strip() for v in val.split(",") if v.strip()] for k, val in params.multi_items()
                 if k.startswith("var.") and len(k) > 4}
    if not variables and not any(getattr(ingest, f) is not None for f in Ingest.model_fields if f != "format"):
        return None
    base = request.app.state.hints
    return replace(base, call_id=ingest.call_id, agent_id=ingest.agent_id, team_id=ingest.team_id,
                   direction=ingest.direction, agent=ingest.agent, variables={**base.variables, **variables})


def _score_job(app, body: bytes, fmt: str | None, hints) -> tuple[CallResult, Call, bytes]:
    call = None
    if hints is None and (fmt == "native" or (fmt is None and (looks_native(body) or not body.strip()))):
        call = _parse(body, fmt)  # native JSON as it comes: the fast path
    if call is None:
        calls = read_body(body, fmt, hints or app.state.hints)
        if len(calls) != 1:
            raise InvalidCall(f"the body holds {len(calls)} calls; send one call per request")
        call = calls[0]
    result = score_call(call, app.state.lexicon.current, app.state.scoring)
    return result, call, _to_json(result, exclude_none=True)


# A body up to this size (a call of some ten thousand characters; ordinary calls are 5-10 KB)
# is parsed and scored right on the event loop: it takes about a millisecond, less than
# handing it to a thread and back costs. A larger one goes to the worker's one scoring thread,
# so the loop keeps answering other requests meanwhile.
INLINE_BODY_BYTES = 32 * 1024


async def _score(request: Request, ingest: Ingest) -> tuple[CallResult, Call, bytes]:
    body = await request.body()
    hints = _hints(request, ingest)
    if len(body) <= INLINE_BODY_BYTES:
        return _score_job(request.app, body, ingest.format, hints)
    # Scoring is CPU-bound: more threads would only take turns at the GIL.
    return await _in_thread(_score_job, request.app, body, ingest.format, hints, limiter=request.app.state.cpu)


@router.post("/v1/calls", response_model=CallResult, status_code=201, summary="Score and store one finished call",
             **_guarded("ingest", 400, 413, 415, 422, 503, body=CALL_BODY, answers={
                 200: {"description": "a call with this call_id was stored before; it is replaced and rescored"}}))
async def post_call(request: Request, ingest: Annotated[Ingest, Query()]) -> Response:
    writer = request.app.state.writer
    # The writer commits waiting calls together, and waits a little for calls still being
    # scored; the answer goes out once this one is stored.
    with writer.on_the_way():
        result, call, payload = await _score(request, ingest)
        stored = writer.submit(call, result, payload)
    created = await asyncio.wrap_future(stored)
    record_result(result, stored=True)
    return Response(payload, status_code=201 if created else 200, media_type="application/json")


@router.post("/v1/score", response_model=CallResult, summary="Score one call without storing it",
             **_guarded("ingest", 400, 413, 415, 422, body=CALL_BODY))
async def post_score(request: Request, ingest: Annotated[Ingest, Query()]) -> Response:
    result, _, payload = await _score(request, ingest)
    record_result(result, stored=False)
    return Response(payload, media_type="application/json")


@router.get("/v1/calls", response_model=schemas.CallPage, summary="Find stored calls", **_guarded("read", 400, 422, 503))
def list_calls(request: Request,
               agent_id: str | None = None, team_id: str | None = None,
               since: IsoTime | None = Query(None, description="started_at at or after"),
               until: IsoTime | None = Query(None, description="started_at before"),
               min_score: float | None = Query(None, allow_inf_nan=False, description="score at or above"),
               max_score: float | None = Query(None, allow_inf_nan=False, description="score at or below"),
               passed: bool | None = None,
               rule_id: str | None = Query(None, description="calls that failed this rule"),
               phrase: str | None = Query(None, description="calls with a hit on this lexicon phrase"),
               sort: Literal["started_at", "score"] = "started_at", order: Literal["desc", "asc"] = "desc",
               limit: int = Query(50, ge=1, le=500), cursor: str | None = None) -> schemas.CallPage:
    zone = request.app.state.zone  # a time without an offset is the center's local time
    where = store.CallFilter(agent_id=agent_id, team_id=team_id, since=to_utc(since, zone), until=to_utc(until, zone),
                             min_score=min_score, max_score=max_score, passed=passed, rule_id=rule_id, phrase=phrase)
    with _session(request) as session:
        items, total, nxt = store.list_calls(session=session, where=where, zone=zone, sort=sort, descending=order == "desc",
                                             limit=limit, cursor=cursor)
    return schemas.CallPage(items=items, total=total, next_cursor=nxt)


@router.get("/v1/calls/{call_id:path}", response_model=schemas.CallDetail, **_guarded("read", 404, 422, 503),
            response_model_exclude_none=True,  # the result as POST /v1/calls answered it
            summary="A stored call: its transcript, and its result with the evidence")
def get_call(call_id: str, request: Request) -> schemas.CallDetail:
    with _session(request) as session:
        found = store.get_call(session=session, call_id=call_id)
    if found is None:
        raise HTTPException(404, f"no call {call_id!r} is stored; check the call_id, or POST it to /v1/calls")
    return schemas.CallDetail(call=found[0], result=found[1])


@router.get("/v1/agents/{agent_id}/summary", response_model=schemas.AgentSummary, **_guarded("read", 422, 503),
            summary="One agent: calls, average score, pass rate, violations per rule, trend per day")
def agent_summary(agent_id: str, request: Request, since: IsoDay | None = Query(None, description=FIRST_DAY),
                  until: IsoDay | None = Query(None, description=END_DAY)) -> schemas.AgentSummary:
    with _session(request) as session:
        return schemas.AgentSummary(**store.agent_summary(session=session, agent_id=agent_id, since=since, until=until))


@router.get("/v1/stats/rules", response_model=list[schemas.RuleStat], **_guarded("read", 422, 503),
            summary="Per rule: violation rate, hits and the phrases hit most")
def rule_stats(request: Request, since: IsoDay | None = Query(None, description=FIRST_DAY),
               until: IsoDay | None = Query(None, description=END_DAY),
               team_id: str | None = None, agent_id: str | None = None) -> list[schemas.RuleStat]:
    with _session(request) as session:
        return [schemas.RuleStat(**r) for r in
                store.rule_stats(session=session, since=since, until=until, team_id=team_id, agent_id=agent_id)]


def _lexicon_info(lex) -> schemas.LexiconInfo:
    return schemas.LexiconInfo(version=lex.version, directory=lex.directory, rules=[
        schemas.RuleInfo(id=r.id, name=r.name, kind=r.kind, speaker=r.speaker, direction=r.direction,
                         window=r.window.model_dump(exclude_none=True), deduction=r.deduction.model_dump(exclude_none=True),
                         veto=r.veto, message=r.message, phrases=[p.text for g in r.groups for p in g])
        for r in lex.rules])


@router.get("/v1/lexicons", response_model=schemas.LexiconInfo, **_guarded("read"),
            summary="The rules in use and the lexicon version")
def get_lexicons(request: Request) -> schemas.LexiconInfo:
    return _lexicon_info(_lexicon(request))


@router.post("/v1/lexicons/reload", response_model=schemas.LexiconInfo, **_guarded("admin", 422),
             summary="Load the edited lexicon files; refused with every problem listed if they are not valid")
def reload_lexicons(request: Request) -> schemas.LexiconInfo:
    return _lexicon_info(request.app.state.lexicon.reload())


@router.get("/healthz", response_model=schemas.Health, summary="Is the service up, can it reach its database",
            responses=_errors(503))
def healthz(request: Request) -> schemas.Health:
    with _session(request) as session:
        ping(session=session)
    return schemas.Health(status="ok", database="ok", lexicon_version=_lexicon(request).version)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics() -> Response:
    return metrics_response()
