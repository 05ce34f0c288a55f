"""`GET /v1/models`: the public catalogue, no key needed (§5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from poe_tui.fakepoe.catalogue import catalogue_json
from poe_tui.fakepoe.common import begin
from poe_tui.fakepoe.fault_doors import Door, fault_refusal


async def list_models(request: Request) -> Response:
    call = await begin(request)
    faulted = fault_refusal(call, Door.OTHER, call.error)
    if faulted is not None:
        return faulted
    return call.json(catalogue_json())


def routes() -> list[BaseRoute]:
    return [Route("/v1/models", list_models, methods=["GET"])]
