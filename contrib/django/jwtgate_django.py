"""Django REST framework authentication for an app behind jwtgate.

jwtgate checks the Bearer token at the edge and forwards the request with
the user's primary key in ``X-User-Id`` (it removes any ``X-User-Id`` the
client sent). This class turns that header back into ``request.user``:

* the user is looked up in ``auth_user`` (the project's user model) by
  primary key, never by username, and is never created;
* an unknown or inactive user is refused (401, simplejwt's messages);
* no header means an anonymous request (DRF's permissions decide).

Unlike DRF's ``RemoteUserAuthentication`` and Django's
``RemoteUserBackend``, which look users up by username and create unknown
ones, a request saying ``X-User-Id: 42`` is user 42 or nobody.

Settings (``settings.JWTGATE``, a dict; each key may instead come from the
environment variable ``JWTGATE_<KEY>``):

``USER_ID_HEADER``
    the header jwtgate sends the user's id in (default ``X-User-Id``).
``ASSERTION_HEADER``
    the header of jwtgate's signed identity assertion (its ``jwt_auth {
    identity_assertion <header> {...} }``), for example
    ``X-Jwtgate-Assertion``. When set, the user comes from the assertion,
    verified with the gateway's public key, and the header alone is never
    enough: a request with a user id header but no valid assertion, or
    whose user id header names another user, is refused. Needs PyJWT and
    cryptography (Debian: python3-jwt, python3-cryptography).
``ASSERTION_AUDIENCE``
    the audience the gateway writes for this app (required with
    ``ASSERTION_HEADER``).
``ASSERTION_ISSUER``
    the issuer it writes (default ``jwtgate``).
``ASSERTION_JWKS_URL``
    the gateway's JWK Set (its ``jwt_jwks`` route), fetched and cached;
    the assertion's ``kid`` picks the key. Or:
``ASSERTION_KEY``
    the PEM public key of the gateway's assertion key, instead.
``ASSERTION_LEEWAY``
    clock skew allowed on ``exp`` and ``iat``, in seconds (default 5).

Install: copy this file next to your project, or
``pip install <jwtgate checkout>/contrib/django``; then::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["jwtgate_django.JWTGateAuthentication"],
    }

Without an assertion the header is only as trustworthy as the network
path: the app must then be reachable through jwtgate alone.

This class reads only the id. If the gateway also sends the username
(``username_header``), it is percent-encoded UTF-8 so that any name
travels as ASCII; read it with
``urllib.parse.unquote(request.META["HTTP_X_USERNAME"])`` (not
``unquote_plus``: ``+`` is literal).
"""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions

__all__ = ["JWTGateAuthentication"]

# auth_user.id is a 64-bit integer at most (BigAutoField); longer digit
# strings are refused before they reach the database.
_MAX_ID_DIGITS = 19


def setting(key, default):
    """settings.JWTGATE[key], else $JWTGATE_<key>, else default."""
    conf = getattr(settings, "JWTGATE", None) or {}
    if key in conf:
        return conf[key]
    return os.environ.get("JWTGATE_" + key, default)


def meta_key(header):
    """The request.META key of an HTTP header: X-User-Id -> HTTP_X_USER_ID."""
    return "HTTP_" + header.upper().replace("-", "_")


# The assertion's algorithms: asymmetric only, so that the key this app
# holds cannot make assertions ("none" and HMAC are never accepted).
ASSERTION_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                        "ES256", "ES384", "ES512", "EdDSA"]

_jwks_clients = {}


def _bad_assertion():
    return exceptions.AuthenticationFailed("Invalid identity assertion", code="bad_assertion")


def assertion_key(token):
    """The public key to verify an assertion with: ASSERTION_KEY, or the
    key of ASSERTION_JWKS_URL the token's kid names."""
    import jwt

    pem = setting("ASSERTION_KEY", "")
    if pem:
        return pem
    url = setting("ASSERTION_JWKS_URL", "")
    if not url:
        raise exceptions.AuthenticationFailed(
            "ASSERTION_HEADER is set but neither ASSERTION_KEY nor ASSERTION_JWKS_URL", code="bad_assertion")
    client = _jwks_clients.get(url)
    if client is None:
        client = _jwks_clients[url] = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=300)
    try:
        return client.get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientError:
        raise _bad_assertion()


def verify_assertion(token):
    """The user id (an int) a valid assertion names; AuthenticationFailed
    for anything else."""
    import jwt

    audience = setting("ASSERTION_AUDIENCE", "")
    if not audience:
        raise exceptions.AuthenticationFailed(
            "ASSERTION_HEADER is set but ASSERTION_AUDIENCE is not", code="bad_assertion")
    try:
        claims = jwt.decode(
            token, assertion_key(token), algorithms=ASSERTION_ALGORITHMS,
            audience=audience, issuer=setting("ASSERTION_ISSUER", "jwtgate"),
            leeway=float(setting("ASSERTION_LEEWAY", 5)),
            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except jwt.InvalidTokenError:
        raise _bad_assertion()
    sub = claims.get("sub")
    if claims.get("token_type") != "identity" or not _is_id(sub):
        raise _bad_assertion()
    return int(sub)


def _is_id(raw):
    return isinstance(raw, str) and raw.isascii() and raw.isdigit() and 0 < len(raw) <= _MAX_ID_DIGITS


class JWTGateAuthentication(authentication.BaseAuthentication):
    """Authenticates the user jwtgate names in its identity header, or,
    with ASSERTION_HEADER, in its signed identity assertion."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        raw = request.META.get(meta_key(setting("USER_ID_HEADER", "X-User-Id")))
        assertion_header = setting("ASSERTION_HEADER", "")
        if assertion_header:
            token = request.META.get(meta_key(assertion_header))
            if token is None:
                if raw is None:
                    return None
                # never the header alone
                raise exceptions.AuthenticationFailed("Identity assertion missing", code="no_assertion")
            uid = verify_assertion(token)
            if raw is not None and raw != str(uid):
                raise _bad_assertion()
            raw = str(uid)
        if raw is None:
            return None
        if not _is_id(raw):
            # only jwtgate sets this header, and it sends a decimal id
            raise exceptions.AuthenticationFailed("Invalid user id header", code="bad_user_id")
        model = get_user_model()
        try:
            user = model._default_manager.get(pk=int(raw))
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        return (user, None)

    def authenticate_header(self, request):
        # as simplejwt's JWTAuthentication: DRF then answers 401, not 403
        return 'Bearer realm="%s"' % self.www_authenticate_realm
