"""Pusher Channels in a FastAPI app (asyncio): channel auth, user sign-in, webhooks, triggers and a pusher-js page.

Run it (from the examples directory, after ``npm install pusher-js`` there, with ``pip install uvicorn``)::

    export PUSHER_URL=https://KEY:SECRET@api-eu.pusher.com/apps/APP_ID
    export PUSHER_ENCRYPTION_MASTER_KEY_BASE64=$(pusher-fast keygen)
    uvicorn --factory fastapi_app:create_app     # then open http://127.0.0.1:8000/?user=alice

The same endpoints as ``flask_app.py``, with :class:`~pusher_fast.AsyncPusher`: API calls are awaited, and channel
and user auth (pure computation, no I/O) are plain calls.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Optional

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel
from realtime_shared import PUSHER_JS_PATH, User, client_options, current_user, pusher_js_file, render_page

from pusher_fast import AsyncPusher, PusherError, PusherWebhookError, WebhookEvent
from pusher_fast.endpoints import AuthResponse, channel_auth_response, user_auth_response

logger = logging.getLogger(__name__)


class TriggerRequest(BaseModel):
    event: str
    data: Any = None
    channel: Optional[str] = None  # noqa: UP045 - FastAPI reads annotations at run time, also on Python 3.9
    user_id: Optional[str] = None  # noqa: UP045


def demo_user(x_demo_user: Annotated[Optional[str], Header()] = None) -> Optional[User]:  # noqa: UP045
    return current_user(x_demo_user)


CurrentUser = Annotated[Optional[User], Depends(demo_user)]


def _response(answer: AuthResponse) -> Response:
    return Response(answer.body, answer.status, answer.headers)


def create_app(pusher: AsyncPusher | None = None) -> FastAPI:
    """The app; the client comes from ``PUSHER_URL`` unless given (tests pass one for a local server)."""
    client = pusher if pusher is not None else AsyncPusher.from_env(**client_options())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if pusher is None:  # a client passed in belongs to the caller
            await client.aclose()

    app = FastAPI(lifespan=lifespan)
    received: list[WebhookEvent] = []
    app.state.pusher = client
    app.state.webhook_events = received

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return render_page(key=client.key, host=client.host, port=client.port, ssl=client.ssl)

    @app.get(PUSHER_JS_PATH)
    async def pusher_js() -> FileResponse:
        path = pusher_js_file()
        if path is None:
            raise HTTPException(404, "pusher-js is not installed: npm install pusher-js, or set PUSHER_JS_FILE")
        return FileResponse(path, media_type="text/javascript")

    @app.post("/pusher/auth")
    async def channel_auth(request: Request, user: CurrentUser) -> Response:
        answer = channel_auth_response(
            client,
            await request.body(),
            may_join=lambda channel: user is not None and user.may_join(channel),
            member=None if user is None else user.presence_member(),
        )
        return _response(answer)

    @app.post("/pusher/user-auth")
    async def user_auth(request: Request, user: CurrentUser) -> Response:
        answer = user_auth_response(client, await request.body(), user=None if user is None else user.user_data())
        return _response(answer)

    @app.post("/pusher/webhook")
    async def webhook(request: Request) -> JSONResponse:
        try:
            hook = client.webhook(request.headers, await request.body())
        except PusherWebhookError as error:
            return JSONResponse({"error": str(error)}, 401)
        for event in hook.events:
            logger.info("webhook %s on %s (event=%s, user=%s)", event.name, event.channel, event.event, event.user_id)
        received.extend(hook.events)
        return JSONResponse({"received": len(hook.events)})

    @app.post("/trigger")
    async def trigger(body: TriggerRequest, user: CurrentUser) -> JSONResponse:
        if user is None:
            return JSONResponse({"error": "not signed in"}, 403)
        try:
            if body.user_id is not None:
                return JSONResponse(await client.send_to_user(body.user_id, body.event, body.data))
            if body.channel is None or not user.may_join(body.channel):
                return JSONResponse({"error": "you may not send to this channel"}, 403)
            return JSONResponse(await client.trigger(body.channel, body.event, body.data))
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, 400)
        except PusherError as error:
            return JSONResponse({"error": f"Pusher did not take the event: {error}"}, 502)

    return app
