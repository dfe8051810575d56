#!/usr/bin/python3
"""cpfixture: a scenario-driven stand-in for the AWS control plane in logcanary's tests.

    cpfixture.py --scenario FILE [--log FILE] [--port 0]

Binds 127.0.0.1 (port 0 = kernel's choice), prints "LISTENING <port>" as the first stdout line,
then writes nothing more to stdout (diagnostics go to stderr). Stop it with SIGTERM.
Needs Debian's /usr/bin/python3 (botocore). Models are botocore's, plus the supplements in
servers/models (operations newer than Debian's botocore 1.29, e.g. Control Tower's landing zone
calls), merged in by botocore's own loader (lctest.botocore_session(); AWS_DATA_PATH for aws).

One port serves every service. A request is routed by what it says, like AWS does:
  * X-Amz-Target: <targetPrefix>.<Operation>  -> JSON 1.1 (kms, config, cloudtrail, wafv2,
                                                 organizations)
  * Action=... & Version=2016-11-15 | 2011-06-15 (form body or query) -> EC2 / STS Query
  * PUT|GET /latest/...                        -> EC2 instance metadata (IMDSv2)
  * GET <scenario container.path>              -> ECS / EKS container credentials
  * method + path of an operation in a REST-JSON model (controltower: POST /list-landingzones,
    POST /get-landingzone, ...), after an optional leading region segment; params are the
    input members from path labels, query string, headers and the JSON body. If two services
    have the route, the Host's service name decides, then the credential scope's service; a
    request signed for s3 is S3's.
  * anything else: path-style S3, /<bucket>[/<key>] (see "s3" below)
The region a request targets is taken from, in order: a Host of the AWS form
"<service>.<region>.amazonaws.com" (e.g. with CURLOPT_RESOLVE), a first path segment that is a
region name (endpoint "http://127.0.0.1:<port>/eu-west-1"), the scenario's "region".
Global services are signed for their partition's one region whatever region that is:
organizations for us-east-1 (aws), cn-northwest-1 (aws-cn), us-gov-west-1 (aws-us-gov).

Every signed request is verified with botocore's SigV4Auth over exactly the headers it claims to
sign, with the time frozen to its X-Amz-Date; the credential scope must name the target's region
and service, the secret and session token must match the scenario, and X-Amz-Date must be within
15 minutes of now ("check_clock": false turns that off). Failures answer as AWS does:
JSON services 400 InvalidSignatureException / UnrecognizedClientException / ExpiredTokenException /
MissingAuthenticationTokenException (REST-JSON services: the same codes, 403); STS 403
SignatureDoesNotMatch / InvalidClientTokenId, 400 ExpiredToken; EC2 403 SignatureDoesNotMatch,
401 AuthFailure, 400 RequestExpired.
Only sts.AssumeRoleWithWebIdentity / AssumeRoleWithSAML may be unsigned.
S3 requests are verified with botocore's S3SigV4Auth (path as sent, X-Amz-Content-SHA256 required:
the body's hash or UNSIGNED-PAYLOAD) in whatever region their scope names, and fail as S3 does:
403 SignatureDoesNotMatch / InvalidAccessKeyId / AccessDenied / RequestTimeTooSkewed,
400 InvalidToken / ExpiredToken / AuthorizationHeaderMalformed, as S3 XML <Error> documents.

Scenario (JSON):
  {"region": "us-east-1", "account": "111122223333",
   "credentials": {"AKIDEXAMPLE": {"secret": "...", "token": "...(optional)", "expired": false}},
   "imds": {"role": "r", "region": "us-east-1", "allow_v1": false,
            "credentials": {"AccessKeyId": "...", "SecretAccessKey": "...", "Token": "...",
                            "expires_in": 3600}},
   "container": {"path": "/v2/credentials/x", "authorization": "tok", "credentials": {...}},
   "operations": {"<service>.<Operation>": RULE or [RULE, ...]},
   "organizations": {...}, "controltower": {...},   (built-in answers, see below)
   "s3": {"buckets": {"<bucket>": {"region": "eu-west-1" or ["eu-west-1", "ap-south-1", ...],
                                   "redirect": "301" | "400", "hint": true,
                                   "objects": {"<key>": "<content>"}}}}}
RULE = {"match": {param: value, ...}, "respond": RESPONSE or [RESPONSE, ...]}; a rule without
"respond" is itself one RESPONSE. The first rule whose "match" equals the request's parameters
wins; a list of responses is played in order (per rule), its last one repeating.
RESPONSE keys: "body" (JSON and REST-JSON services: the wire JSON; EC2/STS: the botocore-parsed
shape, e.g. {"FlowLogs": [{"FlowLogId": ...}]}, rendered to XML with the model's element names;
imds and container: a JSON object or text), "error" + "message" (+ "type" for a custom __type,
+ "fields" for more members of a JSON error body, e.g. {"Reason": "INVALID_NEXT_TOKEN"}) rendered
in the service's error format (JSON: {"__type", "message" or "Message" as the model's error
shape spells it}; REST-JSON: header x-amzn-ErrorType and {"message"}, status from the model's
error shape: ResourceNotFoundException 404, AccessDeniedException 403, ThrottlingException 429,
other errors 400), "status", "headers", "raw" (verbatim body) + "content_type", "delay"
(seconds), "reset": true (abort the connection), "times": N (repeat this step N times),
"default": true (the built-in answer, for imds/container/GetCallerIdentity/organizations/
controltower).
Credentials found in imds/container and in response bodies ("Credentials": {AccessKeyId,...})
are accepted for later signed calls; a missing "Expiration" is filled in as now + expires_in.
Service names: kms, config, cloudtrail, ec2, sts, wafv2, organizations, controltower, imds
(GetToken, ListRoles, GetRoleCredentials, GetRegion, GetIdentityDocument), container
(GetCredentials). With no rule, imds/container, sts.GetCallerIdentity and the operations below
answer from the scenario; anything else answers 501 NotImplemented. A body that is not a JSON
object answers 400 SerializationException (once the signature is verified).

Organizations (built-in answers when the scenario has "organizations"; rules come first):
  "organizations": {
    "organization": {"Id": "o-a1b2c3d4e5", "MasterAccountId": "111122223333", ...},
    "root": {"Id": "r-a1b2", "Name": "Root", "PolicyTypes": [...]},
    "ous": [{"Id": "ou-a1b2-11111111", "Name": "Security", "parent": "r-a1b2"}, ...],
    "accounts": [{"Id": "222222222222", "Name": "log-archive", "Email": "...",
                  "Status": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": 1700000000,
                  "parent": "ou-a1b2-11111111"}, ...]}
Every object is in wire form (members as the model names them); the lowercase "parent" (a root
or OU id, default the root) is the fixture's own. All is optional but the accounts' and OUs'
Id. Defaults: organization Id o-a1b2c3d4e5, MasterAccountId the scenario's "account",
FeatureSet ALL (AvailablePolicyTypes SERVICE_CONTROL_POLICY ENABLED), root r-a1b2 "Root"
without policy types, Arn and MasterAccountArn/Email derived (partition from "region"), account
Name account-<Id>, Email aws+<Id>@example.com, Status ACTIVE, JoinedMethod CREATED,
JoinedTimestamp 2020-01-01 (epoch seconds or ISO 8601 text; sent as epoch seconds). List the
management account among the accounts if ListAccounts should show it. Ids must match AWS's
patterns, OUs must lead to the root, Status / JoinedMethod be in the model's enums.
  DescribeOrganization, ListRoots, ListAccounts (every account, scenario order),
  ListAccountsForParent, ListChildren (the parent's accounts or OUs, scenario order): pages of
  MaxResults (1..20, default 20) with an opaque NextToken that only continues the listing (and
  parent, child type) it came from. InvalidInputException (with Reason) for a NextToken not
  handed out (INVALID_NEXT_TOKEN), MaxResults out of range (MIN_/MAX_VALUE_EXCEEDED), a ParentId
  that is neither r-... nor ou-...-... (INVALID_PATTERN), a ChildType other than ACCOUNT /
  ORGANIZATIONAL_UNIT (INVALID_ENUM), a missing one (INPUT_REQUIRED); ParentNotFoundException
  for an unknown root or OU. Failures (AccessDeniedException, AWSOrganizationsNotInUseException,
  TooManyRequestsException) are rules, e.g. "organizations.ListAccounts":
  [{"error": "TooManyRequestsException", "message": "...", "times": 2}, {"default": true}].

Control Tower (built-in answers when the scenario has "controltower"; rules come first):
  "controltower": {"landing_zones": [
    {"arn": "arn:aws:controltower:us-east-1:111122223333:landingzone/1A2B3C4D5E6F7G8H",
     "version": "3.3", "latestAvailableVersion": "3.3", "status": "ACTIVE",
     "driftStatus": {"status": "IN_SYNC"}, "manifest": {MANIFEST}}, ...]}
Each landing zone is a LandingZoneDetail in wire form; arn, version and manifest are required,
latestAvailableVersion defaults to version, status to ACTIVE, driftStatus to IN_SYNC. Its home
region is the one its arn names: requests for it must target (and be signed for) that region.
The manifest is the document GetLandingZone returns, as given; one whose top-level keys do not
fit its version's schema is warned about (3.x: organizationStructure, centralizedLogging,
securityRoles required, also governedRegions, accessManagement, backup; 4.x: all optional,
governedRegions, centralizedLogging, securityRoles, accessManagement, backup, config).
  ListLandingZones: the landing zones of the region the request targets, one a page
  (maxResults must be 1, as the model says), nextToken as above; ValidationException for
  another maxResults or a nextToken not handed out. GetLandingZone {landingZoneIdentifier: arn}:
  the landing zone, ResourceNotFoundException (404) for one unknown in that region.

S3 (no rules, just the "s3" section): a request signed for a region other than its bucket's gets
S3's wrong-region answer, per bucket "redirect": "301" = 301 PermanentRedirect with header
x-amz-bucket-region and an <Error> body naming <Endpoint> and <Bucket>; "400" = 400
AuthorizationHeaderMalformed with <Region> in the body ("the region 'A' is wrong; expecting 'B'";
a HEAD gets the bare 400 with x-amz-bucket-region instead). "hint": false leaves out every region
hint (header, <Region>, regional <Endpoint>). A list "region" is a bucket that keeps moving: each
request sees the next region, the last one repeating. In the right region: GetObject, HeadObject,
HeadBucket (with x-amz-bucket-region) and ListObjectsV2 (prefix, start-after, max-keys,
continuation-token, encoding-type=url; no delimiter) of the scenario's objects; unknown buckets
and keys are 404 NoSuchBucket / NoSuchKey; other operations 501 NotImplemented. Operations are
named from the method: GetObject, HeadObject, PutObject, ..., HeadBucket, ListObjectsV2,
GetBucket, ...; params are Bucket, Key and the query.

--log FILE gets one JSON object per request: time (UTC, ms), client, method, path, service,
operation, params (secrets redacted), region (S3: the region its signature is scoped to),
access_key, token_present, signed_headers, auth ("ok", "unsigned", "none", or the failure:
missing, malformed, unknown_key, bad_token, expired_token, scope, skew, signature), sig_ok
(true/false/null), rule (index), attempt (1-based, per rule), status (number or "reset"),
error (code). A request is logged before its answer is sent.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

SERVICES = ("kms", "config", "cloudtrail", "ec2", "sts", "wafv2", "organizations", "controltower")
# Global services are signed for one region per partition, whatever region the caller is in.
GLOBAL_SIGNING_REGIONS = {
    "organizations": {"aws": "us-east-1", "aws-cn": "cn-northwest-1",
                      "aws-us-gov": "us-gov-west-1"},
}
LOCAL_OPS = {
    "imds": ("GetToken", "ListRoles", "GetRoleCredentials", "GetRegion", "GetIdentityDocument"),
    "container": ("GetCredentials",),
}
# Response members real AWS sends that Debian's botocore 1.29 models do not know yet.
NEWER_MEMBERS = {("kms", "GetKeyPolicy"): {"PolicyName"}}
UNSIGNED_OK = {("sts", "AssumeRoleWithWebIdentity"), ("sts", "AssumeRoleWithSAML")}
MAX_SKEW = 15 * 60
REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,"
                     r"\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$")
SECRET_PARAMS = re.compile(r"(Token|Secret|Password|SAMLAssertion)$", re.I)

# Authentication failures: kind -> {protocol: (status, code)}, message.
AUTH_ERRORS = {
    "missing": ({"json": (400, "MissingAuthenticationTokenException"), "ec2": (401, "AuthFailure"),
                 "query": (403, "MissingAuthenticationToken")}, "Missing Authentication Token"),
    "malformed": ({"json": (400, "IncompleteSignatureException"),
                   "ec2": (400, "IncompleteSignature"), "query": (400, "IncompleteSignature")},
                  "Authorization header requires Credential, SignedHeaders and Signature."),
    "unknown_key": ({"json": (400, "UnrecognizedClientException"), "ec2": (401, "AuthFailure"),
                     "query": (403, "InvalidClientTokenId")},
                    "The security token included in the request is invalid."),
    "expired_token": ({"json": (400, "ExpiredTokenException"), "ec2": (400, "RequestExpired"),
                       "query": (400, "ExpiredToken")},
                      "The security token included in the request is expired"),
    "signature": ({"json": (400, "InvalidSignatureException"),
                   "ec2": (403, "SignatureDoesNotMatch"), "query": (403, "SignatureDoesNotMatch")},
                  "The request signature we calculated does not match the signature you provided."
                  " Check your AWS Secret Access Key and signing method."
                  " Consult the service documentation for details."),
}
for _codes, _ in AUTH_ERRORS.values():  # REST-JSON services: the JSON codes, always 403
    _codes["rest-json"] = (403, _codes["json"][1])
AUTH_ERRORS["bad_token"] = AUTH_ERRORS["unknown_key"]
AUTH_ERRORS["scope"] = AUTH_ERRORS["skew"] = AUTH_ERRORS["signature"]
# S3's own answers to the same failures: kind -> (status, code).
S3_AUTH_ERRORS = {"missing": (403, "AccessDenied"), "unknown_key": (403, "InvalidAccessKeyId"),
                  "malformed": (400, "AuthorizationHeaderMalformed"),
                  "scope": (400, "AuthorizationHeaderMalformed"),
                  "bad_token": (400, "InvalidToken"), "expired_token": (400, "ExpiredToken"),
                  "skew": (403, "RequestTimeTooSkewed"),
                  "signature": (403, "SignatureDoesNotMatch")}
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
S3_REDIRECT_MESSAGE = ("The bucket you are attempting to access must be addressed using the"
                       " specified endpoint. Please send all future requests to this endpoint.")


def iso8601(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def warn(msg):
    print(f"cpfixture: {msg}", file=sys.stderr, flush=True)


def partition(region):
    """The partition a region belongs to (the ones the fixture knows)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def epoch_of(value, what):
    """A timestamp given as epoch seconds or ISO 8601 text, as epoch seconds (JSON's wire form)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        stamp = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        sys.exit(f"cpfixture: {what}: not a timestamp: {value!r}")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.timezone.utc)
    seconds = stamp.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


class Service:
    """What the fixture needs from one botocore model."""

    def __init__(self, session, name):
        self.name = name
        self.model = session.get_service_model(name)
        meta = self.model.metadata
        self.protocol = meta["protocol"]  # json | ec2 | query | rest-json
        self.endpoint_prefix = meta["endpointPrefix"]
        self.signing_name = meta.get("signingName", meta["endpointPrefix"])
        self.target_prefix = meta.get("targetPrefix")
        self.api_version = meta["apiVersion"]
        self.namespace = f"http://ec2.amazonaws.com/doc/{self.api_version}/" \
            if self.protocol == "ec2" else meta.get("xmlNamespace")
        self.routes = self._routes() if self.protocol == "rest-json" else []

    def output_shape(self, op):
        return self.model.operation_model(op).output_shape

    def error_status(self, code):
        """The HTTP status the model gives an error shape (None: not modelled)."""
        if code not in self.model.shape_names:
            return None
        return self.model.shape_for(code).metadata.get("error", {}).get("httpStatusCode")

    def message_member(self, code):
        """The name an error's message has on the wire: the model's, "message" by default."""
        if code in self.model.shape_names:
            members = self.model.shape_for(code).members
            if "Message" in members and "message" not in members:
                return "Message"
        return "message"

    def _routes(self):
        """REST operations as (specificity, method, path regex, {group: member}, query literals,
        operation), most specific first: a path template's literal text counts, then how many
        query literals its requestUri demands ("?tagging")."""
        routes = []
        for op in self.model.operation_names:
            om = self.model.operation_model(op)
            template, _, query = om.http["requestUri"].partition("?")
            members = om.input_shape.members if om.input_shape is not None else {}
            by_label = {m.serialization.get("name", n): n for n, m in members.items()
                        if m.serialization.get("location") == "uri"}
            pattern, labels, literal = "", {}, 0
            for piece in re.split(r"(\{[^}]+\})", template):
                if piece.startswith("{"):
                    label = piece[1:-1]
                    greedy = label.endswith("+")
                    group = f"g{len(labels)}"
                    labels[group] = by_label.get(label.rstrip("+"), label.rstrip("+"))
                    pattern += f"(?P<{group}>{'.+' if greedy else '[^/]+'})"
                else:
                    pattern += re.escape(piece)
                    literal += len(piece)
            wanted = dict(parse_qsl(query, keep_blank_values=True))
            wanted.pop("x-id", None)  # a client-side hint, not part of the route
            routes.append(((literal, len(wanted)), om.http["method"], re.compile(pattern),
                           labels, wanted, op))
        routes.sort(key=lambda r: r[0], reverse=True)
        return routes

    def route(self, method, path, query_pairs):
        """(operation, {member: value} from the path) of a REST request, or None."""
        query = dict(query_pairs)
        for _, want_method, regex, labels, wanted, op in self.routes:
            m = regex.fullmatch(path) if method == want_method else None
            if m and all(k in query and (v == "" or query[k] == v) for k, v in wanted.items()):
                return op, {member: unquote(m.group(g)) for g, member in labels.items()}
        return None

    def rest_params(self, op, from_path, query_pairs, headers, body):
        """A REST-JSON request's input members: path labels, query string, headers and the
        JSON body (or its payload member). Raises ValueError for a body that is not JSON."""
        shape = self.model.operation_model(op).input_shape
        params = dict(from_path)
        if shape is None:
            return params
        for name, member in shape.members.items():
            where = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if where == "querystring" and member.type_name != "map":
                values = [v for k, v in query_pairs if k == wire]
                if values:
                    params[name] = values if member.type_name == "list" else values[0]
            elif where == "header" and headers.get(wire) is not None:
                params[name] = headers.get(wire)
        payload = shape.serialization.get("payload")
        if body:
            if payload and shape.members[payload].type_name in ("blob", "string"):
                params[payload] = body.decode("utf-8", "replace")
            else:
                data = json.loads(body)
                if payload:
                    params[payload] = data
                elif isinstance(data, dict):
                    params.update(data)
                else:
                    raise ValueError("the body is not a JSON object")
        return params


# ---- pagination -----------------------------------------------------------------------------

class Pager:
    """Opaque pagination tokens: a position in one listing (scope), with a MAC so that a token
    the fixture did not hand out for that listing is refused, as AWS refuses it."""

    def __init__(self):
        self.key = os.urandom(16)

    def _mac(self, scope, offset):
        return hmac.new(self.key, f"{scope}|{offset}".encode(), hashlib.sha256).hexdigest()[:32]

    def token(self, scope, offset):
        raw = f"{offset}|{self._mac(scope, offset)}|{uuid.uuid4().hex}".encode()
        return base64.urlsafe_b64encode(raw).decode()

    def offset(self, scope, token):
        """Where a token points in the listing, or None if it is not one of its tokens."""
        try:
            offset, mac, _ = base64.urlsafe_b64decode(token.encode()).decode().split("|")
            offset = int(offset)
        except (ValueError, UnicodeError):
            return None
        return offset if offset > 0 and hmac.compare_digest(mac, self._mac(scope, offset)) \
            else None

    def page(self, scope, items, token, size):
        """(items of this page, next token or None), or None for a token that is not valid."""
        start = 0
        if token is not None:
            start = self.offset(scope, token)
            if start is None or start >= len(items):
                return None
        end = start + size
        return items[start:end], (self.token(scope, end) if end < len(items) else None)


def error(code, message, status=None, **fields):
    """A built-in error answer (a RESPONSE)."""
    resp = {"error": code, "message": message}
    if status is not None:
        resp["status"] = status
    if fields:
        resp["fields"] = fields
    return resp


def max_results(params, name, low, high, fail):
    """The page size asked for (None: not given), or the answer fail(reason, message)."""
    if params.get(name) is None:
        return None
    try:
        n = int(params[name])
    except (TypeError, ValueError):
        return error("SerializationException", f"{name} must be a number")
    if n < low:
        return fail("MIN_VALUE_EXCEEDED", f"{name} must be at least {low}, not {n}.")
    if n > high:
        return fail("MAX_VALUE_EXCEEDED", f"{name} must be at most {high}, not {n}.")
    return n


# ---- AWS Organizations ----------------------------------------------------------------------

class Organization:
    """The "organizations" section: one organization, its root, OUs and accounts, in wire form."""

    ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
    ROOT_ID = re.compile(r"r-[0-9a-z]{4,32}")
    OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
    ACCOUNT_ID = re.compile(r"\d{12}")
    PAGE = 20  # what every List operation answers without MaxResults, and its maximum

    def __init__(self, spec, scn, svc):
        self.pager = scn.pager
        self.model = svc.model
        part = partition(scn.region)
        org = dict(spec.get("organization", {}))
        org_id = org.setdefault("Id", "o-a1b2c3d4e5")
        master = org.setdefault("MasterAccountId", scn.account)
        self._check(self.ORG_ID, org_id, "organization Id")
        arn = f"arn:{part}:organizations::{master}"
        root = dict(spec.get("root", {}))
        root_id = root.setdefault("Id", "r-a1b2")
        self._check(self.ROOT_ID, root_id, "root Id")
        root.setdefault("Arn", f"{arn}:root/{org_id}/{root_id}")
        root.setdefault("Name", "Root")
        root.setdefault("PolicyTypes", [])
        self._members("Root", root)
        self.root = root
        self.parents = {root_id: None}  # every root and OU id -> its parent
        self.children = {root_id: []}  # parent id -> [(child id, ChildType)], in scenario order
        self.ous = {}
        for ou in spec.get("ous", []):
            ou = dict(ou)
            self._check(self.OU_ID, ou.get("Id"), "OU Id")
            if ou["Id"] in self.parents:
                sys.exit(f"cpfixture: organizations: OU {ou['Id']} given twice")
            ou.setdefault("parent", root_id)
            ou.setdefault("Name", ou["Id"])
            ou.setdefault("Arn", f"{arn}:ou/{org_id}/{ou['Id']}")
            self.ous[ou["Id"]] = ou
            self.parents[ou["Id"]] = ou["parent"]
            self.children[ou["Id"]] = []
        for ou in self.ous.values():  # parents known and no cycles: every chain ends at the root
            seen, node = set(), ou["Id"]
            while node != root_id:
                if node not in self.parents or node in seen:
                    sys.exit(f"cpfixture: organizations: OU {ou['Id']} does not lead to the root"
                             f" (parent {node!r})")
                seen.add(node)
                node = self.parents[node]
            self.children[ou["parent"]].append((ou["Id"], "ORGANIZATIONAL_UNIT"))
        statuses = self.model.shape_for("AccountStatus").enum
        methods = self.model.shape_for("AccountJoinedMethod").enum
        self.accounts, self.parent_of = [], {}
        for acct in spec.get("accounts", []):
            acct = dict(acct)
            acct_id = str(acct.get("Id"))
            self._check(self.ACCOUNT_ID, acct_id, "account Id")
            if acct_id in self.parent_of:
                sys.exit(f"cpfixture: organizations: account {acct_id} given twice")
            parent = acct.pop("parent", root_id)
            if parent not in self.children:
                sys.exit(f"cpfixture: organizations: account {acct_id}: unknown parent {parent}")
            acct["Id"] = acct_id
            acct.setdefault("Arn", f"{arn}:account/{org_id}/{acct_id}")
            acct.setdefault("Email", f"aws+{acct_id}@example.com")
            acct.setdefault("Name", f"account-{acct_id}")
            acct.setdefault("Status", "ACTIVE")
            acct.setdefault("JoinedMethod", "CREATED")
            acct["JoinedTimestamp"] = epoch_of(acct.get("JoinedTimestamp", 1577836800),
                                               f"account {acct_id} JoinedTimestamp")
            if acct["Status"] not in statuses or acct["JoinedMethod"] not in methods:
                sys.exit(f"cpfixture: organizations: account {acct_id}: Status must be one of"
                         f" {statuses}, JoinedMethod one of {methods}")
            self._members("Account", acct)
            self.accounts.append(acct)
            self.parent_of[acct_id] = parent
            self.children[parent].append((acct_id, "ACCOUNT"))
        master_entry = next((a for a in self.accounts if a["Id"] == master), {})
        org.setdefault("Arn", f"{arn}:organization/{org_id}")
        org.setdefault("FeatureSet", "ALL")
        org.setdefault("MasterAccountArn", f"{arn}:account/{org_id}/{master}")
        org.setdefault("MasterAccountEmail", master_entry.get("Email", f"aws+{master}@example.com"))
        org.setdefault("AvailablePolicyTypes", [{"Type": "SERVICE_CONTROL_POLICY",
                                                 "Status": "ENABLED"}]
                       if org["FeatureSet"] == "ALL" else [])
        self._members("Organization", org)
        self.org = org

    @staticmethod
    def _check(regex, value, what):
        if not isinstance(value, str) or not regex.fullmatch(value):
            sys.exit(f"cpfixture: organizations: {what} {value!r} does not match {regex.pattern}")

    def _members(self, shape, value):
        unknown = set(value) - set(self.model.shape_for(shape).members)
        if unknown:
            warn(f"organizations: {shape} has members not in the model: {sorted(unknown)}")

    @staticmethod
    def invalid(reason, message):
        return error("InvalidInputException", message, Reason=reason)

    def answer(self, op, params):
        """The built-in answer of an operation (a RESPONSE), None for one not served."""
        if op == "DescribeOrganization":
            return {"body": {"Organization": self.org}}
        size = max_results(params, "MaxResults", 1, self.PAGE, self.invalid)
        if isinstance(size, dict):
            return size
        if op == "ListAccounts":
            return self._page(op, "Accounts", self.accounts, params, size)
        if op == "ListRoots":
            return self._page(op, "Roots", [self.root], params, size)
        if op not in ("ListAccountsForParent", "ListChildren"):
            return None
        parent = params.get("ParentId")
        if parent is None:
            return self.invalid("INPUT_REQUIRED", "You must specify a value for ParentId.")
        if not isinstance(parent, str) or not (self.ROOT_ID.fullmatch(parent) or
                                               self.OU_ID.fullmatch(parent)):
            return self.invalid("INVALID_PATTERN", f"ParentId {parent!r} is neither a root id"
                                " (r-...) nor an OU id (ou-...-...).")
        child_types = self.model.shape_for("ChildType").enum
        if op == "ListChildren" and params.get("ChildType") not in child_types:
            if params.get("ChildType") is None:
                return self.invalid("INPUT_REQUIRED", "You must specify a value for ChildType.")
            return self.invalid("INVALID_ENUM", f"ChildType {params['ChildType']!r} is not one"
                                f" of {', '.join(child_types)}.")
        if parent not in self.children:
            return error("ParentNotFoundException",
                         "We can't find a root or OU with the ParentId that you specified.")
        if op == "ListChildren":
            kind = params["ChildType"]
            items = [{"Id": i, "Type": t} for i, t in self.children[parent] if t == kind]
            return self._page(f"{op}/{parent}/{kind}", "Children", items, params, size)
        items = [a for a in self.accounts if self.parent_of[a["Id"]] == parent]
        return self._page(f"{op}/{parent}", "Accounts", items, params, size)

    def _page(self, scope, key, items, params, size):
        got = self.pager.page(scope, items, params.get("NextToken"), size or self.PAGE)
        if got is None:
            return self.invalid("INVALID_NEXT_TOKEN", "You specified an invalid value for"
                                " nextToken. You must get the value from the response to a"
                                " previous call to the API.")
        page, token = got
        body = {key: page}
        if token is not None:
            body["NextToken"] = token
        return {"body": body}


# ---- AWS Control Tower ----------------------------------------------------------------------

class LandingZones:
    """The "controltower" section: landing zones in wire form (LandingZoneDetail), each in the
    home region its ARN names."""

    ARN = re.compile(r"arn:(aws[a-z-]*):controltower:([a-z0-9-]+):(\d{12}):"
                     r"landingzone/[0-9A-Za-z]+")
    # Top-level manifest keys of the landing zone schemas: (allowed, required) per major version.
    MANIFEST_KEYS = {
        3: ({"governedRegions", "organizationStructure", "centralizedLogging", "securityRoles",
             "accessManagement", "backup"},
            {"organizationStructure", "centralizedLogging", "securityRoles"}),
        4: ({"governedRegions", "centralizedLogging", "securityRoles", "accessManagement",
             "backup", "config"}, set()),
    }

    def __init__(self, spec, scn, svc):
        self.pager = scn.pager
        statuses = svc.model.shape_for("LandingZoneStatus").enum
        drifts = svc.model.shape_for("LandingZoneDriftStatus").enum
        self.zones = []
        for lz in spec.get("landing_zones", []):
            lz = dict(lz)
            m = self.ARN.fullmatch(str(lz.get("arn")))
            if not m:
                sys.exit(f"cpfixture: controltower: landing zone arn {lz.get('arn')!r} does not"
                         f" match {self.ARN.pattern}")
            version = str(lz.get("version", ""))
            if not re.fullmatch(r"\d+\.\d+", version) or not isinstance(lz.get("manifest"), dict):
                sys.exit(f"cpfixture: controltower: {lz['arn']}: needs a version (\"3.3\") and a"
                         " manifest (a JSON object)")
            lz.setdefault("latestAvailableVersion", version)
            lz.setdefault("status", "ACTIVE")
            lz.setdefault("driftStatus", {"status": "IN_SYNC"})
            if lz["status"] not in statuses or lz["driftStatus"].get("status") not in drifts:
                sys.exit(f"cpfixture: controltower: {lz['arn']}: status must be one of {statuses},"
                         f" driftStatus {{\"status\": one of {drifts}}}")
            unknown = set(lz) - set(svc.model.shape_for("LandingZoneDetail").members)
            if unknown:
                warn(f"controltower: {lz['arn']}: members not in the model: {sorted(unknown)}")
            allowed, required = self.MANIFEST_KEYS.get(int(version.split(".")[0]), (None, set()))
            keys = set(lz["manifest"])
            if allowed is not None and (keys - allowed or required - keys):
                warn(f"controltower: {lz['arn']}: a {version} manifest with unexpected keys"
                     f" {sorted(keys - allowed)} or without {sorted(required - keys)}")
            self.zones.append((m.group(2), lz))

    def answer(self, op, params, region):
        here = [lz for home, lz in self.zones if home == region]
        if op == "GetLandingZone":
            ident = params.get("landingZoneIdentifier")
            if not ident:
                return error("ValidationException", "1 validation error detected: Value null at"
                             " 'landingZoneIdentifier' failed to satisfy constraint: Member must"
                             " not be null")
            found = next((lz for lz in here if lz["arn"] == ident), None)
            if found is None:
                return error("ResourceNotFoundException", f"Landing zone {ident} not found.")
            return {"body": {"landingZone": found}}
        if op != "ListLandingZones":
            return None

        def fail(_, message):
            return error("ValidationException", message)
        size = max_results(params, "maxResults", 1, 1, fail)
        if isinstance(size, dict):
            return size
        got = self.pager.page(f"{op}/{region}", [{"arn": lz["arn"]} for lz in here],
                              params.get("nextToken"), 1)
        if got is None:
            return error("ValidationException", "The nextToken is not valid.")
        body = {"landingZones": got[0]}
        if got[1] is not None:
            body["nextToken"] = got[1]
        return {"body": body}


class Rule:
    def __init__(self, spec):
        if "respond" not in spec:
            spec = {"respond": spec}
        self.match = spec.get("match", {})
        steps = spec["respond"] if isinstance(spec["respond"], list) else [spec["respond"]]
        self.steps = [s for s in steps for _ in range(int(s.get("times", 1)))]
        self.count = 0

    def matches(self, params):
        return all(k in params and (params[k] == v or str(params[k]) == str(v))
                   for k, v in self.match.items())

    def next(self):
        """Returns (response, attempt number); the last response repeats."""
        self.count += 1
        return self.steps[min(self.count, len(self.steps)) - 1], self.count


class Scenario:
    def __init__(self, path, session):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.region = data.get("region", "us-east-1")
        self.account = data.get("account", "111122223333")
        self.check_clock = data.get("check_clock", True)
        self.creds = {ak: dict(v) for ak, v in data.get("credentials", {}).items()}
        self.imds = data.get("imds", {})
        self.container = data.get("container", {})
        self.services = {name: Service(session, name) for name in SERVICES}
        self.pager = Pager()
        self.org = Organization(data["organizations"], self, self.services["organizations"]) \
            if "organizations" in data else None
        self.landing_zones = LandingZones(data["controltower"], self,
                                          self.services["controltower"]) \
            if "controltower" in data else None
        self.s3 = Service(session, "s3")  # not in services: S3 is routed by elimination
        self.buckets = data.get("s3", {}).get("buckets", {})
        for name, spec in self.buckets.items():
            if str(spec.get("redirect", "301")) not in ("301", "400"):
                sys.exit(f"cpfixture: bucket '{name}': redirect must be \"301\" or \"400\"")
        self.bucket_requests = {}  # bucket -> requests seen (for moving buckets)
        self.started = time.time()  # LastModified of every object
        self.rules = {}
        for key, spec in data.get("operations", {}).items():
            svc, _, op = key.partition(".")
            self._check_operation(svc, op)
            self.rules[(svc, op)] = [Rule(s) for s in (spec if isinstance(spec, list) else [spec])]
            for rule in self.rules[(svc, op)]:
                for step in rule.steps:
                    self._check_body(svc, op, step.get("body"))
                    self._register_credentials(step.get("body"))
        for section in (self.imds, self.container):
            self._register_credentials(section.get("credentials"))
        self.lock = threading.Lock()
        self.imds_tokens = {}  # token -> expiry (epoch)

    def _check_operation(self, svc, op):
        if svc in LOCAL_OPS:
            ok = op in LOCAL_OPS[svc]
        else:
            ok = svc in self.services and op in self.services[svc].model.operation_names
        if not ok:
            sys.exit(f"cpfixture: scenario names unknown operation '{svc}.{op}'")

    def _check_body(self, svc, op, body):
        if svc not in self.services or not isinstance(body, dict):
            return
        shape = self.services[svc].output_shape(op)
        unknown = set(body) - set(shape.members if shape else ()) - \
            NEWER_MEMBERS.get((svc, op), set())
        if unknown:
            warn(f"{svc}.{op} body has members not in the model: {sorted(unknown)}")

    def _register_credentials(self, node):
        """Credentials the fixture hands out are credentials it accepts."""
        if isinstance(node, list):
            for item in node:
                self._register_credentials(item)
        elif isinstance(node, dict):
            if "AccessKeyId" in node and "SecretAccessKey" in node:
                token = node.get("SessionToken", node.get("Token"))
                self.creds.setdefault(node["AccessKeyId"],
                                      {"secret": node["SecretAccessKey"], "token": token})
            for value in node.values():
                self._register_credentials(value)

    def bucket_region(self, name):
        """The region a bucket is in for this request (a list: the next, the last repeating)."""
        regions = self.buckets[name].get("region", self.region)
        if isinstance(regions, str):
            return regions
        with self.lock:
            n = self.bucket_requests[name] = self.bucket_requests.get(name, 0) + 1
        return regions[min(n, len(regions)) - 1]

    def pick(self, svc, op, params):
        """Returns (response, rule index, attempt); response None = built-in behaviour."""
        with self.lock:
            for i, rule in enumerate(self.rules.get((svc, op), [])):
                if rule.matches(params):
                    resp, attempt = rule.next()
                    return (None if resp.get("default") else resp), i, attempt
        return None, None, None


def with_expiration(creds):
    """Copy of a credentials dict with Expiration filled in and expires_in dropped."""
    out = {k: v for k, v in creds.items() if k != "expires_in"}
    out.setdefault("Expiration", iso8601(time.time() + creds.get("expires_in", 3600)))
    return out


def expand_credentials(node):
    """Fill in Expiration of every credentials dict inside a response body."""
    if isinstance(node, list):
        return [expand_credentials(v) for v in node]
    if isinstance(node, dict):
        if "AccessKeyId" in node and "SecretAccessKey" in node:
            node = with_expiration(node)
        return {k: expand_credentials(v) for k, v in node.items()}
    return node


# ---- XML rendering of botocore-shaped values, using the model's element names -------------

def xml_members(shape, value):
    """The child elements of a structure value (shape None: not in the model, use the keys)."""
    out = []
    for key, v in value.items():
        member = shape.members.get(key) if shape is not None else None
        if member is None:
            out.append(xml_value(None, v, key))
        elif member.type_name == "list" and member.serialization.get("flattened"):
            item_name = member.member.serialization.get("name", key)
            out.extend(xml_value(member.member, item, item_name) for item in v)
        else:
            out.append(xml_value(member, v, member.serialization.get("name", key)))
    return "".join(out)


def xml_value(shape, value, name):
    kind = shape.type_name if shape is not None else None
    if kind == "structure" or (kind is None and isinstance(value, dict)):
        inner = xml_members(shape, value)
    elif kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        inner = "".join(xml_value(shape.member, v, item_name) for v in value)
    elif kind is None and isinstance(value, list):  # unmodelled list: repeat the element
        return "".join(xml_value(None, v, name) for v in value)
    elif kind == "map":
        inner = "".join(f"<entry><key>{escape(str(k))}</key><value>{xml_scalar(None, v)}"
                        f"</value></entry>" for k, v in value.items())
    else:
        inner = xml_scalar(shape, value)
    return f"<{name}>{inner}</{name}>"


def xml_scalar(shape, value):
    kind = shape.type_name if shape is not None else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "timestamp" and isinstance(value, (int, float)):
        return iso8601(value)
    if kind == "blob" and isinstance(value, str):
        return base64.b64encode(value.encode()).decode()
    return escape(str(value))


# ---- SigV4 verification ---------------------------------------------------------------------

class ReceivedSigV4(SigV4Auth):
    """botocore's SigV4 computed over exactly the headers the client listed as signed."""

    def __init__(self, credentials, service, region, signed):
        super().__init__(credentials, service, region)
        self.signed = signed

    def headers_to_sign(self, request):
        picked = HTTPHeaders()
        for name in self.signed:
            for value in request.headers.get_all(name) or []:
                picked[name] = value
        return picked


class ReceivedS3SigV4(ReceivedSigV4, S3SigV4Auth):
    """The same for S3: botocore's S3 rules (the path is signed as sent, not normalised)."""


def canonical_query(raw_query):
    """The query as AWS canonicalises it: decode each name and value, encode per RFC 3986."""
    pairs = [p.partition("=") for p in raw_query.split("&") if p]
    return "&".join(quote(unquote(k), safe="-_.~") + "=" + quote(unquote(v), safe="-_.~")
                    for k, _, v in pairs)


def verify_sigv4(scn, method, path, headers, body, svc, region, info):
    """Checks a request's SigV4 signature: returns (auth kind, detail) and puts what the log may
    show (access_key, token_present, signed_headers, region) into info. region None (S3) accepts
    the scope's region: S3 compares it with the bucket's itself."""
    auth = headers.get("Authorization")
    token = headers.get("X-Amz-Security-Token")
    info["token_present"] = token is not None
    if auth is None:
        return "missing", "no Authorization header"
    m = AUTH_RE.match(auth.strip())
    if not m:
        return "malformed", "unparsable Authorization header"
    ak, day, scope_region, scope_service, signed, signature = m.groups()
    signed = signed.split(";")
    info.update(access_key=ak, signed_headers=signed, region=scope_region)
    entry = scn.creds.get(ak)
    amz_date = headers.get("X-Amz-Date", "")
    if entry is None:
        return "unknown_key", f"unknown access key {ak}"
    if entry.get("token") != token:
        return "bad_token", "session token missing or wrong"
    if entry.get("expired"):
        return "expired_token", "credentials marked expired"
    if scope_service != svc.signing_name:
        return "scope", f"Credential should be scoped to correct service: '{svc.signing_name}'."
    if region is not None and scope_region != region:
        return "scope", f"Credential should be scoped to a valid region, not '{scope_region}'."
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date) or amz_date[:8] != day:
        return "signature", "X-Amz-Date missing or not matching the credential scope date"
    if "host" not in signed:
        return "signature", "the host header must be signed"
    s3 = svc.protocol == "rest-xml"
    sha = headers.get("X-Amz-Content-SHA256")
    if s3 and sha is None:
        return "signature", "S3 requires the x-amz-content-sha256 header"
    if sha is not None and not (s3 and sha == "UNSIGNED-PAYLOAD") and \
            sha != hashlib.sha256(body).hexdigest():
        return "signature", "X-Amz-Content-SHA256 does not match the body"
    if scn.check_clock:
        sent = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if abs(time.time() - sent) > MAX_SKEW:
            return "skew", f"Signature expired: {amz_date} is more than 15 minutes from now."
    parts = urlsplit(path)
    request = AWSRequest(method=method, headers=headers, data=body,
                         url=f"http://fixture{parts.path}?{canonical_query(parts.query)}")
    request.context["timestamp"] = amz_date
    signer = (ReceivedS3SigV4 if s3 else ReceivedSigV4)(
        Credentials(ak, entry["secret"], token), scope_service, scope_region, signed)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if expected != signature:
        return "signature", "signature mismatch; canonical request was:\n" + canonical
    return "ok", ""


# ---- HTTP handling --------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cpfixture"
    # Buffered: headers and body leave in one write. Unbuffered, they were two segments, and on
    # a kept-alive connection the second waited for the client's delayed ACK (~40 ms a request).
    wbufsize = -1

    def log_message(self, *args):  # the JSON log replaces the access log
        pass

    def do_GET(self):
        self.handle_any()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    # -- dispatch

    def handle_any(self):
        scn = self.server.scenario
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.svc = self.op = None
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
        self.record = {"time": now.replace("+00:00", "Z"), "client": self.client_address[0],
                       "method": self.command, "path": urlsplit(self.path).path,
                       "service": None, "operation": None, "params": {}, "region": None,
                       "access_key": None, "token_present": None, "signed_headers": None,
                       "auth": "none",
                       "sig_ok": None, "rule": None, "attempt": None, "status": None,
                       "error": None}
        self.logged = False
        try:
            path = urlsplit(self.path).path
            if path.startswith("/latest/"):
                self.handle_imds(scn, path)
            elif scn.container.get("path") and path == scn.container["path"]:
                self.handle_container(scn)
            else:
                self.handle_api(scn)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timeout)
        except Exception as exc:  # a fixture bug: say so loudly, answer 500
            traceback.print_exc()
            self.record["error"] = f"cpfixture internal error: {exc!r}"
            if self.record["status"] is None:
                self.svc = None
                self.send_plain(500, f"cpfixture internal error: {exc!r}")
        finally:
            self.write_record()

    def write_record(self):
        """Log the request once, before the client can see the answer."""
        if not self.logged:
            self.logged = True
            self.server.write_log(self.record)

    def handle_api(self, scn):
        target = self.headers.get("X-Amz-Target")
        parts = urlsplit(self.path)
        bad_body = None  # why the body could not be read, answered once the request is verified
        if target:
            prefix, _, op = target.rpartition(".")
            svc = next((s for s in scn.services.values() if s.target_prefix == prefix), None)
            try:
                params = json.loads(self.body or b"{}")
                if not isinstance(params, dict):
                    raise ValueError("the body is not a JSON object")
            except ValueError as e:
                params, bad_body = {}, str(e)
        else:
            form = self.body.decode("utf-8", "replace") \
                if "x-www-form-urlencoded" in self.headers.get("Content-Type", "") else ""
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            params.update(parse_qsl(form, keep_blank_values=True))
            if "Action" in params:
                op = params["Action"]
                svc = next((s for s in scn.services.values() if s.protocol in ("query", "ec2")
                            and s.api_version == params.get("Version")), None)
            else:
                routed = self.route_rest(scn, parts)
                if routed is None:
                    return self.handle_s3(scn, parts)
                svc, op, from_path = routed
                pairs = parse_qsl(parts.query, keep_blank_values=True)
                try:
                    params = svc.rest_params(op, from_path, pairs, self.headers, self.body)
                except ValueError as e:
                    params, bad_body = from_path, str(e)
        if svc is None:
            self.record["error"] = "UnknownService"
            return self.send_plain(400, f"cpfixture: cannot tell the service of {target or parts}")
        self.svc, self.op = svc, op
        self.record.update(service=svc.name, operation=op, params=redact(params))
        if op not in svc.model.operation_names:
            code = "UnknownOperationException" if svc.protocol == "json" else "InvalidAction"
            return self.send_error_response({"error": code, "message": f"unknown operation {op}"})

        region = self.target_region(scn, svc, parts.path)
        if svc.name in GLOBAL_SIGNING_REGIONS:
            region = GLOBAL_SIGNING_REGIONS[svc.name].get(partition(region), region)
        kind, detail = verify_sigv4(scn, self.command, self.path, self.headers, self.body, svc,
                                    region, self.record)
        if kind == "missing" and (svc.name, op) in UNSIGNED_OK:
            kind = "unsigned"
        self.record.update(region=region, auth=kind,
                           sig_ok=None if kind in ("missing", "unsigned") else kind == "ok")
        if kind not in ("ok", "unsigned"):
            warn(f"{svc.name}.{op}: authentication failed ({kind}): {detail}")
            codes, message = AUTH_ERRORS[kind]
            status, code = codes[svc.protocol]
            if kind in ("scope", "skew"):
                message = detail
            return self.send_error_response({"error": code, "message": message,
                                             "status": status})
        if bad_body is not None:
            return self.send_error_response({"error": "SerializationException",
                                             "message": f"cannot read the request: {bad_body}"})

        resp, self.record["rule"], self.record["attempt"] = scn.pick(svc.name, op, params)
        if resp is None:
            if (svc.name, op) == ("sts", "GetCallerIdentity"):
                ak = self.record["access_key"]
                entry = scn.creds.get(ak, {})
                resp = {"body": {"UserId": entry.get("user_id", ak), "Account": scn.account,
                                 "Arn": entry.get("arn", f"arn:aws:iam::{scn.account}:user/{ak}")}}
            elif svc.name == "organizations" and scn.org is not None:
                resp = scn.org.answer(op, params)
            elif svc.name == "controltower" and scn.landing_zones is not None:
                resp = scn.landing_zones.answer(op, params, region)
            if resp is None:
                warn(f"no response for {svc.name}.{op} {json.dumps(redact(params))}")
                resp = {"error": "NotImplemented", "status": 501,
                        "message": f"cpfixture: no response for {svc.name}.{op} in the scenario"}
        self.respond(resp)

    def route_rest(self, scn, parts):
        """(service, operation, members from the path) of a REST-JSON request, by its method and
        path (after a leading region segment) as the models give them; None: not one (S3).
        When two services have the route, the Host's service name decides, then the service
        the credential scope names. A request signed for S3 is S3's."""
        path = parts.path
        segments = path.split("/", 2)
        if len(segments) == 3 and REGION_RE.fullmatch(segments[1]):
            path = "/" + segments[2]
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        found = []
        for svc in scn.services.values():
            hit = svc.route(self.command, path, pairs) if svc.routes else None
            if hit is not None:
                found.append((svc, *hit))
        if not found:
            return None
        scope = re.search(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/",
                          self.headers.get("Authorization") or "")
        scope = scope.group(1) if scope else None
        if scope == scn.s3.signing_name:
            return None
        host = (self.headers.get("Host") or "").split(".")[0]
        found.sort(key=lambda f: (f[0].endpoint_prefix != host, f[0].signing_name != scope))
        return found[0]

    def target_region(self, scn, svc, path):
        host = (self.headers.get("Host") or "").split(":")[0]
        m = re.fullmatch(r"([a-z0-9-]+)\.([a-z0-9-]+)\.amazonaws\.com", host)
        if m and REGION_RE.fullmatch(m.group(2)):
            return m.group(2)
        if host == f"{svc.name}.amazonaws.com":  # global endpoint, e.g. sts.amazonaws.com
            return "us-east-1"
        first = path.strip("/").split("/")[0]
        if REGION_RE.fullmatch(first):
            return first
        return scn.region

    # -- S3 (path style)

    def handle_s3(self, scn, parts):
        bucket, _, key = parts.path[1:].partition("/")
        bucket, key = unquote(bucket), unquote(key)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        verb = self.command.capitalize()
        if key:
            op = verb + "Object"
        elif not bucket:
            op = "ListBuckets"
        elif self.command == "GET" and query.get("list-type") == "2":
            op = "ListObjectsV2"
        else:
            op = verb + "Bucket"
        params = dict({"Bucket": bucket, "Key": key} if key else {"Bucket": bucket}, **query)
        self.record.update(service="s3", operation=op, params=redact(params))
        kind, detail = verify_sigv4(scn, self.command, self.path, self.headers, self.body, scn.s3,
                                    None, self.record)
        self.record.update(auth=kind, sig_ok=None if kind == "missing" else kind == "ok")
        if kind != "ok":
            warn(f"s3.{op}: authentication failed ({kind}): {detail}")
            status, code = S3_AUTH_ERRORS[kind]
            message = AUTH_ERRORS[kind][1] if kind not in ("scope", "skew") else detail
            return self.s3_error(status, code, message)
        spec = scn.buckets.get(bucket)
        if spec is None:
            return self.s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                                 BucketName=bucket)
        where, signed_for = scn.bucket_region(bucket), self.record["region"]
        if where != signed_for:
            return self.s3_wrong_region(spec, bucket, where, signed_for)
        objects = spec.get("objects", {})
        if op == "HeadBucket":
            return self.s3_send(200, b"", {"x-amz-bucket-region": where})
        if op == "ListObjectsV2":
            return self.s3_list(scn, bucket, objects, query)
        if op in ("GetObject", "HeadObject"):
            if key not in objects:
                return self.s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
            data = objects[key].encode()
            return self.s3_send(200, data, {"ETag": f'"{hashlib.md5(data).hexdigest()}"',
                                            "Last-Modified": formatdate(scn.started, usegmt=True)},
                                "application/octet-stream")
        return self.s3_error(501, "NotImplemented",
                             f"cpfixture serves GetObject, HeadObject, HeadBucket and ListObjectsV2"
                             f" only, not {op}")

    def s3_wrong_region(self, spec, bucket, where, signed_for):
        """What S3 answers to a request signed for the wrong region, per the bucket's spec."""
        hint = spec.get("hint", True)
        header = {"x-amz-bucket-region": where} if hint else {}
        if str(spec.get("redirect", "301")) == "400":
            if self.command == "HEAD":  # no body for <Region>: S3 names it in the header
                self.record["error"] = "AuthorizationHeaderMalformed"
                return self.s3_send(400, b"", header)
            message = "The authorization header is malformed; the region " \
                f"'{signed_for}' is wrong; expecting '{where}'"
            extra = {"Region": where} if hint else {}
            return self.s3_error(400, "AuthorizationHeaderMalformed", message, **extra)
        endpoint = f"{bucket}.s3.{where}.amazonaws.com" if hint else f"{bucket}.s3.amazonaws.com"
        return self.s3_error(301, "PermanentRedirect", S3_REDIRECT_MESSAGE, header,
                             Endpoint=endpoint, Bucket=bucket)

    def s3_list(self, scn, bucket, objects, query):
        """ListObjectsV2 over the scenario's objects; the continuation token is the last key."""
        if "delimiter" in query:
            return self.s3_error(501, "NotImplemented", "cpfixture lists without delimiter only")
        try:
            max_keys = int(query.get("max-keys", "1000"))
            token = query.get("continuation-token")
            after = base64.urlsafe_b64decode(token).decode() if token is not None \
                else query.get("start-after", "")
        except ValueError as e:
            return self.s3_error(400, "InvalidArgument", f"bad listing parameter: {e}")
        prefix = query.get("prefix", "")
        url = query.get("encoding-type") == "url"

        def enc(text):
            return escape(quote_plus(text, safe="/") if url else text)

        keys = sorted((k for k in objects if k.startswith(prefix) and k > after),
                      key=lambda k: k.encode())
        page = keys[:max(0, min(max_keys, 1000))]
        truncated = 0 < len(page) < len(keys)  # max-keys=0: an empty, complete page
        out = [f"<Name>{escape(bucket)}</Name><Prefix>{enc(prefix)}</Prefix>"]
        if token is not None:
            out.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if "start-after" in query:
            out.append(f"<StartAfter>{enc(query['start-after'])}</StartAfter>")
        out.append(f"<KeyCount>{len(page)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>")
        if url:
            out.append("<EncodingType>url</EncodingType>")
        out.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if truncated:
            nxt = base64.urlsafe_b64encode(page[-1].encode()).decode()
            out.append(f"<NextContinuationToken>{nxt}</NextContinuationToken>")
        modified = datetime.datetime.fromtimestamp(scn.started, datetime.timezone.utc)
        stamp = modified.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for k in page:
            data = objects[k].encode()
            out.append(f"<Contents><Key>{enc(k)}</Key><LastModified>{stamp}</LastModified>"
                       f"<ETag>&quot;{hashlib.md5(data).hexdigest()}&quot;</ETag>"
                       f"<Size>{len(data)}</Size><StorageClass>STANDARD</StorageClass></Contents>")
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{S3_NS}">' \
            + "".join(out) + "</ListBucketResult>"
        return self.s3_send(200, body.encode(), {}, "application/xml")

    def s3_error(self, status, code, message, headers=None, **extra):
        """An S3 <Error> document (HEAD: status and headers only, as S3 does)."""
        self.record["error"] = code
        rid = uuid.uuid4().hex[:16].upper()
        fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in extra.items())
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>' \
            f"<Message>{escape(message)}</Message>{fields}<RequestId>{rid}</RequestId>" \
            f"<HostId>{base64.b64encode(uuid.uuid4().bytes).decode()}</HostId></Error>"
        headers = dict(headers or {}, **{"x-amz-request-id": rid})
        return self.s3_send(status, body.encode(), headers)

    def s3_send(self, status, body, headers, ctype="application/xml"):
        headers.setdefault("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        return self.send(status, ctype, body, headers)

    def handle_imds(self, scn, path):
        imds = scn.imds
        role = imds.get("role", "logcanary-role")
        creds_prefix = "/latest/meta-data/iam/security-credentials/"
        if self.command == "PUT" and path == "/latest/api/token":
            op = "GetToken"
        elif self.command != "GET":
            op = None
        elif path in (creds_prefix, creds_prefix.rstrip("/")):
            op = "ListRoles"
        elif path.startswith(creds_prefix):
            op = "GetRoleCredentials"
        elif path == "/latest/meta-data/placement/region":
            op = "GetRegion"
        elif path == "/latest/dynamic/instance-identity/document":
            op = "GetIdentityDocument"
        else:
            op = None
        self.record.update(service="imds", operation=op)
        if op is None:
            return self.send_plain(404 if self.command == "GET" else 405, "Not Found")
        token = self.headers.get("X-aws-ec2-metadata-token")
        self.record["token_present"] = token is not None
        now = time.time()
        if op == "GetToken":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.send_plain(400, "Bad Request")
        else:
            with scn.lock:
                valid = scn.imds_tokens.get(token, 0) > now
            self.record["auth"] = "ok" if valid else "unsigned" if token is None else "bad_token"
            if not valid and (token is not None or not imds.get("allow_v1", False)):
                return self.send_plain(401, "Unauthorized")
        resp, self.record["rule"], self.record["attempt"] = scn.pick("imds", op, {"path": path})
        if resp is None:
            if op == "GetToken":
                new = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
                with scn.lock:
                    scn.imds_tokens[new] = now + int(ttl)
                resp = {"raw": new, "headers": {"X-aws-ec2-metadata-token-ttl-seconds": ttl}}
            elif op == "ListRoles":
                resp = {"raw": role}
            elif op == "GetRoleCredentials" and path[len(creds_prefix):] == role:
                body = {"Code": "Success", "LastUpdated": iso8601(now), "Type": "AWS-HMAC"}
                body.update(with_expiration(imds.get("credentials", {})))
                resp = {"body": body}
            elif op == "GetRegion":
                resp = {"raw": imds.get("region", scn.region)}
            elif op == "GetIdentityDocument":
                resp = {"body": {"accountId": scn.account, "region": imds.get("region", scn.region),
                                 "instanceId": "i-0123456789abcdef0", "architecture": "x86_64"}}
            else:
                resp = {"status": 404, "raw": "Not Found"}
        elif op == "GetToken" and "raw" in resp:
            with scn.lock:  # a scripted token is a valid token
                scn.imds_tokens[resp["raw"]] = now + int(ttl)
        self.respond(resp)

    def handle_container(self, scn):
        self.record.update(service="container", operation="GetCredentials")
        want = scn.container.get("authorization")
        got = self.headers.get("Authorization")
        self.record["token_present"] = got is not None
        if self.command != "GET":
            return self.send_plain(405, "Method Not Allowed")
        if want is not None and got != want:
            self.record["auth"] = "bad_token"
            return self.send_plain(401, json.dumps({"code": "AccessDeniedException",
                                                    "message": "Unauthorized"}))
        self.record["auth"] = "ok" if want is not None else "unsigned"
        resp, self.record["rule"], self.record["attempt"] = scn.pick("container", "GetCredentials",
                                                                     {})
        if resp is None:
            resp = {"body": with_expiration(scn.container.get("credentials", {}))}
        self.respond(resp)

    # -- responses

    def respond(self, resp):
        if resp.get("delay"):
            time.sleep(float(resp["delay"]))
        if resp.get("reset"):
            self.record["status"] = "reset"
            self.write_record()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return None
        if "error" in resp:
            return self.send_error_response(resp)
        svc = self.svc
        status = resp.get("status", svc.model.operation_model(self.op).http.get("responseCode", 200)
                          if svc is not None and svc.protocol == "rest-json" else 200)
        headers = dict(resp.get("headers", {}))
        if "raw" in resp:
            body = resp["raw"].encode() if isinstance(resp["raw"], str) else bytes(resp["raw"])
            ctype = resp.get("content_type", self.content_type())
        elif svc is None:  # imds / container
            data = resp.get("body", "")
            body = (data if isinstance(data, str) else json.dumps(data, indent=2)).encode()
            ctype = resp.get("content_type", "text/plain" if isinstance(data, str)
                             else "application/json")
        elif svc.protocol in ("json", "rest-json"):
            body = json.dumps(expand_credentials(resp.get("body", {}))).encode()
            ctype = self.content_type()
        else:
            body = self.render_query(expand_credentials(resp.get("body", {}))).encode()
            ctype = self.content_type()
        return self.send(status, ctype, body, headers)

    def render_query(self, data):
        svc, op, rid = self.svc, self.op, str(uuid.uuid4())
        shape = svc.output_shape(op)
        root = f"{op}Response"
        if svc.protocol == "ec2":
            inner = f"<requestId>{rid}</requestId>" + xml_members(shape, data)
        else:
            wrapper = shape.serialization.get("resultWrapper", f"{op}Result") \
                if shape else f"{op}Result"
            inner = (xml_value(shape, data, wrapper) if shape else f"<{wrapper}/>") + \
                f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{svc.namespace}">' \
            f"{inner}</{root}>"

    def send_error_response(self, resp):
        svc, rid = self.svc, str(uuid.uuid4())
        code, message = resp["error"], resp.get("message", "")
        rest = svc is not None and svc.protocol == "rest-json"
        status = resp.get("status", (rest and svc.error_status(code)) or 400)
        self.record["error"] = code
        headers = dict(resp.get("headers", {}))
        if rest:  # REST-JSON names the error in a header, the body has the message
            headers.setdefault("x-amzn-ErrorType", resp.get("type", code))
        if "raw" in resp:
            body = resp["raw"]
        elif svc is None:
            body = message or code
        elif svc.protocol == "json":
            body = json.dumps({"__type": resp.get("type", code), svc.message_member(code): message,
                               **resp.get("fields", {})})
        elif rest:
            body = json.dumps({svc.message_member(code): message, **resp.get("fields", {})})
        elif svc.protocol == "ec2":
            body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>' \
                f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>" \
                f"</Errors><RequestID>{rid}</RequestID></Response>"
        else:
            kind = "Receiver" if status >= 500 else "Sender"
            body = f'<ErrorResponse xmlns="{svc.namespace}"><Error><Type>{kind}</Type>' \
                f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>" \
                f"<RequestId>{rid}</RequestId></ErrorResponse>"
        headers.setdefault("x-amzn-RequestId", rid)
        return self.send(status, resp.get("content_type", self.content_type()), body.encode(),
                         headers)

    def content_type(self):
        if self.svc is None:
            return "text/plain"
        return {"json": "application/x-amz-json-1.1",
                "rest-json": "application/json"}.get(self.svc.protocol, "text/xml")

    def send_plain(self, status, text):
        return self.send(status, "text/plain", text.encode(), {})

    def send(self, status, ctype, body, headers):
        self.record["status"] = status
        self.write_record()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if self.svc is not None and "x-amzn-RequestId" not in headers:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()


def redact(params):
    """Request parameters for the log, without secrets (pagination tokens are kept)."""
    return {k: "<redacted>" if SECRET_PARAMS.search(k) and
            k.lower() not in ("nexttoken", "continuation-token") else v
            for k, v in params.items()}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port, scenario, log_path):
        super().__init__(("127.0.0.1", port), Handler)
        self.scenario = scenario
        self.log_lock = threading.Lock()
        self.log = open(log_path, "a", encoding="utf-8") if log_path else None

    def write_log(self, record):
        if self.log is None:
            return
        with self.log_lock:
            self.log.write(json.dumps(record, sort_keys=True) + "\n")
            self.log.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--log")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    scenario = Scenario(args.scenario, lctest.botocore_session())
    server = Server(args.port, scenario, args.log)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
