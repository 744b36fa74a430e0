#!/usr/bin/python3
"""Generate the golden tables the drf Go tests read (testdata/golden.json).

Run with Debian's interpreter, which has the Django 3.2 and DRF 3.14 packages
the reference uses:

    /usr/bin/python3 drf/testdata/gen_golden.py > drf/testdata/golden.json

For a larger differential run (not committed), scale the random mutations
and pick another seed, then point the Go tests at the file:

    /usr/bin/python3 drf/testdata/gen_golden.py 40 7 [max-mutations] > golden-big.json
    DRF_GOLDEN=$PWD/golden-big.json go test -run Golden ./drf

Every expected value comes from running the real code: DRF's Request with its
three default parsers, a Serializer of CharFields, DRF's JSONRenderer, its
DefaultContentNegotiation, and Python's float repr / str.isspace. The output is
deterministic (fixed random seed), so re-running it must give the same file.
"""
import base64
import io
import json
import random
import struct
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="golden",
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
    ],
    DATABASES={},
    USE_I18N=False,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from django.core.handlers.wsgi import WSGIRequest  # noqa: E402
from django.core.files.uploadedfile import UploadedFile  # noqa: E402
from rest_framework import exceptions, serializers  # noqa: E402
from rest_framework.negotiation import DefaultContentNegotiation  # noqa: E402
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser  # noqa: E402
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer  # noqa: E402
from rest_framework.request import Request  # noqa: E402

RENDER = JSONRenderer().render


def b64(b):
    return base64.b64encode(b).decode("ascii")


def wtf8(s):
    """UTF-8, with lone surrogates encoded as three bytes (what Go gets)."""
    return s.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- serializers

def no_x(value):
    if "x" in value:
        raise serializers.ValidationError("no x")


def no_y(value):
    if "y" in value:
        raise serializers.ValidationError("no y")


class Login(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class Opts(serializers.Serializer):
    a = serializers.CharField(required=False)
    b = serializers.CharField(allow_blank=True)
    c = serializers.CharField(max_length=3)
    d = serializers.CharField(trim_whitespace=False)
    e = serializers.CharField(required=False, allow_blank=True)
    f = serializers.CharField(max_length=4, validators=[no_x, no_y])


SERIALIZERS = {"login": Login, "opts": Opts}


# ---------------------------------------------------------------- requests

def make_request(content_type, body, extra=None):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    if content_type is not None:
        # A WSGI server hands header bytes over as ISO-8859-1; the Go tests
        # send the label's UTF-8 bytes.
        environ["CONTENT_TYPE"] = content_type.encode("utf-8").decode("latin-1")
    if extra:
        environ.update(extra)
    return Request(
        WSGIRequest(environ),
        parsers=[JSONParser(), FormParser(), MultiPartParser()],
        authenticators=(),
    )


def kind_of(v):
    if v is None:
        return "null", b""
    if isinstance(v, bool):
        return "bool", b"true" if v else b"false"
    if isinstance(v, str):
        return "str", wtf8(v)
    if isinstance(v, int):
        return "int", str(v).encode()
    if isinstance(v, float):
        return "float", str(v).encode()
    if isinstance(v, list):
        return "list", b""
    if isinstance(v, dict):
        return "dict", b""
    if isinstance(v, UploadedFile):
        return "file", wtf8(str(v))
    raise TypeError(type(v))


def run_case(content_type, body):
    out = {"content_type": content_type, "body": b64(body)}
    req = make_request(content_type, body)
    try:
        data = req.data
    except (exceptions.ParseError, exceptions.UnsupportedMediaType) as exc:
        out["error"] = {"status": exc.status_code, "body": RENDER({"detail": exc.detail}).decode()}
        return out
    except Exception as exc:  # a Django 500 or a plain 400 page: not DRF JSON
        out["exception"] = type(exc).__name__
        return out
    if data is None:
        out["top"] = "NoneType"
    elif hasattr(data, "getlist"):
        out["top"] = "QueryDict"
    else:
        out["top"] = type(data).__name__
    if isinstance(data, dict):
        fields = {}
        for k in data.keys():
            kind, text = kind_of(data[k])
            fields[b64(wtf8(k))] = [kind, b64(text)]
        out["fields"] = fields
    results = {}
    for name, cls in SERIALIZERS.items():
        s = cls(data=data)
        if s.is_valid():
            results[name] = {"values": [s.validated_data.get(f, "") for f in cls().fields]}
        else:
            results[name] = {"errors": RENDER(s.errors).decode()}
    out["validate"] = results
    return out


# ---------------------------------------------------------------- case lists

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MP = "multipart/form-data; boundary=XyZ"


def mp(*parts, boundary=b"XyZ", end=True):
    """Build a multipart body from (headers-bytes, value-bytes) pairs."""
    out = b""
    for headers, value in parts:
        out += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + value + b"\r\n"
    if end:
        out += b"--" + boundary + b"--\r\n"
    return out


def cd(name, extra=b""):
    return b'Content-Disposition: form-data; name="' + name + b'"' + extra


HAND = [
    # content types and empty bodies
    (JSON, b""), (None, b""), ("text/plain", b""), (FORM, b""), (MP, b""),
    ("text/plain", b"username=siva"), (None, b"abc"), ("text/plain; charset=utf-8", b"abc"),
    ("", b"{}"), ("application/xml", b"{}"), ("*/*", b'{"username":"a","password":"b"}'),
    ("application/*", b"{}"), ("*/json", b"{}"), ("text/*", b"{}"), ("*", b"{}"),
    ("APPLICATION/JSON", b'{"username":"a","password":"b"}'),
    ("Application/Json ; charset=UTF-8", b'{"username":"a","password":"b"}'),
    ("application/json;charset=utf8", b'{"username":"\xc3\xa9","password":"b"}'),
    ("application/json; charset=latin-1", b'{"username":"\xe9","password":"b"}'),
    ("application/json; charset=ISO-8859-1", b'{"username":"\xe9\xff","password":"b"}'),
    ("application/json; charset=us-ascii", b'{"username":"\xc3\xa9"}'),
    ("application/json; charset=ascii", b'{"username":"ab","password":"\x7f"}'),
    ("application/json; charset=bogus-charset", b'{"username":"a","password":"b"}'),
    ("application/json; charset=\"utf-8\"", b'{"username":"a","password":"b"}'),
    ("application/jsonx", b"{}"), ("application/json-patch+json", b"{}"),
    ("application/x-www-form-urlencoded; charset=utf-8", b"username=a&password=b"),
    ("application/x-www-form-urlencoded; charset=latin-1", b"username=%e9&password=\xe9"),
    ("*/x-www-form-urlencoded", b"username=a&password=b"),
    ("multipart/form-data", b"abc"), ("multipart/form-data; boundary=", b"abc"),
    ("multipart/form-data; boundary=\"\"", b"abc"),
    ("Multipart/form-data; boundary=x", b"abc"), ("*/form-data; boundary=x", b"abc"),
    ("multipart/*; boundary=XyZ", mp((cd(b"username"), b"a"), (cd(b"password"), b"b"))),
    ("multipart/form-data; boundary=" + "a" * 202, b"abc"),
    ("multipart/form-data; boundary=" + "a" * 201, mp((cd(b"username"), b"a"), boundary=b"a" * 201)),
    ("multipart/form-data; boundary=ab ", b"abc"), ("multipart/form-data; boundary=\"ab \"", b"abc"),
    ("multipart/form-data; boundary*=utf-8''%41b", mp((cd(b"username"), b"a"), boundary=b"Ab")),
    ("multipart/form-data; boundary=\"a b\"", b"abc"), ("multipart/form-data; boundary=\"a \"", b"abc"),
    ("multipart/form-data; boundary=a\xe9", b"abc"),
    ("multipart/form-data; BOUNDARY=XyZ", mp((cd(b"username"), b"a"), (cd(b"password"), b"b"))),
    ("multipart/form-data; boundary=XyZ; charset=latin-1", mp((cd(b"username"), b"\xe9"), (cd(b"password"), b"b"))),
    # the recorded bodies
    (JSON, b'{"username": "siva", "password": "siva"}'),
    (JSON, b"{}"), (JSON, b'{"username":null,"password":null}'),
    (JSON, b'{"username":"","password":""}'), (JSON, b'{"username":" ","password":"\\t\\n"}'),
    (JSON, b'{"username":"siva",'), (JSON, b'["username"]'), (JSON, b"[]"),
    (JSON, b'{"username": " siva ", "password": "  siva  "}'),
    (JSON, b'{"username":true,"password":false}'), (JSON, b'{"username":[],"password":{}}'),
    (JSON, b'{"username":[1],"password":{"a":1}}'),
    (JSON, b'{"username":12,"password":-0}'), (JSON, b'{"username":1.0,"password":-0.0}'),
    (JSON, b'{"username":1e400,"password":-1e400}'), (JSON, b'{"username":1e-400,"password":-1e-400}'),
    (JSON, b'{"username":1E2,"password":1.5e-7}'), (JSON, b'{"username":123456789012345678,"password":1.2345678901234567e17}'),
    (JSON, b'{"username":0.0001,"password":0.00001}'), (JSON, b'{"username":1e16,"password":1e15}'),
    (JSON, b'{"username":' + b"9" * 4300 + b',"password":"x"}'),
    (JSON, b'{"username":' + b"9" * 4301 + b',"password":"x"}'),
    (JSON, b'{"username":-' + b"9" * 4301 + b',"password":"x"}'),
    (JSON, b'{"username":0.' + b"9" * 5000 + b',"password":1' + b"0" * 400 + b'.5}'),
    (JSON, b"null"), (JSON, b'"abc"'), (JSON, b'""'), (JSON, b"12"), (JSON, b"1.5"), (JSON, b"true"),
    (JSON, b"false"), (JSON, b"1e400"), (JSON, b" {} "), (JSON, b"\n\t\r {}\n"),
    (JSON, b"NaN"), (JSON, b"Infinity"), (JSON, b"-Infinity"), (JSON, b'{"a":NaN}'), (JSON, b"[-Infinity"),
    (JSON, b"Nan"), (JSON, b"-Inf"), (JSON, b"nul"), (JSON, b"tru"), (JSON, b"fals"),
    (JSON, b"\xef\xbb\xbf{}"), (JSON, b" \xef\xbb\xbf{}"), (JSON, b"{}\xef\xbb\xbf"),
    (JSON, b'{"username":"\xff"}'), (JSON, b'{"username":"siva\xc3'), (JSON, b"{}\xe2\x82"),
    (JSON, b"{}\xed\xa0"), (JSON, b"{}\xed\xa0\x80"), (JSON, b'{"a":"\xe2\x82x"}'), (JSON, b'{"a":"\xe0\x80"}'),
    (JSON, b'{"a":"\xf0\x90\x80"}'), (JSON, b'{"a":"\xf4\x90\x80\x80"}'), (JSON, b'{"a":"\xc0\xaf"}'),
    (JSON, b"\xe2"), (JSON, b"   "), (JSON, b"\xf0\x9f\x98"),
    (JSON, b'{"username":"\\ud800","password":"a\\u0000"}'),
    (JSON, b'{"username":"\\ud800\\udc00x","password":"\\udc00\\ud800"}'),
    (JSON, b'{"username":"\\ud83d\\ude00","password":"\\uD83D\\uDE00\\u00e9"}'),
    (JSON, b'{"username":"a\\u0000b","password":"\\u2028\\u00a0"}'),
    (JSON, b'{"username":"\\ud800\\u12"}'), (JSON, b'{"username":"\\u12"}'), (JSON, b'"\\u1234'),
    (JSON, b'"\\ud800\\u0041"'), (JSON, b'"\\ud800\\ud800\\udc00"'), (JSON, b'"\\ud800\\uzzzz"'),
    (JSON, b'"\\ux"'), (JSON, b'"\\x"'), (JSON, b'"\\'), (JSON, b'"\\"'), (JSON, b'"\x01"'), (JSON, b'"a\nb"'),
    (JSON, b'"\\/\\b\\f\\n\\r\\t\\"\\\\"'), (JSON, b'"\x7f\xc2\x85"'),
    (JSON, b'{"a":1,}'), (JSON, b"[1,]"), (JSON, b"[1 2]"), (JSON, b'{"a" 1}'), (JSON, b'{"a":1 "b":2}'),
    (JSON, b"{'a':1}"), (JSON, b"{a:1}"), (JSON, b"{"), (JSON, b"["), (JSON, b'{"a":'), (JSON, b'{"a"'),
    (JSON, b'{"a":1'), (JSON, b"[1"), (JSON, b"[1,"), (JSON, b"{} {}"), (JSON, b"{}x"), (JSON, b"1 2"),
    (JSON, b"01"), (JSON, b"-"), (JSON, b"-a"), (JSON, b"1."), (JSON, b"1.e5"), (JSON, b"1e"), (JSON, b"1e+"),
    (JSON, b".5"), (JSON, b"+1"), (JSON, b"0x10"), (JSON, b'{"a":01}'), (JSON, b'{"a":1.}'), (JSON, b'{"a":-}'),
    (JSON, b"\n\n  {\n\"a\" 1}"), (JSON, b'{"\xc3\xa9\xc3\xa9":1 x}'), (JSON, b'{"k":"\xf0\x9f\x98\x80" x}'),
    (JSON, b'{"username":"a","username":"b","password":"c"}'),
    (JSON, b'{"username":"a","password":"b","extra":[1,{"x":[null]}]}'),
    (JSON, b'{"username":' + b"[" * 800 + b"]" * 800 + b',"password":"b"}'),
    (JSON, b'{"username":"\\u0020\\u3000x\\u3000 ","password":"\\u001c\\u001d\\u001e\\u001f"}'),
    (JSON, b'{"username":"\\u0085\\u00a0\\u1680\\u180e","password":"\\u200b\\ufeff"}'),
    (JSON, b'{"a":"","b":"","c":"","d":"","e":"","f":""}'),
    (JSON, b'{"b":" ","c":"abcd","d":" x ","e":" ","f":"xyzzy"}'),
    (JSON, b'{"b":"b","c":" abc ","d":"   ","f":" xy "}'),
    (JSON, b'{"b":"b","c":"\xc3\xa9\xc3\xa9\xc3\xa9","d":"d","f":"\\u0000xxxx"}'),
    (JSON, b'{"b":"b","c":"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80","d":"d","f":"\\ud800xyz"}'),
    (JSON, b'{"a":null,"b":null,"c":1234,"d":12,"e":null,"f":12345}'),
    (JSON, b'{"a":" ","b":"","c":"","d":"\\n","e":" ","f":"f"}'),
    # urlencoded
    (FORM, b"username=siva&password=siva"), (FORM, b"username=&password="), (FORM, b"username&password"),
    (FORM, b"username=+&password=%00"), (FORM, b"username=%zz%4&password=a+b%2"),
    (FORM, b"username=%ff&password=\xff"), (FORM, b"username=%c3&password=%e2%82&username=%00"),
    (FORM, b"&&username=x&=&password=y=z&&"), (FORM, b"username=a;password=b"),
    (FORM, b"username=%C3%A9%41%2b&password=%e2%82%ac%E2%82"), (FORM, b"user%6eame=a&pass+word=b&password=c"),
    (FORM, b"username=\xc3\xa9&password=%c3\xa9%a9"), (FORM, b"username=a&username=b&password=c&username="),
    (FORM, b"username=%ed%a0%80&password=%f0%9f%98%80%f0%9f"), (FORM, b"username=%%%&password=%%41%4"),
    (FORM, b"username=a%0Ab&password=%20%09"), (FORM, b"=x&username=a=b=c&password=%3D"),
    (FORM, b"a=&b=&c=&d=&e=&f="), (FORM, b"b=&c=abc&d=+&f=xy"), (FORM, b"a=+&b=+&c=abc&d=+&e=+&f=xy"),
    (FORM, b"username=a&password=b\r\n"), (FORM, b"\xff\xfe"), (FORM, b"username=\x80%41"),
    # multipart
    (MP, mp((cd(b"username"), b"siva"), (cd(b"password"), b"siva"))),
    (MP, mp((cd(b"username"), b""), (cd(b"password"), b" "))),
    (MP, mp((cd(b"username"), b"a"), (cd(b"username"), b"b"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="a.txt"') + b"\r\nContent-Type: text/plain", b"data"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="a.txt"'), b"data"), (cd(b"username"), b"text"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username"), b"text"), (cd(b"username", b'; filename="a.txt"'), b"data"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename=""'), b"data"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="."'), b"data"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="a/.."'), b"data"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="x/"'), b"data"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="x\\\\"'), b"data"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="&period;"'), b"data"), (cd(b"password", b'; filename="a&sol;"'), b"c"))),
    (MP, mp((cd(b"username", b'; filename="&#46;&#x2E;"'), b"data"), (cd(b"password", b'; filename="  "'), b"c"))),
    (MP, mp((cd(b"username", b'; filename="&amp;"'), b"data"), (cd(b"password", b'; filename="&#47"'), b"c"))),
    (MP, mp((cd(b"username", b'; filename="a"; filename=""'), b"data"), (cd(b"password"), b"c"))),
    (MP, mp((b'Content-Disposition: attachment; name="username"', b"a"), (b'content-disposition: form-data; NAME="password"', b"b"))),
    (MP, mp((b'Content-Disposition: form-data; name=" username "', b"a"), (b"Content-Disposition: form-data; name=password", b"b"))),
    (MP, mp((b'Content-Disposition: form-data', b"a"), (b'Content-Type: text/plain', b"b"), (cd(b"password"), b"c"))),
    (MP, mp((b"Content-Disposition : form-data; name=\"username\"", b"a"), (cd(b"password"), b"c"))),
    (MP, mp((b"Content-Disposition: form-data; name*=UTF-8''us%65rname", b"a"), (cd(b"password"), b"c"))),
    (MP, mp((b"Content-Disposition: form-data; name=\"u;s\"; name=\"username\"", b"a"), (cd(b"password"), b"c"))),
    (MP, mp((b'Content-Disposition: form-data; name="user\\"name"', b"a"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username") + b"\r\nContent-Transfer-Encoding: base64", b"c2l2YQ=="), (cd(b"password") + b"\r\nContent-Transfer-Encoding: base64", b"c2l2YQ"))),
    (MP, mp((cd(b"username") + b"\r\nContent-Transfer-Encoding: BASE64", b"c2l2YQ=="), (cd(b"password") + b"\r\nContent-Transfer-Encoding:  base64 ", b"c2 l2Y!Q==x"))),
    (MP, mp((cd(b"username") + b"\r\nContent-Transfer-Encoding: base64", b"Y"), (cd(b"password") + b"\r\nContent-Transfer-Encoding: base64", b"YQ==YQ=="))),
    (MP, mp((cd(b"username", b'; filename="f"') + b"\r\nContent-Transfer-Encoding: base64", b"YQ"), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username", b'; filename="f"') + b"\r\nContent-Transfer-Encoding: base64", b"YQ==\r\nYQ=="), (cd(b"password"), b"c"))),
    (MP, mp((cd(b"username"), b"\xff\xc3"), (cd(b"pass\xc3\xa9"), b"\xc3\xa9"))),
    (MP, mp((cd(b"username"), b"a\r\nb\r\n"), (cd(b"password"), b"\n"))),
    (MP, mp((cd(b"username"), b"siva"), (cd(b"password"), b"siva"), end=False)),
    (MP, mp((cd(b"username"), b"siva"), (cd(b"password"), b"siva"), end=False)[:-2]),
    (MP, b"preamble\r\n" + mp((cd(b"username"), b"a"), (cd(b"password"), b"b")) + b"epilogue"),
    (MP, b"--XyZ\r\n" + cd(b"username") + b"\r\n\r\nab--XyZcd\r\n--XyZ--"),
    (MP, b"--XyZ\n" + cd(b"username") + b"\n\nab\n--XyZ\n" + cd(b"password") + b"\n\ncd\n--XyZ--\n"),
    (MP, b"--XyZ\r\n" + cd(b"username") + b"\r\n\r\nab\r--XyZ\r\n" + cd(b"password") + b"\r\n\r\ncd\r\n--XyZ--"),
    (MP, b"--XyZ\r\n" + cd(b"username") + b"\r\nX-Pad: " + b"p" * 1000 + b"\r\n\r\nab\r\n--XyZ\r\n" + cd(b"password") + b"\r\n\r\ncd\r\n--XyZ--"),
    (MP, b"--XyZ\r\n" + cd(b"username") + b"\r\nX-Pad: " + b"p" * 950 + b"\r\n\r\nab\r\n--XyZ\r\n" + cd(b"password") + b"\r\n\r\ncd\r\n--XyZ--"),
    (MP, b"--XyZ--\r\n" + cd(b"username") + b"\r\n\r\nab\r\n--XyZ--"),
    (MP, b"garbage"), (MP, b"--XyZ"), (MP, b"--XyZ--"), (MP, b"\r\n\r\n"),
    (MP, mp((cd(b"password"), b"p"), (cd(b"username", b'; filename="u"'), b"data"))),
    (MP, mp((cd(b"password"), b"p"), (cd(b"username", b'; filename="u"'), b"data"), end=False) + b"--XyZ--"),
    (MP, mp((cd(b"password"), b"p"), (cd(b"username", b'; filename="u"'), b"data"), end=False) + b"--XyZ"),
    (MP, mp((cd(b"password"), b"p"), (cd(b"username", b'; filename="u"'), b"data"), end=False)),
    (MP, mp((cd(b"username", b'; filename="' + b" " * 300 + b'a"'), b"d"), (cd(b"password", b'; filename="' + b"b" * 300 + b'.' + b" " * 300 + b'"'), b"d"))),
    (MP, mp((cd(b"username", b'; filename="&Tab;&nbsp;&#32"'), b"d"), (cd(b"password", b'; filename="&NewLine;&#x2F;"'), b"d"))),
    (MP, mp((cd(b"username", b'; filename="&#0;&#128;&#xD800;&#1114112;&#x110000;&#65535;"'), b"d"), (cd(b"password", b'; filename="&ampx&ampnbsp;&nbspx&period&period;"'), b"d"))),
    (MP, mp((cd(b"username", b"; filename*=UTF-8''%2e%2E"), b"d"), (cd(b"password", b"; filename*=latin-1''%A0"), b"d"))),
    (MP, mp((cd(b"username", b"; filename*=bogus''41"), b"d"), (cd(b"password", b"; filename*=x'y'z'w"), b"d"))),
    (MP, mp((b"Content-Disposition: form-data; name*=UTF-8''%20username%C2%A0", b"a"), (b"Content-Disposition: form-data; name=\"  password\x0b\"", b"b"))),
    (MP, mp((b"Content-Disposition: form-data; n\xc3\xa9=1; name=username", b"a"), (b"Content-Disposition: form-data; name=password\r\nContent-Transfer-Encoding: base64\x1c", b"cA=="))),
    (MP, mp((cd(b"a"), b""), (cd(b"b"), b""), (cd(b"c"), b"abc"), (cd(b"d"), b" "), (cd(b"e"), b""), (cd(b"f"), b"xy"))),
    (MP, mp((cd(b"b"), b" "), (cd(b"c"), b"abc"), (cd(b"d"), b""), (cd(b"f"), b"f"))),
    ('multipart/form-data; boundary="quoted b"', mp((cd(b"username"), b"a"), (cd(b"password"), b"b"), boundary=b"quoted b")),
    ("multipart/form-data; boundary=XyZ; boundary=other", mp((cd(b"username"), b"a"), (cd(b"password"), b"b"))),
    ("multipart/form-data; charset=utf-8; boundary=XyZ", mp((cd(b"username"), b"a"), (cd(b"password"), b"b"))),
]


def mutate(rng, doc, alphabet, n):
    doc = bytearray(doc)
    for _ in range(n):
        op = rng.randrange(5)
        pos = rng.randrange(len(doc) + 1)
        tok = rng.choice(alphabet)
        if op == 0 and doc:
            del doc[min(pos, len(doc) - 1)]
        elif op == 1:
            doc[pos:pos] = tok
        elif op == 2 and doc:
            doc[min(pos, len(doc) - 1):min(pos, len(doc) - 1) + 1] = tok
        elif op == 3:
            doc = doc[:pos]
        else:
            a = rng.randrange(len(doc) + 1)
            doc[pos:pos] = doc[min(a, pos):max(a, pos)][:12]
    return bytes(doc)


JSON_SEEDS = [
    b'{"username": "siva", "password": "siva"}',
    b'{"a":[1,2.5,-3e+2,{"b":null}],"c":true,"d":false,"e":"\\u00e9\\ud83d\\ude00\\n"}',
    b'[1, "x", {"k": []}, -0.5E-3]',
    b'{"username":"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80","password":12}',
    b'\n{\n  "username" : "a b",\n  "password" : [true, false, null]\n}\n',
]
JSON_ALPHABET = [
    b"{", b"}", b"[", b"]", b'"', b":", b",", b"\\", b"u", b"0", b"1", b"9", b"-", b"+", b".", b"e",
    b"E", b" ", b"\n", b"\t", b"\r", b"n", b"t", b"f", b"N", b"I", b"\x00", b"\x01", b"\x7f", b"\xc3\xa9",
    b"\xe2\x80\xa8", b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\\u", b"\\ud800",
    b"\\udc00", b"NaN", b"Infinity", b"null", b"true", b"12345", b"1e400", b"'", b"/", b"x",
]
FORM_SEEDS = [b"username=siva&password=siva", b"a=+&b=%20&c=abc&d=+x+&e=&f=xy", b"username=%C3%A9&password=a%2Bb"]
FORM_ALPHABET = [b"%", b"+", b"&", b"=", b"2", b"a", b"F", b"G", b"%c3", b"%a9", b"%ff", b"%00", b"\xc3\xa9", b"\xff",
                 b";", b" ", b"\x00", b"%e2%82", b"%ed%a0%80", b"username", b"password"]
MP_SEED = mp((cd(b"username"), b"siva"), (cd(b"password", b'; filename="p"'), b"siva"), (cd(b"f"), b"xy"))
MP_ALPHABET = [b"\r\n", b"\n", b"\r", b"--", b"--XyZ", b"\r\n--XyZ", b";", b'"', b"=", b"name", b"filename",
               b"Content-Disposition: ", b"form-data", b"\\", b"\xff", b"\xc3\xa9", b" ", b"*", b"'", b"%41"]


def cases(scale=1, seed=20261122, ops=3):
    out = [run_case(ct, body) for ct, body in HAND]
    rng = random.Random(seed)
    for i in range(700 * scale):
        seed = JSON_SEEDS[i % len(JSON_SEEDS)]
        out.append(run_case(JSON, mutate(rng, seed, JSON_ALPHABET, 1 + i % ops)))
    for i in range(200 * scale):
        seed = FORM_SEEDS[i % len(FORM_SEEDS)]
        out.append(run_case(FORM, mutate(rng, seed, FORM_ALPHABET, 1 + i % (ops + 1))))
    for i in range(250 * scale):
        out.append(run_case(MP, mutate(rng, MP_SEED, MP_ALPHABET, 1 + i % ops)))
    return out


# ---------------------------------------------------------------- other tables

def floats():
    lits = [
        "0", "-0", "1", "-1", "12", "007", "1.0", "-0.0", "0.0", "1.5", "100.0", "1e0", "1E2", "1e+2", "1e-2",
        "1e15", "1e16", "1e17", "9999999999999998", "9999999999999999.0", "1e-4", "1e-5", "0.0001", "0.00001",
        "0.000123", "1.5e-7", "1e21", "1e22", "1e400", "-1e400", "1e-400", "-1e-400", "4.9e-324", "2.5e-324",
        "1.7976931348623157e308", "1.7976931348623159e308", "2.2250738585072014e-308", "0.1", "0.2", "0.3",
        "123456789012345678", "123456789012345678.0", "1.2345678901234567e17", "3.141592653589793238462643383279",
        "100000000000000000000000", "1" + "0" * 30, "0." + "0" * 30 + "1", "123.456e-10", "5e-1", "0.5",
        "1234567890123456.7", "12345678901234567.0", "-12.5e3", "2e-4", "3e-5", "1.0000000000000002",
        "9007199254740993", "9007199254740993.0", "0.1e1", "10e-1", "1" * 400 + ".0", "0." + "9" * 400,
    ]
    rng = random.Random(7)
    for _ in range(400):
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if x != x or x in (float("inf"), float("-inf")):
            continue
        lits.append(repr(x).replace("inf", "1e400"))
        lits.append("%.17e" % x)
        lits.append("%.3e" % x)
    for _ in range(200):
        lits.append("%.*f" % (rng.randrange(0, 8), rng.uniform(-1e6, 1e6)))
        lits.append(str(rng.randrange(-10 ** 30, 10 ** 30)))
    out = []
    seen = set()
    for lit in lits:
        if lit in seen:
            continue
        seen.add(lit)
        try:
            out.append([lit, str(json.loads(lit))])
        except ValueError:
            out.append([lit, None])
    return out


def whitespace():
    return [c for c in range(0x110000) if chr(c).isspace()]


def accept():
    values = [
        None, "", "*/*", "application/json", "text/html", "text/html;q=0.5, application/json", "application/xml",
        "application/json;q=0", "*", "text/*", "*/json", "*/html", "application/xml, */*;q=0", "APPLICATION/JSON",
        "application/json/x", "text/html;level=1", "application/*;indent=2", "foo/bar, text/plain", "application/*",
        "application/json; indent=4", " application/json ", "application/xml,application/json", "text/plain",
        "application", "application/", "/json", "*/", "*/*;q=0", "text/plain;q=1, text/html;q=0",
        "application/vnd.api+json", "application/json-seq", ",", ";", "application/json;", "text/html,", "image/*",
        "*/xml", "Text/HTML", "application /json", "application/ json", "*/*, application/xml", "application/json\t",
        "text/html; charset=utf-8; q=0.9", '"application/json"', "application/json, text/html",
    ]
    neg = DefaultContentNegotiation()
    out = []
    for v in values:
        extra = {} if v is None else {"HTTP_ACCEPT": v}
        req = make_request(JSON, b"", extra)
        try:
            renderer, _ = neg.select_renderer(req, [JSONRenderer(), BrowsableAPIRenderer()])
            res = renderer.format
        except exceptions.NotAcceptable:
            res = "406"
        out.append([v, res])
    return out


def render():
    strs = ["".join(chr(c) for c in range(0x20)), "\x7f\x80\x9f\xa0", "<a href='x'>&amp;</a>", '"\\/',
            "\u2028\u2029", "é€😀", "\ufeff\uffff\U0010ffff", "Method \"GET\" not allowed.", "", "tab\there"]
    return [[s, RENDER({"detail": s}).decode()] for s in strs]


def b64table():
    inputs = [b"", b"YQ", b"YQ=", b"YQ==", b"Y Q==", b"Y!Q==", b"YQ==YQ==", b"Y", b"YQ==x", b"YWJj", b"YWJjZA",
              b"YWJjZA=", b"YWJjZA==", b"YWJjZA===", b"=YQ==", b"Y=Q==", b"YQ=a=", b"YW=Jj", b"YWJ=", b"YWJ==",
              b"Y===", b"YW==x", b"YWJjZ", b"YWJjZ===", b"c2l2YQ==", b"c2 l2Y!Q==x", b"////", b"-_-_", b"\xff\xfe",
              b"YQ=\nYQ==", b"YWJ\n=Y", b"==YWJj", b"YWJjZA=Y"]
    out = []
    for s in inputs:
        try:
            out.append([b64(s), b64(base64.b64decode(s))])
        except Exception:
            out.append([b64(s), None])
    return out


def charsets():
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
    from gen_tables import codec_class
    labels = ["utf-8", "UTF-8", "utf8", " utf-8 ", "utf--8", "UTF_8", "utf.8", "Utf 8", "-utf-8-", "latin-1",
              "Latin1", "ISO-8859-1", "iso8859_1", "ISO_8859-1:1987", "us-ascii", "US-ASCII", "ascii", "ANSI_X3.4-1968",
              "ansi_x3_4_1968", "ANSI_X3.4_1986", "iso_646.irv:1991", "cp1252", "windows-1252", "utf-16", "utf-16le",
              "UTF-32", "utf-7", "utf-8-sig", "UTF8-SIG", "shift_jis", "koi8-r", "cp037", "ebcdic-cp-us", "base64",
              "rot13", "hex", "idna", "bogus", "", "x", "unicode", "utf_8.", ".utf8", "u8", "cp65001", "l1", "latin",
              "8859", "646", "big5", "gb2312", "iso2022_jp", "undefined", "unicode_escape", "mbcs", "oem",
              "iso-8859-15", "mac-roman", "utf-8\u00e9", "\u00e9utf-8", "utf\u00e98"]
    out = []
    for label in labels:
        try:
            codecs_lookup = __import__("codecs").lookup(label)
            out.append([label, codec_class(codecs_lookup.name)])
        except LookupError:
            out.append([label, "codecDefault"])
    return out


def main():
    golden = {
        "b64": b64table(),
        "charsets": charsets(),
        "generated_by": "drf/testdata/gen_golden.py with " + sys.version.split()[0] + ", Django "
                        + django.get_version() + ", DRF " + __import__("rest_framework").VERSION,
        "whitespace": whitespace(),
        "floats": floats(),
        "accept": accept(),
        "render": render(),
        "cases": cases(*[int(a) for a in sys.argv[1:4]]),
    }
    json.dump(golden, sys.stdout, indent=0, sort_keys=True, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
