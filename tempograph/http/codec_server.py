"""A Temporal codec server on the HTTP API, so that the Temporal UI and the `temporal` CLI show
the payloads Tempograph encrypts (tempograph.codec) to people allowed to see them.

Temporal's codec server protocol: `POST <endpoint>/decode` and `POST <endpoint>/encode`, each
taking and answering a `Payloads` message as protobuf JSON (`{"payloads": [{"metadata":
{"encoding": "<base64>", ...}, "data": "<base64>"}]}`); 400 for a body that is not such JSON or
a payload that does not decode. The endpoint is `/codec` (the UI and the CLI append /decode and
/encode; a deeper path such as `/codec/<namespace>/decode` works too, as the protocol asks).
The UI sends `X-Namespace`; the codec is the same for every namespace.

Auth: the API's (`Authorization: Bearer <TEMPOGRAPH_API_TOKEN>` or `x-api-key`), answered with
the CORS headers so that the browser shows the UI the 401. `temporal workflow show
--codec-endpoint http://host:2024/codec --codec-auth "Bearer <token>"` sends it; the Temporal
UI sends an Authorization header only with "pass access token" (its own OIDC token, over
HTTPS): with an API token set, put the UI and /codec behind the same sign-in, or decode with
the CLI.

CORS: the browser's preflight (OPTIONS) is answered for the origins allowed
(TEMPOGRAPH_CODEC_CORS_ORIGINS, comma-separated, plus the embedded dev server's UI under
`tempograph dev`); another origin gets no CORS headers, so its pages cannot read the answers.
The endpoint exists only when the client's data converter has a codec that encodes (keys are
configured, or the application passed its own codec to `connect`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from tempograph.codec import NoKeysCodec
from tempograph.http.auth import token_matches

CODEC_PATH = "/codec"
CORS_ENV = "TEMPOGRAPH_CODEC_CORS_ORIGINS"
ALLOWED_HEADERS = "content-type,x-namespace,authorization,authorization-extras,x-api-key"
Step = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def cors_origins_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    return [o.strip().rstrip("/") for o in env.get(CORS_ENV, "").split(",") if o.strip()]


def codec_router(
    codec: PayloadCodec, api_token: str | None, cors_origins: Sequence[str] = ()
) -> APIRouter:
    """The /codec routes for `codec` (see the module docstring)."""
    allowed = frozenset(o.rstrip("/") for o in cors_origins)
    router = APIRouter(include_in_schema=False)

    def cors(request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin is None or origin.rstrip("/") not in allowed:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            # The UI's "include cross-origin credentials" setting sends cookies.
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    async def apply(request: Request, step: Step) -> Response:
        headers = cors(request)
        if api_token and not token_matches(
            api_token, request.headers.get("authorization"), request.headers.get("x-api-key")
        ):
            return JSONResponse(
                {"detail": "Missing or invalid API key"},
                status_code=401,
                headers={**headers, "WWW-Authenticate": "Bearer"},
            )
        try:
            payloads = json_format.Parse(
                await request.body(), Payloads(), ignore_unknown_fields=True
            )
        except (json_format.ParseError, UnicodeDecodeError) as exc:
            return JSONResponse(
                {"detail": f"Not a Payloads message as protobuf JSON: {exc}"},
                status_code=400,
                headers=headers,
            )
        try:
            out = await step(list(payloads.payloads))
        except ValueError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400, headers=headers)
        body = json_format.MessageToJson(Payloads(payloads=out), indent=None)
        return Response(body, media_type="application/json", headers=headers)

    async def preflight(request: Request) -> Response:
        return Response(status_code=204, headers=cors(request))

    def register(suffix: str, step: Step) -> None:
        async def handle(request: Request) -> Response:
            return await apply(request, step)

        for path in (f"{CODEC_PATH}/{suffix}", CODEC_PATH + "/{prefix:path}/" + suffix):
            router.add_api_route(path, handle, methods=["POST"])
            router.add_api_route(path, preflight, methods=["OPTIONS"])

    register("decode", codec.decode)
    register("encode", codec.encode)
    return router


def install_codec_server(
    app: FastAPI,
    codec: PayloadCodec | None,
    api_token: str | None,
    cors_origins: Iterable[str] = (),
) -> None:
    """Serve /codec when `codec` is set (the client's data converter's), with the origins
    given plus TEMPOGRAPH_CODEC_CORS_ORIGINS."""
    if codec is None or isinstance(codec, NoKeysCodec):
        return
    app.include_router(codec_router(codec, api_token, [*cors_origins, *cors_origins_from_env()]))
