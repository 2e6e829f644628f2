#!/usr/bin/env python3
"""Signs requests with botocore, for drsnap's differential SigV4 tests.

Reads a JSON document from the file named by argv[1] (or stdin):
  {"requests": [ <item>, ... ]}
and prints one JSON document to stdout:
  {"botocore_version": "...", "results": [ <result>, ... ]}   (same order)

Item kinds:
  {"kind": "query", "url": ..., "service": ..., "region": ..., "action": ...,
   "version": ..., "params": [[k, v], ...], "credentials": {...}, "amz_date": ...}
      Built as botocore's query serializer builds a request (body dict
      Action, Version, params; Content-Type form header), signed with
      SigV4Auth. Result: {"authorization", "body", "headers"}.
  {"kind": "json", "url", "service", "region", "target", "body" (text),
   "credentials", "amz_date"}
      Built as botocore's JSON 1.1 serializer builds it (X-Amz-Target,
      Content-Type application/x-amz-json-1.1). Result as above.
  {"kind": "presign", "method", "url", "service", "region", "expires",
   "credentials", "amz_date"}
      SigV4QueryAuth on a body-less request. Result: {"url"}.
  {"kind": "rds_presign", "operation": "copy_db_snapshot" | ..., "kwargs": {...},
   "destination_region": ..., "credentials", "amz_date"}
      Calls a real botocore RDS client (destination region) with SourceRegion
      in kwargs, intercepts the request before it is sent (nothing reaches
      the network) and returns botocore's generated PreSignedUrl.
      Result: {"presigned_url", "body"}.

credentials: {"access_key": ..., "secret_key": ..., "token": ... or null}.
amz_date: "YYYYMMDDTHHMMSSZ", the signing time (botocore's clock is patched).

Exits non-zero with a message on stderr when botocore is missing or anything
fails: callers must treat that as a test failure, never a skip.
"""

import datetime as _dt
import json
import os
import sys
import types
from contextlib import contextmanager
from unittest import mock
from urllib.parse import parse_qs

# Nothing from the user's environment may influence what botocore builds.
for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# Where awscrt is installed (Debian's python3-awscrt), botocore may swap in the
# CRT signers, which read their own clock and order presign parameters
# differently. The pure-Python signers are the reference.
os.environ["BOTO_DISABLE_CRT"] = "true"

try:
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import botocore.session
except ImportError as e:  # pragma: no cover - reported to the C++ test
    sys.stderr.write(f"botocore_sign.py: botocore is not importable ({e}); "
                     f"install it for {sys.executable}\n")
    sys.exit(3)


@contextmanager
def fixed_time(amz_date):
    """Pins botocore's signing clock to amz_date.

    Newer botocore reads botocore.auth.get_current_datetime(); older versions
    call datetime.datetime.utcnow() through botocore.auth's `datetime` module.
    Both are patched, so this works across versions."""
    fixed = _dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")

    class FixedDatetime(_dt.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

        @classmethod
        def now(cls, tz=None):
            return fixed.replace(tzinfo=tz) if tz is not None else fixed

    shim = types.ModuleType("datetime")
    shim.__dict__.update(_dt.__dict__)
    shim.datetime = FixedDatetime
    patches = [mock.patch.object(botocore.auth, "datetime", shim)]
    if hasattr(botocore.auth, "get_current_datetime"):
        patches.append(
            mock.patch.object(botocore.auth, "get_current_datetime",
                              lambda remove_tzinfo=True: fixed if remove_tzinfo
                              else fixed.replace(tzinfo=_dt.timezone.utc)))
    for p in patches:
        p.start()
    try:
        yield
    finally:
        for p in reversed(patches):
            p.stop()


def make_credentials(c):
    return botocore.credentials.Credentials(c["access_key"], c["secret_key"],
                                            c.get("token") or None)


def header_pairs(request):
    return [[k, v] for k, v in request.headers.items()]


def check_date(request, amz_date):
    got = request.headers.get("X-Amz-Date")
    if got != amz_date:
        raise RuntimeError(f"clock patch failed: X-Amz-Date {got!r} != {amz_date!r}")


def sign_query(item):
    body = {"Action": item["action"], "Version": item["version"]}
    for k, v in item["params"]:
        if k in body:
            raise ValueError(f"duplicate parameter {k!r}")
        body[k] = v
    request_dict = {
        "url_path": "/",
        "query_string": "",
        "method": "POST",
        "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        "body": body,
        "context": {},
    }
    botocore.awsrequest.prepare_request_dict(request_dict, endpoint_url=item["url"])
    request = botocore.awsrequest.create_request_object(request_dict)
    with fixed_time(item["amz_date"]):
        botocore.auth.SigV4Auth(make_credentials(item["credentials"]), item["service"],
                                item["region"]).add_auth(request)
    check_date(request, item["amz_date"])
    prepared = request.prepare()
    body_text = prepared.body
    if isinstance(body_text, bytes):
        body_text = body_text.decode("utf-8")
    return {"authorization": request.headers["Authorization"], "body": body_text or "",
            "url": prepared.url, "headers": header_pairs(request)}


def sign_json(item):
    request_dict = {
        "url_path": "/",
        "query_string": "",
        "method": "POST",
        "headers": {"X-Amz-Target": item["target"],
                    "Content-Type": "application/x-amz-json-1.1"},
        "body": item["body"].encode("utf-8"),
        "context": {},
    }
    botocore.awsrequest.prepare_request_dict(request_dict, endpoint_url=item["url"])
    request = botocore.awsrequest.create_request_object(request_dict)
    with fixed_time(item["amz_date"]):
        botocore.auth.SigV4Auth(make_credentials(item["credentials"]), item["service"],
                                item["region"]).add_auth(request)
    check_date(request, item["amz_date"])
    return {"authorization": request.headers["Authorization"], "body": item["body"],
            "url": request.url, "headers": header_pairs(request)}


def presign(item):
    request = botocore.awsrequest.AWSRequest(method=item["method"], url=item["url"])
    with fixed_time(item["amz_date"]):
        botocore.auth.SigV4QueryAuth(make_credentials(item["credentials"]), item["service"],
                                     item["region"], expires=item["expires"]).add_auth(request)
    return {"url": request.prepare().url}


class _Captured(Exception):
    pass


def rds_presign(item):
    c = item["credentials"]
    session = botocore.session.get_session()
    client = session.create_client(
        "rds", region_name=item["destination_region"], aws_access_key_id=c["access_key"],
        aws_secret_access_key=c["secret_key"], aws_session_token=c.get("token") or None)
    captured = {}

    def capture(request, **kwargs):
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        captured["body"] = body
        raise _Captured()

    client.meta.events.register("before-send.rds.*", capture)
    kwargs = dict(item["kwargs"])
    with fixed_time(item["amz_date"]):
        try:
            getattr(client, item["operation"])(**kwargs)
        except _Captured:
            pass
    if "body" not in captured:
        raise RuntimeError("request was not captured")
    fields = parse_qs(captured["body"], keep_blank_values=True)
    url = fields.get("PreSignedUrl", [""])[0]
    if not url:
        raise RuntimeError(f"botocore sent no PreSignedUrl: {captured['body']}")
    if f"&X-Amz-Date={item['amz_date']}&" not in url:
        raise RuntimeError(f"clock patch failed: {url}")
    return {"presigned_url": url, "body": captured["body"]}


HANDLERS = {"query": sign_query, "json": sign_json, "presign": presign,
            "rds_presign": rds_presign}


def main():
    text = open(sys.argv[1], encoding="utf-8").read() if len(sys.argv) > 1 else sys.stdin.read()
    doc = json.loads(text)
    results = [HANDLERS[item["kind"]](item) for item in doc["requests"]]
    json.dump({"botocore_version": botocore.__version__, "python": sys.executable,
               "results": results}, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
