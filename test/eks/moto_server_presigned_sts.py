"""Run moto_server, plus support for presigned STS requests such as EKS tokens.

moto_server (5.2.5) routes a request to a service by the credential scope in its
Authorization header, and sends requests without that header to S3. An EKS token is a
GET signed in the query string, so moto would return an S3 bucket list for it. This
script checks such a request the way STS does, then routes it to moto's STS:

- the SigV4 signature is recomputed from the request as received (method, path, query,
  signed headers) and must match X-Amz-Signature;
- the secret key comes from moto's own assumed-role sessions, or, for static test keys,
  from FLYWHEEL_MOTO_STATIC_CREDENTIALS (a JSON object of access key ID to secret key);
- X-Amz-Date must be less than 15 minutes old, the limit the EKS API server applies.

A request that passes gets an Authorization header built from its query parameters, so
moto's STS reports the caller identity of its access key. A request that fails gets an
STS-style 403 error. Other requests go to moto unchanged.

Usage: python moto_server_presigned_sts.py -H 127.0.0.1 -p PORT
"""

import datetime
import hashlib
import hmac
import json
import os
import sys
from urllib.parse import parse_qsl, quote

from moto.moto_server import werkzeug_app
from moto.server import main
from moto.sts.models import sts_backends

TOKEN_VALIDITY = datetime.timedelta(minutes=15)
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


def static_secrets():
    raw = os.environ.get("FLYWHEEL_MOTO_STATIC_CREDENTIALS", "{}")
    return json.loads(raw)


def find_secret(access_key_id):
    """Return (secret key, session token or None) for an access key that moto or the test issued."""
    for by_partition in sts_backends.values():
        for backend in by_partition.values():
            role = backend.get_assumed_role_from_access_key(access_key_id)
            if role is not None:
                return role.secret_access_key, role.session_token
    secret = static_secrets().get(access_key_id)
    if secret is not None:
        return secret, None
    return None, None


def uri_encode(value):
    return quote(value, safe="-_.~")


def hmac_sha256(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def expected_signature(environ, params, secret):
    credential = params["X-Amz-Credential"]
    _, date, region, service, terminator = credential.split("/")
    scope = f"{date}/{region}/{service}/{terminator}"

    canonical_query = "&".join(
        f"{uri_encode(key)}={uri_encode(value)}"
        for key, value in sorted(params.items())
        if key != "X-Amz-Signature"
    )
    signed_headers = params["X-Amz-SignedHeaders"]
    canonical_headers = ""
    for name in signed_headers.split(";"):
        value = environ.get("HTTP_" + name.upper().replace("-", "_"), "")
        canonical_headers += f"{name}:{' '.join(value.split())}\n"
    canonical_request = "\n".join(
        [
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO", "/") or "/",
            canonical_query,
            canonical_headers,
            signed_headers,
            EMPTY_PAYLOAD_SHA256,
        ]
    )
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = hmac_sha256(("AWS4" + secret).encode("utf-8"), date)
    key = hmac_sha256(key, region)
    key = hmac_sha256(key, service)
    key = hmac_sha256(key, terminator)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def check_presigned(environ, params):
    """Return None when the presigned request is valid, else (error code, message)."""
    access_key_id = params["X-Amz-Credential"].split("/")[0]
    secret, session_token = find_secret(access_key_id)
    if secret is None:
        return "InvalidClientTokenId", f"The security token included in the request is invalid: unknown access key {access_key_id}"
    if session_token is not None and params.get("X-Amz-Security-Token") != session_token:
        return "InvalidClientTokenId", "The security token included in the request is invalid: X-Amz-Security-Token does not match the session"

    signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    if datetime.datetime.now(datetime.timezone.utc) - signed_at > TOKEN_VALIDITY:
        return "ExpiredToken", f"The request signed at {params['X-Amz-Date']} is older than 15 minutes"

    if not hmac.compare_digest(expected_signature(environ, params, secret), params.get("X-Amz-Signature", "")):
        return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided"
    return None


def error_response(start_response, code, message):
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "</ErrorResponse>"
    ).encode("utf-8")
    start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


original_call = werkzeug_app.DomainDispatcherApplication.__call__


def dispatch(self, environ, start_response):
    if "HTTP_AUTHORIZATION" not in environ:
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        credential = params.get("X-Amz-Credential", "")
        if params.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" and credential.endswith("/sts/aws4_request"):
            failure = check_presigned(environ, params)
            if failure is not None:
                return error_response(start_response, *failure)
            environ["HTTP_AUTHORIZATION"] = (
                f"AWS4-HMAC-SHA256 Credential={credential}, "
                f"SignedHeaders={params['X-Amz-SignedHeaders']}, Signature={params['X-Amz-Signature']}"
            )
    return original_call(self, environ, start_response)


werkzeug_app.DomainDispatcherApplication.__call__ = dispatch

if __name__ == "__main__":
    main(sys.argv[1:])
