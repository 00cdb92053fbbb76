"""REST API of the accounts app: JWT login and refresh, API keys (STYLE R12)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password
from rest_framework_simplejwt.views import TokenRefreshView

from accounts.models import ApiKey, Organization
from accounts.permissions import NotApiKey
from accounts.ratelimits import auth_attempt_from_ip
from accounts.roles import Permission
from accounts.selectors import api_key_get, api_key_list_for_organization, organization_get_for_request
from accounts.services import actor_for_request, api_key_create, api_key_revoke
from accounts.services.tokens import TokenRefused, refresh_token_blacklist, token_pair_obtain
from core.api import Pagination, or_404, paginated_response


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Documents `X-Api-Key` in the OpenAPI schema (loaded with this module)."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key"}


def organization_for(request: Request) -> Organization:
    """The caller's organisation; a user who belongs to none sees nothing (404), as for another tenant's id."""
    return or_404(organization_get_for_request(request=request))


# --- JWT ------------------------------------------------------------------------


class _CredentialInBodyApi(APIView):
    """An endpoint whose credential is in the body: a refusal is 401 (with WWW-Authenticate), not 403."""

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenObtainApi(_CredentialInBodyApi):
    """`{email, password[, otp]}` -> `{access, refresh}`. Wrong credentials: the same 401, known email or not."""

    # Open to anonymous callers: this is where credentials are exchanged for a token, so
    # nothing can be required first. Wrong password, unknown email and inactive account all
    # answer the same 401 body ("no_active_account"); the buckets of accounts.ratelimits apply.
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema_serializer(component_name="TokenObtainInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)
        otp = serializers.CharField(
            max_length=64,
            required=False,
            allow_blank=True,
            default="",
            help_text="With an authenticator app on the account: a current TOTP code or an unused recovery code.",
        )

    @extend_schema_serializer(component_name="TokenPair")
    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        auth_attempt_from_ip(request)  # before any password check (AUTH-04)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = token_pair_obtain(request=request._request, **data.validated_data)
        except TokenRefused as refused:
            # The code is in the body too, so a client can tell "send your TOTP code" apart.
            raise exceptions.AuthenticationFailed({"detail": refused.message, "code": refused.code}) from None
        return Response(self.OutputSerializer(pair).data)


class TokenLogoutApi(_CredentialInBodyApi):
    """`{refresh}` -> 204: the refresh token is blacklisted. Access tokens already issued work until their `exp`."""

    # Open to anonymous callers: the refresh token in the body is the credential (an expired
    # access token must not stop a client from logging out).
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema_serializer(component_name="TokenLogoutInput")
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(data.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(str(exc)) from None
        refresh_token_blacklist(refresh=refresh)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="TokenRefresh")
class RotatingRefreshSerializer(TokenRefreshSerializer):
    """A refresh token, usable once: the response carries its replacement."""

    # simplejwt's own serializer blacklists with get_or_create, so two concurrent calls with
    # the same refresh token both get a new pair (JWT-05), and it answers 500 when the
    # token's user was deleted. Here the blacklist row is inserted first: its one-to-one
    # constraint lets exactly one caller through, and the other gets 401.

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = RefreshToken(attrs["refresh"])
        user_model = get_user_model()
        user = user_model.objects.filter(**{jwt_settings.USER_ID_FIELD: refresh.get(jwt_settings.USER_ID_CLAIM)})
        user = user.first()
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise exceptions.AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        if jwt_settings.CHECK_REVOKE_TOKEN and refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            # The password changed since this token was issued (JWT-03).
            raise InvalidToken("The user's password has been changed.")
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=refresh[jwt_settings.JTI_CLAIM],
            defaults={
                "user": user,
                "created_at": refresh.current_time,
                "token": str(refresh),
                "expires_at": datetime_from_epoch(refresh["exp"]),
            },
        )
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError as exc:
            raise InvalidToken("Token is blacklisted") from exc
        data = {"access": str(refresh.access_token)}
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        data["refresh"] = str(refresh)
        return data


class TokenRefreshApi(TokenRefreshView):
    """`{refresh}` -> `{access, refresh}`. The refresh token sent is spent: reusing it answers 401."""

    # Open to anonymous callers: the refresh token in the body is the credential.
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    serializer_class = RotatingRefreshSerializer


# --- API keys -------------------------------------------------------------------


@extend_schema_serializer(component_name="ApiKey")
class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiKey.Scope.choices)
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="ApiKeyCreated")
class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(help_text="The key itself. Shown only in this response; store it now.")


# A key cannot mint, list or revoke keys: only a user login (JWT or session) can. The defaults
# (authenticated, MFA, organisation role) apply too: listing needs VIEW, the rest MANAGE_API_KEYS.
_KEY_PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, NotApiKey]


class ApiKeyListApi(APIView):
    permission_classes = _KEY_PERMISSIONS
    pagination_class = Pagination
    read_permission = Permission.VIEW
    write_permission = Permission.MANAGE_API_KEYS

    @extend_schema(responses=ApiKeyOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        """The organisation's API keys, revoked ones included; never the keys themselves."""
        api_keys = api_key_list_for_organization(organization=organization_for(request))
        return paginated_response(
            view=self, request=request, queryset=api_keys, serializer_class=ApiKeyOutputSerializer
        )


class ApiKeyCreateApi(APIView):
    permission_classes = _KEY_PERMISSIONS
    write_permission = Permission.MANAGE_API_KEYS

    @extend_schema_serializer(component_name="ApiKeyInput")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        scope = serializers.ChoiceField(choices=ApiKey.Scope.choices)
        expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

        def validate_expires_at(self, value: Any) -> Any:
            if value is not None and value <= timezone.now():
                raise serializers.ValidationError("The expiry must be in the future.")
            return value

    @extend_schema(request=InputSerializer, responses={201: ApiKeyCreatedOutputSerializer})
    def post(self, request: Request) -> Response:
        """Create a key. The response holds the key itself, which is never shown again."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = api_key_create(
            organization=organization_for(request),
            created_by=request.user,
            actor=actor_for_request(request),
            **data.validated_data,
        )
        body = ApiKeyOutputSerializer(issued.api_key).data | {"key": issued.key}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    permission_classes = _KEY_PERMISSIONS
    write_permission = Permission.MANAGE_API_KEYS

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, api_key_id: int) -> Response:
        """Revoke a key: the next request made with it gets 401. The key stays listed."""
        api_key = or_404(api_key_get(organization=organization_for(request), api_key_id=api_key_id))
        api_key_revoke(api_key=api_key, actor=actor_for_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyCollectionApi(ApiKeyListApi, ApiKeyCreateApi):
    """GET and POST share /api-keys/; each operation stays its own class above."""
