#!/usr/bin/python3
"""Differential test of logcanary's SigV4 signer against botocore.

Generates a fixed, seeded set of requests like the ones logcanary sends (S3 REST calls on
SSE-KMS buckets; KMS/Config/CloudTrail JSON 1.1 calls; EC2/STS Query calls), signs each with
botocore's S3SigV4Auth or SigV4Auth and with the C signer (sigv4_dump), and compares the wire
path, the canonical query / URL query string, the canonical request, the string to sign, the
signature and every header the signer adds.

Runs under Debian's python3-botocore (/usr/bin/python3), not a pyenv python.

How botocore is driven so both sides see the same request:
- The URL is built with botocore's own request preparation (prepare_request_dict: _urljoin of
  the endpoint and the serialised path, then percent_encode_sequence of the query pairs), and
  S3 keys are encoded the way botocore's rest serialiser encodes a greedy {Key+} label
  (percent_encode(key, safe='/~')). botocore then derives the canonical URI and query from that
  URL (request.params stays empty, as in real botocore requests).
- Subresources such as ?encryption come from the operation's requestUri in botocore, so they
  are put literally into the URL path ("?encryption", no "="); the C side gets them as
  ("encryption", "") and both canonicalise them to "encryption=".
- botocore 1.29's add_auth ignores a pre-set request.context['timestamp']: it overwrites it
  with datetime.datetime.utcnow(). The clock is therefore frozen by replacing the datetime
  module seen by botocore.auth, and the script checks that the frozen value was used.
- No Date header is sent: when one is present botocore rewrites it from the signing time and
  drops X-Amz-Date, while logcanary (and the AWS S3 documentation example) sends and signs both.
"""

import argparse
import base64
import datetime
import difflib
import hashlib
import itertools
import json
import os
import random
import string
import subprocess
import sys
import types
from unittest import mock
from urllib.parse import unquote, urlsplit

import botocore
import botocore.auth
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.utils import percent_encode, percent_encode_sequence

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import lctest  # noqa: E402

SEED = 20240518
N_S3 = 270
N_GENERIC = 170

REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2',
           'ap-northeast-1', 'sa-east-1', 'ca-central-1', 'us-gov-west-1', 'cn-north-1',
           'il-central-1', 'eu-south-2']

# Characters S3 keys are made of: safe ones, every reserved/sub-delim, '%', spaces, UTF-8.
KEY_CHARS = (list(string.ascii_letters + string.digits) * 2 +
             list(" $+~%=&!'()*@:,;?#[]-_.") +
             ['é', 'ü', 'ß', '日本', 'Ω', '🚀', '\u00a0', '漢字'])

SSE_CONTEXT = base64.b64encode(
    json.dumps({'aws:s3:arn': 'arn:aws:s3:::logs-bucket'}).encode()).decode()


def dns_suffix(region):
    return 'amazonaws.com.cn' if region.startswith('cn-') else 'amazonaws.com'


def rand_token(rnd, n, alphabet=string.ascii_letters + string.digits + '+/'):
    return ''.join(rnd.choice(alphabet) for _ in range(n))


def rand_creds(rnd):
    if rnd.random() < 0.5:
        token = rand_token(rnd, rnd.randint(100, 420)) + rnd.choice(['', '=', '=='])
        ak = 'ASIA' + rand_token(rnd, 16, string.ascii_uppercase + string.digits)
    else:
        token = None
        ak = 'AKIA' + rand_token(rnd, 16, string.ascii_uppercase + string.digits)
    return {'access_key_id': ak, 'secret_access_key': rand_token(rnd, 40),
            'session_token': token}


def rand_time(rnd):
    edges = [1369353600,  # 2013-05-24T00:00:00Z (S3 docs)
             1440938160,  # 2015-08-30T12:36:00Z (test suite)
             1709251199,  # 2024-02-29T23:59:59Z
             1735689599,  # 2024-12-31T23:59:59Z
             1735689600,  # 2025-01-01T00:00:00Z
             2051222400]  # 2035-01-01
    if rnd.random() < 0.15:
        return rnd.choice(edges)
    return rnd.randint(1356998400, 2051222400)


def rand_segment(rnd, lo=1, hi=12):
    return ''.join(rnd.choice(KEY_CHARS) for _ in range(rnd.randint(lo, hi)))


def rand_key(rnd):
    style = rnd.random()
    if style < 0.35:
        # CloudTrail / VPC flow log / Config style keys
        acct = ''.join(rnd.choice(string.digits) for _ in range(12))
        svc = rnd.choice(['CloudTrail', 'vpcflowlogs', 'Config', 'CloudTrail-Digest'])
        return (f'AWSLogs/{acct}/{svc}/{rnd.choice(REGIONS)}/2024/0{rnd.randint(1, 9)}/'
                f'{rnd.randint(10, 28)}/{acct}_{svc}_{rand_segment(rnd, 3, 8)}.json.gz')
    if style < 0.45:
        # dot segments and empty segments are part of an S3 key and must survive
        return rnd.choice(['a/./b/../c', '../x', './y', 'a//b', '/leading', 'trailing/',
                           'x/..', '...', 'd/.../e', '//', 'a///b'])
    parts = [rand_segment(rnd) for _ in range(rnd.randint(1, 4))]
    sep = rnd.choice(['/', '/', '//'])
    return sep.join(parts)


def rand_ws(rnd, value):
    """Surround and pad a header value with whitespace the signer must trim/collapse."""
    choice = rnd.random()
    if choice < 0.5:
        return value
    if choice < 0.8:
        return '  ' + value + ' \t '
    return value.replace(' ', '  \t ') + '   '


def common_extra_headers(rnd, headers):
    if rnd.random() < 0.4:
        headers.append(('User-Agent', f'logcanary/0.1 (probe; {rnd.randint(1, 99)})'))
    if rnd.random() < 0.15:
        headers.append(('X-Amzn-Trace-Id', f'Root=1-{rand_token(rnd, 8, "0123456789abcdef")}'))
    if rnd.random() < 0.15:
        headers.append(('X-Amz-Meta-Note', rand_ws(rnd, 'probe  run  ' + str(rnd.randint(0, 9)))))
    if rnd.random() < 0.05:
        headers.append(('X-Amz-Meta-Dup', 'first'))
        headers.append(('x-amz-meta-dup', rand_ws(rnd, 'second  value')))
    if rnd.random() < 0.05:
        headers.append(('X-Amz-Meta-Utf8', 'caf\u00e9'))
    if rnd.random() < 0.05:
        headers.append(('X-Amz-Meta-Empty', rnd.choice(['', '   '])))


# --- S3 ----------------------------------------------------------------------------------

SUBRESOURCES = ['encryption', 'policy', 'versioning', 'location', 'acl', 'logging',
                'notification', 'object-lock', 'lifecycle', 'tagging', 'policyStatus',
                'ownershipControls', 'publicAccessBlock', 'replication']


_subresource_turn = itertools.count()


def s3_endpoint(rnd, region, bucket):
    """(scheme, host, path prefix before the key)."""
    r = rnd.random()
    suffix = dns_suffix(region)
    if r < 0.45:
        return 'https', f'{bucket}.s3.{region}.{suffix}', '/'
    if r < 0.6 and region == 'us-east-1':
        return 'https', f'{bucket}.s3.amazonaws.com', '/'
    if r < 0.8:
        return 'https', f's3.{region}.{suffix}', f'/{bucket}/'
    if r < 0.9:
        return 'http', f'127.0.0.1:{rnd.choice([7480, 9000, 8080])}', f'/{bucket}/'
    return 'https', f'localhost:{rnd.choice([4566, 8443])}', f'/{bucket}/'


def sse_headers(rnd, region, acct):
    h = [('x-amz-server-side-encryption', 'aws:kms')]
    if rnd.random() < 0.7:
        kid = rnd.choice([
            f'arn:aws:kms:{region}:{acct}:key/{rand_uuid(rnd)}',
            f'arn:aws:kms:{region}:{acct}:alias/logs key',
            rand_uuid(rnd)])
        h.append(('x-amz-server-side-encryption-aws-kms-key-id', kid))
    if rnd.random() < 0.5:
        h.append(('x-amz-server-side-encryption-bucket-key-enabled',
                  rnd.choice(['true', 'false'])))
    if rnd.random() < 0.4:
        h.append(('x-amz-server-side-encryption-context', SSE_CONTEXT))
    return h


def rand_uuid(rnd):
    hx = '0123456789abcdef'
    return '-'.join(rand_token(rnd, n, hx) for n in (8, 4, 4, 4, 12))


def gen_s3(rnd, i):
    region = rnd.choice(REGIONS)
    bucket = rnd.choice(['logs-bucket', 'my.dotted.bucket', 'ct-logs-123456789012',
                         'flow-logs-eu'])
    acct = ''.join(rnd.choice(string.digits) for _ in range(12))
    scheme, host, prefix = s3_endpoint(rnd, region, bucket)
    op = rnd.choice(['GetObject', 'GetObject', 'HeadObject', 'PutObject', 'PutObject',
                     'DeleteObject', 'ListObjectsV2', 'ListObjectsV2', 'ListObjectsV2',
                     'Subresource', 'Subresource', 'GetObjectTagging', 'HeadBucket'])
    headers = [('Host', host)]
    query = []           # decoded pairs sent as parameters
    subresource = None   # literal in botocore's requestUri
    key = None
    path = prefix if prefix != '/' else '/'
    body = b''
    payload_hash = None
    method = 'GET'

    if op in ('GetObject', 'HeadObject', 'PutObject', 'DeleteObject', 'GetObjectTagging'):
        key = rand_key(rnd)
    if op == 'GetObject':
        if rnd.random() < 0.5:
            headers.append(('Range', rand_ws(rnd, f'bytes={rnd.randint(0, 99)}-'
                                                  f'{rnd.randint(100, 99999)}')))
        if rnd.random() < 0.2:
            query.append(('versionId', rand_token(rnd, 32, string.ascii_letters + '._')))
        if rnd.random() < 0.1:
            query.append(('partNumber', str(rnd.randint(1, 10))))
        if rnd.random() < 0.2:
            query.append(('response-content-type', 'application/json; charset=utf-8'))
        if rnd.random() < 0.2:
            headers.append(('x-amz-checksum-mode', 'ENABLED'))
    elif op == 'HeadObject':
        method = 'HEAD'
        if rnd.random() < 0.3:
            headers.append(('If-None-Match', '"' + rand_token(rnd, 32, '0123456789abcdef') + '"'))
    elif op == 'PutObject':
        method = 'PUT'
        size = rnd.choice([0, 1, 21, 100, 4096])
        body = bytes(rnd.getrandbits(8) for _ in range(size))
        if rnd.random() < 0.3:
            body = ('{"canary": "logcanary \u2713", "n": %d}\n' % rnd.randint(0, 1 << 30)).encode()
        headers.append(('Content-Type', rnd.choice(['application/octet-stream',
                                                    'application/json',
                                                    'text/plain;  charset=utf-8'])))
        headers.append(('Content-Length', str(len(body))))
        if rnd.random() < 0.7:
            headers.extend(sse_headers(rnd, region, acct))
        if rnd.random() < 0.3:
            headers.append(('Content-MD5',
                            base64.b64encode(hashlib.md5(body).digest()).decode()))
        if rnd.random() < 0.3:
            headers.append(('Expect', '100-continue'))
        if rnd.random() < 0.2:
            headers.append(('x-amz-storage-class', rnd.choice(['STANDARD', 'STANDARD_IA'])))
        if rnd.random() < 0.25:
            payload_hash = 'UNSIGNED-PAYLOAD'
    elif op == 'DeleteObject':
        method = 'DELETE'
        if rnd.random() < 0.3:
            query.append(('versionId', rand_token(rnd, 32)))
    elif op == 'GetObjectTagging':
        subresource = 'tagging'
    elif op == 'ListObjectsV2':
        query.append(('list-type', '2'))
        if rnd.random() < 0.8:
            query.append(('prefix', rnd.choice([
                'AWSLogs/', f'AWSLogs/{acct}/CloudTrail/{region}/2024/05/',
                'a=b/c d/', rand_key(rnd), 'x/y==/', '/', ''])))
        if rnd.random() < 0.4:
            query.append(('start-after', rand_key(rnd)))
        if rnd.random() < 0.4:
            query.append(('continuation-token',
                          '1' + rand_token(rnd, rnd.randint(40, 120)) + rnd.choice(['', '=='])))
        if rnd.random() < 0.4:
            query.append(('delimiter', '/'))
        if rnd.random() < 0.5:
            query.append(('max-keys', str(rnd.choice([1, 2, 100, 1000]))))
        if rnd.random() < 0.3:
            query.append(('encoding-type', 'url'))
        if rnd.random() < 0.2:
            query.append(('fetch-owner', 'true'))
        rnd.shuffle(query)
    elif op == 'Subresource':
        # every subresource at least once, in turn
        subresource = SUBRESOURCES[next(_subresource_turn) % len(SUBRESOURCES)]
    elif op == 'HeadBucket':
        method = 'HEAD'

    if rnd.random() < 0.3:
        headers.append(('x-amz-expected-bucket-owner', acct))
    if rnd.random() < 0.1:
        headers.append(('x-amz-request-payer', 'requester'))
    common_extra_headers(rnd, headers)
    # header names arrive in any case
    headers = [(n.upper() if rnd.random() < 0.05 else n, v) for n, v in headers]

    # botocore: the serialiser encodes a greedy {Key+} label with safe='/~'
    url_path = prefix + (percent_encode(key, safe='/~') if key is not None else '')
    if url_path != '/' and prefix != '/' and key is None:
        url_path = prefix.rstrip('/')  # path-style bucket operation: /bucket
        path = url_path
    if subresource:
        url_path += '?' + subresource
    spec = {'id': f's3-{i:04d}-{op}', 'flavor': 's3', 'method': method, 'region': region,
            'service': 's3', 'time': rand_time(rnd), 'creds': rand_creds(rnd),
            'headers': headers, 'payload_hash': payload_hash,
            'query': ([[subresource, '']] if subresource else []) + [list(p) for p in query]}
    if key is not None:
        spec['path_prefix'] = prefix
        spec['key'] = key
    else:
        spec['path'] = path
    put_body(rnd, spec, body)
    return spec, {'scheme': scheme, 'host': host, 'url_path': url_path, 'query': query,
                  'body': body}


# --- generic services ----------------------------------------------------------------------

JSON_TARGETS = {
    'kms': ('TrentService', ['DescribeKey', 'GetKeyPolicy', 'GetKeyRotationStatus',
                             'ListAliases', 'ListResourceTags']),
    'config': ('StarlingDoveService', ['DescribeDeliveryChannels',
                                       'DescribeDeliveryChannelStatus',
                                       'DescribeConfigurationRecorderStatus']),
    'cloudtrail': ('com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101',
                   ['GetTrailStatus', 'DescribeTrails', 'GetEventSelectors']),
    'logs': ('Logs_20140328', ['DescribeLogGroups', 'DescribeSubscriptionFilters']),
}


def json_body(rnd, service, op, region, acct):
    if service == 'kms':
        d = {'KeyId': rnd.choice([f'arn:aws:kms:{region}:{acct}:key/{rand_uuid(rnd)}',
                                  'alias/aws/s3', rand_uuid(rnd)])}
        if op == 'GetKeyPolicy':
            d['PolicyName'] = 'default'
        if op == 'ListAliases':
            d = {'Limit': 100}
            if rnd.random() < 0.5:
                d['Marker'] = rand_token(rnd, 60)
    elif service == 'cloudtrail':
        d = {'Name': f'arn:aws:cloudtrail:{region}:{acct}:trail/org trail \u00e9'}
        if op == 'DescribeTrails':
            d = {'includeShadowTrails': rnd.choice([True, False])}
    elif service == 'config':
        d = {} if rnd.random() < 0.5 else {'DeliveryChannelNames': ['default']}
    else:
        d = {'logGroupNamePrefix': '/aws/vpc/flow logs'}
    return json.dumps(d, ensure_ascii=rnd.random() < 0.5).encode()


def query_body(rnd, service, region):
    if service == 'ec2':
        pairs = [('Action', 'DescribeFlowLogs'), ('Version', '2016-11-15')]
        for n in range(1, rnd.randint(1, 3) + 1):
            pairs.append((f'FlowLogId.{n}', 'fl-' + rand_token(rnd, 17, '0123456789abcdef')))
        if rnd.random() < 0.5:
            pairs.append(('Filter.1.Name', 'resource-id'))
            pairs.append(('Filter.1.Value.1', 'vpc-' + rand_token(rnd, 17, '0123456789abcdef')))
        if rnd.random() < 0.3:
            pairs.append(('NextToken', rand_token(rnd, 80) + '=='))
    else:
        acct = ''.join(rnd.choice(string.digits) for _ in range(12))
        if rnd.random() < 0.3:
            pairs = [('Action', 'GetCallerIdentity'), ('Version', '2011-06-15')]
        else:
            pairs = [('Action', 'AssumeRole'), ('Version', '2011-06-15'),
                     ('RoleArn', f'arn:aws:iam::{acct}:role/logcanary/reader'),
                     ('RoleSessionName', f'logcanary-{rnd.randint(0, 10**9)}')]
            if rnd.random() < 0.5:
                pairs.append(('ExternalId', rand_token(rnd, 20, string.printable[:94])))
            if rnd.random() < 0.3:
                pairs.append(('DurationSeconds', '3600'))
    return pairs


GENERIC_PATHS = ['/', '/', '/', '/a/./b/../c', '//example//', '/example/..', '/./',
                 '/../..', '/a/b/.', '/a%20b/c%2Fd/', '/%C3%A9t%C3%A9/', '/-_.~/x',
                 '/a/..b/.c/...', '/a//./b/', '/x%2E%2E/..', '/%24%2B%3D%26']


def gen_generic(rnd, i):
    region = rnd.choice(REGIONS)
    suffix = dns_suffix(region)
    acct = ''.join(rnd.choice(string.digits) for _ in range(12))
    kind = rnd.choice(['json', 'json', 'json', 'query-post', 'query-post', 'query-get',
                       'path', 'path'])
    headers = []
    query = []
    body = b''
    method = 'POST'
    path = '/'
    if kind == 'json':
        service = rnd.choice(sorted(JSON_TARGETS))
        prefix, ops = JSON_TARGETS[service]
        op = rnd.choice(ops)
        host = f'{service}.{region}.{suffix}'
        headers = [('Host', host),
                   ('X-Amz-Target', f'{prefix}.{op}'),
                   ('Content-Type', rand_ws(rnd, 'application/x-amz-json-1.1'))]
        body = json_body(rnd, service, op, region, acct)
        if rnd.random() < 0.5:
            headers.append(('Content-Length', str(len(body))))
    elif kind == 'query-post':
        service = rnd.choice(['ec2', 'sts'])
        host = (f'{service}.{region}.{suffix}' if service == 'ec2' or rnd.random() < 0.7
                else 'sts.amazonaws.com')
        headers = [('Host', host),
                   ('Content-Type', 'application/x-www-form-urlencoded; charset=utf-8')]
        body = percent_encode_sequence(query_body(rnd, service, region)).encode()
        op = 'Query'
    elif kind == 'query-get':
        service = rnd.choice(['ec2', 'sts'])
        host = f'{service}.{region}.{suffix}'
        headers = [('Host', host)]
        method = 'GET'
        query = query_body(rnd, service, region)
        if rnd.random() < 0.2:
            # repeated names sort by value
            query += [('Filter.1.Value', 'b'), ('Filter.1.Value', 'a c'), ('Filter.1.Value', 'a')]
        rnd.shuffle(query)
        op = 'QueryGet'
    else:
        service = rnd.choice(['execute-api', 'service', 'es'])
        host = f'{rand_token(rnd, 10, string.ascii_lowercase)}.{service}.{region}.{suffix}'
        headers = [('Host', host)]
        method = rnd.choice(['GET', 'DELETE', 'POST'])
        path = rnd.choice(GENERIC_PATHS)
        if rnd.random() < 0.3:
            query = [('q', rand_segment(rnd)), ('redirect', 'https://x/y?a=b&c=d')]
        op = 'Path'
    common_extra_headers(rnd, headers)
    if rnd.random() < 0.1:
        headers.append(('Expect', '100-continue'))
    spec = {'id': f'gen-{i:04d}-{service}-{op}', 'flavor': 'generic', 'method': method,
            'region': region, 'service': service, 'time': rand_time(rnd),
            'creds': rand_creds(rnd), 'headers': headers, 'payload_hash': None,
            'path': path, 'query': [list(p) for p in query]}
    put_body(rnd, spec, body)
    return spec, {'scheme': 'https', 'host': host, 'url_path': path, 'query': query,
                  'body': body}


def put_body(rnd, spec, body):
    try:
        text = body.decode('utf-8')
        if '\0' in text or rnd.random() < 0.3:
            raise ValueError
        spec['body'] = text
    except ValueError:
        spec['body_b64'] = base64.b64encode(body).decode()


# --- botocore side ---------------------------------------------------------------------------

class _Recorder:
    """Mixin keeping what botocore computed while add_auth runs."""

    def canonical_request(self, request):
        self.last_cr = super().canonical_request(request)
        return self.last_cr

    def string_to_sign(self, request, canonical_request):
        self.last_sts = super().string_to_sign(request, canonical_request)
        return self.last_sts

    def signature(self, string_to_sign, request):
        self.last_sig = super().signature(string_to_sign, request)
        return self.last_sig


class RecordingS3SigV4Auth(_Recorder, S3SigV4Auth):
    pass


class RecordingSigV4Auth(_Recorder, SigV4Auth):
    pass


def frozen_datetime_module(epoch):
    frozen = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=epoch)

    class FrozenDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return frozen

    return types.SimpleNamespace(datetime=FrozenDatetime)


def botocore_sign(spec, wire):
    request_dict = {'url_path': wire['url_path'], 'query_string': wire['query'],
                    'method': spec['method'], 'headers': {}, 'body': wire['body']}
    prepare_request_dict(request_dict, f"{wire['scheme']}://{wire['host']}")
    request = create_request_object(request_dict)
    # botocore derives Host from the URL; everything else is sent as given (repeats kept)
    for name, value in spec['headers']:
        if name.lower() != 'host':
            request.headers[name] = value
    if spec['payload_hash'] == 'UNSIGNED-PAYLOAD':
        request.context['client_config'] = types.SimpleNamespace(
            s3={'payload_signing_enabled': False})
    c = spec['creds']
    creds = Credentials(c['access_key_id'], c['secret_access_key'], c['session_token'])
    cls = RecordingS3SigV4Auth if spec['flavor'] == 's3' else RecordingSigV4Auth
    signer = cls(creds, spec['service'], spec['region'])
    with mock.patch.object(botocore.auth, 'datetime', frozen_datetime_module(spec['time'])):
        signer.add_auth(request)
    amz_date = (datetime.datetime(1970, 1, 1) +
                datetime.timedelta(seconds=spec['time'])).strftime('%Y%m%dT%H%M%SZ')
    if request.context['timestamp'] != amz_date:
        raise SystemExit(f"botocore_diff: clock not frozen ({request.context['timestamp']} "
                         f"!= {amz_date}); botocore's add_auth changed?")
    return {'url': request.url, 'canonical_request': signer.last_cr,
            'string_to_sign': signer.last_sts, 'signature': signer.last_sig,
            'headers': sorted((n.lower(), v) for n, v in request.headers.items())}


# --- comparison ------------------------------------------------------------------------------

def compare(spec, wire, ours, theirs):
    """List of human-readable differences (empty when equal)."""
    if 'error' in ours:
        return [f"sigv4_dump failed: {ours['error']}"]
    diffs = []
    url = urlsplit(theirs['url'])
    if ours['path'] != url.path:
        diffs.append(f"wire path: logcanary {ours['path']!r} vs botocore {url.path!r}")
    botocore_query = theirs['canonical_request'].split('\n')[2]
    if ours['query_string'] != botocore_query:
        diffs.append(f"URL query: logcanary {ours['query_string']!r} vs botocore canonical "
                     f"{botocore_query!r}")
    # the URL query decodes back to exactly the parameters given
    decoded = []
    if ours['query_string']:
        for pair in ours['query_string'].split('&'):
            n, _, v = pair.partition('=')
            decoded.append((unquote(n), unquote(v)))
    if sorted(decoded) != sorted(tuple(p) for p in spec['query']):
        diffs.append(f"URL query does not decode to the parameters: {decoded!r}")
    if ours['canonical_request'] != theirs['canonical_request']:
        diff = difflib.unified_diff(theirs['canonical_request'].split('\n'),
                                    ours['canonical_request'].split('\n'),
                                    'botocore', 'logcanary', lineterm='')
        diffs.append('canonical request differs:\n    ' + '\n    '.join(diff))
    if ours['string_to_sign'] != theirs['string_to_sign']:
        diffs.append(f"string to sign: logcanary {ours['string_to_sign']!r} vs botocore "
                     f"{theirs['string_to_sign']!r}")
    if ours['signature'] != theirs['signature']:
        diffs.append(f"signature: logcanary {ours['signature']} vs botocore "
                     f"{theirs['signature']}")
    our_headers = sorted((n.lower(), v) for n, v in ours['headers'] if n.lower() != 'host')
    if our_headers != theirs['headers']:
        only_ours = [h for h in our_headers if h not in theirs['headers']]
        only_theirs = [h for h in theirs['headers'] if h not in our_headers]
        diffs.append(f"headers after signing: only logcanary {only_ours!r}, only botocore "
                     f"{only_theirs!r}")
    return diffs


def run_dump(dump, specs):
    data = ''.join(json.dumps(s, ensure_ascii=False) + '\n' for s in specs).encode('utf-8')
    proc = subprocess.run([dump], input=data, stdout=subprocess.PIPE, check=False)
    lines = proc.stdout.decode('utf-8').splitlines()
    if proc.returncode != 0 or len(lines) != len(specs):
        raise SystemExit(f'botocore_diff: sigv4_dump returned {len(lines)} results for '
                         f'{len(specs)} requests (exit {proc.returncode})')
    results = [json.loads(line) for line in lines]
    for spec, res in zip(specs, results):
        if res.get('id') != spec['id']:
            raise SystemExit(f"botocore_diff: result for {res.get('id')!r} where "
                             f"{spec['id']!r} was expected")
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dump', required=True, help='path to the sigv4_dump executable')
    ap.add_argument('--verbose', action='store_true')
    args = ap.parse_args()

    rnd = random.Random(SEED)
    cases = [gen_s3(rnd, i) for i in range(N_S3)]
    cases += [gen_generic(rnd, i) for i in range(N_GENERIC)]

    # Negative control: logcanary is given a header value botocore is not. The comparison must
    # notice, or a broken harness would pass everything.
    control_spec = json.loads(json.dumps(cases[0][0]))
    control_spec['id'] = 'negative-control'
    control_spec['headers'].append(['X-Amz-Meta-Control', 'logcanary'])
    control_wire = dict(cases[0][1])
    control_botocore = json.loads(json.dumps(cases[0][0]))
    control_botocore['headers'].append(['X-Amz-Meta-Control', 'botocore'])

    specs = [c[0] for c in cases] + [control_spec]
    results = run_dump(args.dump, specs)

    control = compare(control_spec, control_wire, results[-1],
                      botocore_sign(control_botocore, control_wire))
    if not control:
        raise SystemExit('botocore_diff: the negative control was not detected; the comparison '
                         'is broken')

    check = lctest.Checks(show_passes=args.verbose)
    for (spec, wire), ours in zip(cases, results):
        theirs = botocore_sign(spec, wire)
        diffs = compare(spec, wire, ours, theirs)
        check(f"{spec['id']}: {spec['method']} {theirs['url']}", not diffs,
              '(mismatch)\n  request: ' + json.dumps(spec, ensure_ascii=False) +
              ''.join('\n  ' + d for d in diffs))

    print(f'botocore_diff: botocore {botocore.__version__}, seed {SEED}: {len(cases)} requests '
          f'compared ({N_S3} S3, {N_GENERIC} generic), {check.failed} mismatches')
    return check.summary()


if __name__ == '__main__':
    sys.exit(main())
