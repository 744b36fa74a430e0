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

Install: copy this file next to your project, or
``pip install <jwtgate checkout>/contrib/django``; then::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["jwtgate_django.JWTGateAuthentication"],
    }

The header is only as trustworthy as the network path: the app must be
reachable through jwtgate alone.

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


class JWTGateAuthentication(authentication.BaseAuthentication):
    """Authenticates the user jwtgate names in its identity header."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        raw = request.META.get(meta_key(setting("USER_ID_HEADER", "X-User-Id")))
        if raw is None:
            return None
        if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= _MAX_ID_DIGITS):
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
