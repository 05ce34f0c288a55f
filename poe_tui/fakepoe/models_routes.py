"""`GET /v1/models`: the public catalogue, no key needed (§5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from poe_tui.fakepoe.catalogue import catalogue_json
from poe_tui.fakepoe.common import begin


async def list_models(request: Request) -> Response:
    call = await begin(request)
    failure = call.precheck(auth=False)
    if failure is not None:
        return call.error(failure)
    return call.json(catalogue_json())


def routes() -> list[BaseRoute]:
    return [Route("/v1/models", list_models, methods=["GET"])]
