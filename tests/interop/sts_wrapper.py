"""An AWS STS stand-in for the aws_iam interop tests: checks presigned GetCallerIdentity URLs
the way STS does, and asks moto who the caller is.

Why a wrapper and not moto alone: moto 5's server hands a presigned `GET /?Action=...` without
an `Authorization` header to its S3 backend, and its STS answers `user/moto` whatever key
signed, checking no signature. This server checks the SigV4 query signature exactly (canonical
request rebuilt from the received query and the signed headers as received, empty-payload hash
as botocore signs for STS), the signing time window and X-Amz-Expires, and the access key (and
session token) against the credentials it created in moto; then it calls moto's STS
GetCallerIdentity with those credentials, so moto resolves the key to the IAM user or the
assumed role, and answers in STS's JSON shape.

Usage: sts_wrapper.py [REGION]. Prints one JSON line on stdout: its port and the credentials
it created. Test-only endpoints (not STS paths):
  GET  /_calls                                   {"calls": N}: GetCallerIdentity requests seen
  POST /_mode  (body ok|error|hang|garbage|redirect|throttle)
                                                 answer normally, 500, never, a 200 not JSON,
                                                 a 302 to itself, or STS's 400 Throttling
  GET  /_boto3_credential?server_id=ID&which=user|role
                                                 a credential made by botocore's SigV4QueryAuth
"""

import base64
import datetime
import hashlib
import hmac
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

import boto3
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.server import ThreadedMotoServer

REGION = sys.argv[1] if len(sys.argv) > 1 else "eu-west-1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = 15 * 60

moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
moto.start()
MOTO_URL = "http://127.0.0.1:%d" % moto.get_host_and_port()[1]


def client(service, key="testing", secret="testing", token=None):
    return boto3.client(
        service,
        endpoint_url=MOTO_URL,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


iam = client("iam")
user = iam.create_user(UserName="alice", Path="/ops/")["User"]
user_key = iam.create_access_key(UserName="alice")["AccessKey"]
trust = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}],
}
role = iam.create_role(RoleName="AdminDeployer", Path="/team/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
assumed = client("sts", user_key["AccessKeyId"], user_key["SecretAccessKey"]).assume_role(
    RoleArn=role["Arn"], RoleSessionName="ci-42"
)
role_creds = assumed["Credentials"]

# access key id -> (secret, session token or None)
KEYS = {
    user_key["AccessKeyId"]: (user_key["SecretAccessKey"], None),
    role_creds["AccessKeyId"]: (role_creds["SecretAccessKey"], role_creds["SessionToken"]),
}

state = {"calls": 0, "mode": "ok"}
lock = threading.Lock()


def hmac_sha256(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def amz_time(text):
    return datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


class Refused(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def check(handler, raw_query):
    """The caller's credentials, or Refused as STS would refuse."""
    pairs = [p.partition("=") for p in raw_query.split("&") if p]
    params = {}
    for name, _, value in pairs:
        params.setdefault(unquote(name), []).append(unquote(value))
    one = lambda name: (params.get(name) or [None])[0]
    if one("Action") != "GetCallerIdentity" or one("Version") != "2011-06-15":
        raise Refused(400, "InvalidAction", "not GetCallerIdentity")
    if one("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or not one("X-Amz-Signature"):
        raise Refused(400, "IncompleteSignature", "missing SigV4 query parameters")
    scope = (one("X-Amz-Credential") or "").split("/")
    if len(scope) != 5 or scope[2:] != [REGION, "sts", "aws4_request"]:
        raise Refused(403, "SignatureDoesNotMatch", "credential scope")
    key_id, day = scope[0], scope[1]
    date, expires = one("X-Amz-Date") or "", int(one("X-Amz-Expires") or "0")
    signed_at = amz_time(date)
    now = time.time()
    if not 1 <= expires <= 604800 or day != date[:8]:
        raise Refused(400, "AuthorizationQueryParametersError", "X-Amz-Expires or date")
    if signed_at - now > MAX_SKEW:
        raise Refused(403, "SignatureDoesNotMatch", "Signature not yet current")
    if now > signed_at + expires:
        raise Refused(403, "ExpiredToken", "Request has expired")
    if key_id not in KEYS:
        raise Refused(403, "InvalidClientTokenId", "The security token included in the request is invalid")
    secret, token = KEYS[key_id]
    if one("X-Amz-Security-Token") != token:
        raise Refused(403, "InvalidClientTokenId", "The security token included in the request is invalid")
    signed_headers = one("X-Amz-SignedHeaders") or ""
    canonical_headers = ""
    for name in signed_headers.split(";"):
        value = handler.headers.get(name)
        if value is None:
            raise Refused(403, "SignatureDoesNotMatch", "signed header %s not sent" % name)
        canonical_headers += "%s:%s\n" % (name, " ".join(value.strip().split()))
    canonical_query = "&".join(
        sorted(
            "%s=%s" % (quote(name, safe="-_.~"), quote(value, safe="-_.~"))
            for name, values in params.items()
            if name != "X-Amz-Signature"
            for value in values
        )
    )
    canonical_request = "\n".join(
        ["GET", "/", canonical_query, canonical_headers, signed_headers, EMPTY_SHA256]
    )
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", date, "/".join(scope[1:]), hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = ("AWS4" + secret).encode()
    for part in (day, REGION, "sts", "aws4_request"):
        key = hmac_sha256(key, part)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if len(params["X-Amz-Signature"]) != 1 or not hmac.compare_digest(expected, one("X-Amz-Signature")):
        raise Refused(403, "SignatureDoesNotMatch", "The request signature we calculated does not match")
    return key_id, secret, token


def boto3_credential(server_id, which):
    key_id = user_key["AccessKeyId"] if which == "user" else role_creds["AccessKeyId"]
    secret, token = KEYS[key_id]
    request = AWSRequest(
        "GET",
        "http://127.0.0.1:%d/" % PORT,
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        headers={"x-tollgate-server-id": server_id},
    )
    SigV4QueryAuth(Credentials(key_id, secret, token), "sts", REGION, expires=900).add_auth(request)
    return "tollgate-aws-v1." + base64.urlsafe_b64encode(request.url.encode()).decode().rstrip("=")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path == "/_mode":
            mode = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode().strip()
            with lock:
                state["mode"] = mode
            return self.reply(200, json.dumps({"mode": mode}))
        self.reply(404, "{}")

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/_calls":
            with lock:
                return self.reply(200, json.dumps({"calls": state["calls"]}))
        if parts.path == "/_boto3_credential":
            q = parse_qs(parts.query)
            return self.reply(200, boto3_credential(q["server_id"][0], q.get("which", ["user"])[0]), "text/plain")
        if parts.path != "/":
            return self.reply(404, "{}")
        with lock:
            state["calls"] += 1
            mode = state["mode"]
        if mode == "error":
            return self.reply(500, '{"Error":{"Code":"InternalFailure"}}')
        if mode == "hang":
            time.sleep(60)
            return self.reply(500, "{}")
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/" + "?" + parts.query)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "throttle":
            return self.reply(400, '{"Error":{"Code":"Throttling","Message":"Rate exceeded"}}')
        if mode == "garbage":
            return self.reply(200, "<GetCallerIdentityResponse><Arn>arn:aws:iam::123456789012:root</Arn>")
        request_id = str(uuid.uuid4())
        try:
            key_id, secret, token = check(self, parts.query)
        except Refused as refused:
            error = {"Error": {"Code": refused.code, "Message": refused.message, "Type": "Sender"}, "RequestId": request_id}
            return self.reply(refused.status, json.dumps(error))
        identity = client("sts", key_id, secret, token).get_caller_identity()
        result = {k: identity[k] for k in ("Arn", "Account", "UserId")}
        if "application/json" not in self.headers.get("Accept", ""):
            xml = "<GetCallerIdentityResponse><GetCallerIdentityResult>%s</GetCallerIdentityResult></GetCallerIdentityResponse>" % "".join(
                "<%s>%s</%s>" % (k, v, k) for k, v in result.items()
            )
            return self.reply(200, xml, "text/xml")
        body = {
            "GetCallerIdentityResponse": {
                "GetCallerIdentityResult": result,
                "ResponseMetadata": {"RequestId": request_id},
            }
        }
        self.reply(200, json.dumps(body))


def exit_when_stdin_closes():
    """The test that started this process holds its stdin; if the test dies, so does this."""
    sys.stdin.read()
    import os

    os._exit(0)


threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
PORT = server.server_address[1]
print(
    json.dumps(
        {
            "port": PORT,
            "region": REGION,
            "account": user["Arn"].split(":")[4],
            "user": {
                "access_key_id": user_key["AccessKeyId"],
                "secret_access_key": user_key["SecretAccessKey"],
                "arn": user["Arn"],
            },
            "role": {
                "access_key_id": role_creds["AccessKeyId"],
                "secret_access_key": role_creds["SecretAccessKey"],
                "session_token": role_creds["SessionToken"],
                "arn": assumed["AssumedRoleUser"]["Arn"],
                "role_arn": role["Arn"],
            },
        }
    ),
    flush=True,
)
server.serve_forever()
