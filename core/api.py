"""Shared API plumbing: pagination, the "or 404" guard and the exception handler (STYLE R9, R11, R12).

One URL serving several operations is a class that inherits the operation classes, e.g.
`MonitorCollectionApi(MonitorListApi, MonitorCreateApi)`: DRF dispatches each method to the
handler its part defines. Class attributes resolve by MRO, so the parts must agree on
authentication and permission classes, and at most one part may define each nested
serializer name (`InputSerializer`, `OutputSerializer`); the others name theirs directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request
    from rest_framework.serializers import BaseSerializer
    from rest_framework.views import APIView

T = TypeVar("T")


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated_response(
    *, view: APIView, request: Request, queryset: QuerySet[Any], serializer_class: type[BaseSerializer]
) -> Response:
    """One page of `queryset`, serialized, in the envelope of the view's `pagination_class`.

    The paginator is the view's own, so the response matches what drf-spectacular documents for it.
    """
    paginator = view.pagination_class()  # type: ignore[attr-defined]
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def or_404(found: T | None) -> T:
    """What a tenant-scoped selector found, or 404: another organisation's object looks like a missing one (R9)."""
    if found is None:
        raise exceptions.NotFound()
    return found


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain and Django errors to API responses; everything else goes to DRF's default."""
    if isinstance(exc, RequestDataTooBig):
        # Django raises it when a body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE (IN-03).
        return Response({"detail": "The request body is too large."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, Ratelimited):
        # Before PermissionDenied, which it subclasses (STYLE R11). DRF's handler sets Retry-After.
        exc = exceptions.Throttled(wait=getattr(exc, "retry_after_seconds", 60))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
