"""One URL, one APIView per operation (STYLE R12): route each HTTP method to its own view class.

`GET/POST /channels/` are ChannelListApi and ChannelCreateApi. Each request runs through
the full DRF dispatch of its operation's class only (its own authentication, permissions
and serializers). drf-spectacular reads a combined class made of the handlers, so the
schema shows one path with both operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView


def api_route(**views: type[APIView]) -> Callable[..., HttpResponse]:
    """A view function sending `get=`, `post=`, `patch=`… to the given APIView classes."""
    handlers = {method.upper(): view.as_view() for method, view in views.items()}
    if "GET" in handlers:
        handlers.setdefault("HEAD", handlers["GET"])
    attributes: dict[str, Any] = {method: getattr(view, method) for method, view in views.items()}
    if (pagination_class := getattr(views.get("get"), "pagination_class", None)) is not None:
        attributes["pagination_class"] = pagination_class  # so the schema describes the page
    combined: type[APIView] = type(
        "".join(view.__name__ for view in views.values()), (APIView,), attributes | {"__module__": __name__}
    )
    # OPTIONS and unknown methods: DRF's own metadata and 405 (with Allow listing every method).
    fallback = combined.as_view()

    def route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = (request.method or "").upper()
        return handlers.get(method, fallback)(request, *args, **kwargs)

    route.cls = combined  # type: ignore[attr-defined]  # read by drf-spectacular's endpoint enumerator
    route.initkwargs = {}  # type: ignore[attr-defined]
    return csrf_exempt(route)  # DRF's SessionAuthentication enforces CSRF itself
