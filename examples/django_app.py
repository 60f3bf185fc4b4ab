"""Pusher Channels in a Django app, in one file: channel auth, user sign-in, webhooks, triggers and a pusher-js page.

Run it (from the examples directory, after ``npm install pusher-js`` there)::

    export PUSHER_URL=https://KEY:SECRET@api-eu.pusher.com/apps/APP_ID
    export PUSHER_ENCRYPTION_MASTER_KEY_BASE64=$(pusher-fast keygen)
    python django_app.py runserver   # then open http://127.0.0.1:8000/?user=alice

In a project, the views go to a ``views.py`` and :data:`urlpatterns` to ``urls.py``. CSRF protection stays on:
the page sends the token with pusher-js's auth requests (``X-CSRFToken``); only the webhook view is exempt, since
Pusher signs webhooks instead.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys

import django
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from realtime_shared import PUSHER_JS_PATH, User, client_options, current_user, pusher_js_file, render_page

from pusher_fast import Pusher, PusherError, PusherWebhookError, WebhookEvent
from pusher_fast.endpoints import AuthResponse, channel_auth_response, user_auth_response

if not settings.configured:
    settings.configure(
        DEBUG=os.environ.get("DJANGO_DEBUG") == "1",
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "insecure-example-key-set-DJANGO_SECRET_KEY"),
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
        INSTALLED_APPS=[],
    )
    django.setup()

logger = logging.getLogger(__name__)
received: list[WebhookEvent] = []
"""Events of the webhooks received, for the tests and your curiosity; a real app acts on them instead."""


@functools.cache
def pusher_client() -> Pusher:
    """One client for the process, from ``PUSHER_URL`` (it is thread-safe and keeps its connections alive)."""
    return Pusher.from_env(**client_options())


def _user(request: HttpRequest) -> User | None:
    return current_user(request.headers.get("X-Demo-User"))


def _response(answer: AuthResponse) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, headers=answer.headers)


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    client = pusher_client()
    html = render_page(
        key=client.key, host=client.host, port=client.port, ssl=client.ssl, headers={"X-CSRFToken": get_token(request)}
    )
    return HttpResponse(html)


@require_GET
def pusher_js(request: HttpRequest) -> FileResponse:
    file = pusher_js_file()
    if file is None:
        raise Http404("pusher-js is not installed: npm install pusher-js, or set PUSHER_JS_FILE")
    return FileResponse(file.open("rb"), content_type="text/javascript")


@require_POST
def channel_auth(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    answer = channel_auth_response(
        pusher_client(),
        request.POST,
        may_join=lambda channel: user is not None and user.may_join(channel),
        member=None if user is None else user.presence_member(),
    )
    return _response(answer)


@require_POST
def user_auth(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _response(user_auth_response(pusher_client(), request.POST, user=None if user is None else user.user_data()))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> JsonResponse:
    try:
        hook = pusher_client().webhook(request.headers, request.body)
    except PusherWebhookError as error:
        return JsonResponse({"error": str(error)}, status=401)
    for event in hook.events:
        logger.info("webhook %s on %s (event=%s, user=%s)", event.name, event.channel, event.event, event.user_id)
    received.extend(hook.events)
    return JsonResponse({"received": len(hook.events)})


@require_POST
def trigger(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    if user is None:
        return JsonResponse({"error": "not signed in"}, status=403)
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        return JsonResponse(
            {"error": 'send JSON: {"channel" or "user_id": ..., "event": ..., "data": ...}'}, status=400
        )
    channel, user_id = body.get("channel"), body.get("user_id")
    client = pusher_client()
    try:
        if isinstance(user_id, str):
            return JsonResponse(client.send_to_user(user_id, body["event"], body.get("data")))
        if not isinstance(channel, str) or not user.may_join(channel):
            return JsonResponse({"error": "you may not send to this channel"}, status=403)
        return JsonResponse(client.trigger(channel, body["event"], body.get("data")))
    except (ValueError, TypeError) as error:
        return JsonResponse({"error": str(error)}, status=400)
    except PusherError as error:
        return JsonResponse({"error": f"Pusher did not take the event: {error}"}, status=502)


urlpatterns = [
    path("", page),
    path(PUSHER_JS_PATH.lstrip("/"), pusher_js),
    path("pusher/auth", channel_auth),
    path("pusher/user-auth", user_auth),
    path("pusher/webhook", webhook),
    path("trigger", trigger),
]


if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    logging.basicConfig(level=logging.INFO)
    execute_from_command_line(sys.argv)
