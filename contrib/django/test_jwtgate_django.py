"""Tests of jwtgate_django on Debian's Django and DRF:

    python3 -m unittest discover -s contrib/django

(e2e/seedflow runs them, and the class behind the real gateway.)
"""

import os
import unittest

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["jwtgate_django.JWTGateAuthentication"],
            "UNAUTHENTICATED_USER": None,
        },
        JWTGATE={},
        USE_TZ=True,
    )
    django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework.views import APIView  # noqa: E402


class WhoAmI(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"id": request.user.pk, "username": request.user.username})


def setUpModule():
    call_command("migrate", verbosity=0)


class JWTGateAuthenticationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        User.objects.all().delete()
        cls.alice = User.objects.create_user("alice", password="x")
        cls.nonascii = User.objects.create_user("Zoë_日本", password="x")
        cls.inactive = User.objects.create_user("bob", password="x", is_active=False)

    def call(self, **headers):
        resp = WhoAmI.as_view()(APIRequestFactory().get("/", **headers))
        resp.render()
        return resp.status_code, resp.content.decode(), resp.get("WWW-Authenticate")

    def test_user_by_primary_key(self):
        self.assertEqual(self.call(HTTP_X_USER_ID=str(self.alice.pk)),
                         (200, '{"id":%d,"username":"alice"}' % self.alice.pk, None))

    def test_non_ascii_username_exactly(self):
        status, body, _ = self.call(HTTP_X_USER_ID=str(self.nonascii.pk))
        self.assertEqual(status, 200)
        self.assertIn('"username":"Zoë_日本"', body)

    def test_no_header_is_anonymous(self):
        self.assertEqual(self.call(), (401, '{"detail":"Authentication credentials were not provided."}',
                                       'Bearer realm="api"'))

    def test_unknown_user_is_refused_and_not_created(self):
        before = User.objects.count()
        self.assertEqual(self.call(HTTP_X_USER_ID="424242"), (401, '{"detail":"User not found"}', 'Bearer realm="api"'))
        self.assertEqual(User.objects.count(), before)
        self.assertFalse(User.objects.filter(username="424242").exists())

    def test_username_is_not_an_id(self):
        # RemoteUserAuthentication would find (or create) a user named "alice"
        self.assertEqual(self.call(HTTP_X_USER_ID="alice")[0], 401)

    def test_inactive_user_is_refused(self):
        self.assertEqual(self.call(HTTP_X_USER_ID=str(self.inactive.pk)),
                         (401, '{"detail":"User is inactive"}', 'Bearer realm="api"'))

    def test_malformed_ids_are_refused(self):
        for raw in ["", " 1", "1 ", "+1", "-1", "0x1", "1.0", "١", "9" * 20, "1,2"]:
            with self.subTest(raw=raw):
                status, body, _ = self.call(HTTP_X_USER_ID=raw)
                self.assertEqual((status, body), (401, '{"detail":"Invalid user id header"}'))

    def test_header_name_from_settings_and_environment(self):
        with override_settings(JWTGATE={"USER_ID_HEADER": "X-Remote-Uid"}):
            self.assertEqual(self.call(HTTP_X_REMOTE_UID=str(self.alice.pk))[0], 200)
            self.assertEqual(self.call(HTTP_X_USER_ID=str(self.alice.pk))[0], 401)
        os.environ["JWTGATE_USER_ID_HEADER"] = "X-Env-Uid"
        try:
            self.assertEqual(self.call(HTTP_X_ENV_UID=str(self.alice.pk))[0], 200)
        finally:
            del os.environ["JWTGATE_USER_ID_HEADER"]


if __name__ == "__main__":
    unittest.main()
