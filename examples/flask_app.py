"""Pusher Channels in a Flask app: channel auth, user sign-in, webhooks, triggers and a pusher-js page.

Run it (from the examples directory, after ``npm install pusher-js`` there)::

    export PUSHER_URL=https://KEY:SECRET@api-eu.pusher.com/apps/APP_ID
    export PUSHER_ENCRYPTION_MASTER_KEY_BASE64=$(pusher-fast keygen)
    flask --app flask_app run        # then open http://127.0.0.1:5000/?user=alice

Endpoints: ``GET /`` the page, ``POST /pusher/auth`` channel authorization, ``POST /pusher/user-auth`` user sign-in,
``POST /pusher/webhook`` webhooks (point the app's webhook settings here), ``POST /trigger`` a JSON
``{"channel": ..., "event": ..., "data": ...}`` (or ``"user_id"`` instead of ``"channel"``) from a signed-in user.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, abort, request, send_file
from realtime_shared import PUSHER_JS_PATH, client_options, current_user, pusher_js_file, render_page

from pusher_fast import Pusher, PusherError, PusherWebhookError, WebhookEvent
from pusher_fast.endpoints import channel_auth_response, user_auth_response

logger = logging.getLogger(__name__)


def create_app(pusher: Pusher | None = None) -> Flask:
    """The app; the client comes from ``PUSHER_URL`` unless given (tests pass one for a local server)."""
    app = Flask(__name__)
    client = pusher if pusher is not None else Pusher.from_env(**client_options())
    received: list[WebhookEvent] = []
    app.extensions["pusher"] = client
    app.extensions["webhook_events"] = received

    @app.get("/")
    def page() -> str:
        return render_page(key=client.key, host=client.host, port=client.port, ssl=client.ssl)

    @app.get(PUSHER_JS_PATH)
    def pusher_js() -> Response:
        path = pusher_js_file()
        if path is None:
            abort(404, "pusher-js is not installed: npm install pusher-js, or set PUSHER_JS_FILE")
        return send_file(path, mimetype="text/javascript")

    @app.post("/pusher/auth")
    def channel_auth() -> tuple[str, int, dict[str, str]]:
        user = current_user(request.headers.get("X-Demo-User"))
        answer = channel_auth_response(
            client,
            request.form,
            may_join=lambda channel: user is not None and user.may_join(channel),
            member=None if user is None else user.presence_member(),
        )
        return answer.body, answer.status, answer.headers

    @app.post("/pusher/user-auth")
    def user_auth() -> tuple[str, int, dict[str, str]]:
        user = current_user(request.headers.get("X-Demo-User"))
        answer = user_auth_response(client, request.form, user=None if user is None else user.user_data())
        return answer.body, answer.status, answer.headers

    @app.post("/pusher/webhook")
    def webhook() -> tuple[dict[str, Any], int]:
        try:
            hook = client.webhook(request.headers, request.get_data())
        except PusherWebhookError as error:
            return {"error": str(error)}, 401
        for event in hook.events:
            logger.info("webhook %s on %s (event=%s, user=%s)", event.name, event.channel, event.event, event.user_id)
        received.extend(hook.events)
        return {"received": len(hook.events)}, 200

    @app.post("/trigger")
    def trigger() -> tuple[dict[str, Any], int]:
        user = current_user(request.headers.get("X-Demo-User"))
        if user is None:
            return {"error": "not signed in"}, 403
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            return {"error": 'send JSON: {"channel" or "user_id": ..., "event": ..., "data": ...}'}, 400
        channel, user_id = body.get("channel"), body.get("user_id")
        try:
            if isinstance(user_id, str):
                return client.send_to_user(user_id, body["event"], body.get("data")), 200
            if not isinstance(channel, str) or not user.may_join(channel):
                return {"error": "you may not send to this channel"}, 403
            return client.trigger(channel, body["event"], body.get("data")), 200
        except (ValueError, TypeError) as error:
            return {"error": str(error)}, 400
        except PusherError as error:
            return {"error": f"Pusher did not take the event: {error}"}, 502

    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    create_app().run(port=5000)
