"""Small helpers shared by every kubesim module: time, names, hashing, JSON, Status errors."""
import json
import random
import re
import time
from datetime import datetime, timezone

# Alphabet used by apimachinery's rand.String / SafeEncodeString (no vowels, no 0/1/3).
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(obj):
    """Compact JSON as the apiserver writes it, as bytes."""
    return _dumps(obj).encode("utf-8")


def clone(obj):
    """Deep copy of a JSON-shaped value (faster than copy.deepcopy for our dicts)."""
    return json.loads(_dumps(obj))


def now_iso(ts=None):
    """RFC 3339 with second precision, like metav1.Time."""
    if ts is None:
        ts = time.time()
    return datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro(ts=None):
    """RFC 3339 with microseconds, like metav1.MicroTime (leases, events.k8s.io)."""
    if ts is None:
        ts = time.time()
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(s):
    if not s:
        return None
    try:
        s = s.rstrip("Z")
        fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
        return datetime.strptime(s, fmt).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration, as kubectl prints AGE."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return "%dm" % minutes if sec == 0 else "%dm%ds" % (minutes, sec)
    if minutes < 180:
        return "%dm" % minutes
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return "%dh" % hours if m == 0 else "%dh%dm" % (hours, m)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd" % (hours // 24) if h == 0 else "%dd%dh" % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return "%dy" % (hours // 24 // 365) if dy == 0 else "%dy%dd" % (hours // 24 // 365, dy)
    return "%dy" % (hours // 24 // 365)


def age(ts_str, now=None):
    t = parse_iso(ts_str)
    if t is None:
        return "<unknown>"
    return human_duration((now or time.time()) - t)


_rng = random.Random()


def rand_suffix(n=5):
    return "".join(_rng.choices(SAFE_ALPHABET, k=n))


def new_uid():
    """A version-4 UUID string (random.getrandbits is ~5x faster than uuid.uuid4 for bulk loads)."""
    h = "%032x" % ((_rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC << 60)) | (0x4000 << 64) | (0x8 << 60))
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def fnv32a(data):
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(s):
    """rand.SafeEncodeString: maps each byte onto SAFE_ALPHABET (how pod-template-hash looks)."""
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in s)


_hash_cache = {}


def pod_template_hash(template, collision_count=0):
    key = json.dumps(template, sort_keys=True, separators=(",", ":")) + "#%d" % collision_count
    h = _hash_cache.get(key)
    if h is None:
        h = _hash_cache[key] = _pod_template_hash(template, collision_count)
        if len(_hash_cache) > 4096:
            _hash_cache.clear()
    return h


def _pod_template_hash(template, collision_count=0):
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    h = fnv32a(data + (str(collision_count).encode() if collision_count else b""))
    return safe_encode(str(h))


DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

MSG_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                 "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                 "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


class ApiError(Exception):
    """Carries a complete metav1.Status; every handler turns it into the response body."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": self.message, "reason": self.reason}
        if self.details is not None:
            st["details"] = self.details
        st["code"] = self.code
        return st


def qualified(rt):
    """`pods` or `deployments.apps`: how the apiserver names a resource in messages."""
    return rt.plural if not rt.group else "%s.%s" % (rt.plural, rt.group)


def _details(rt, name):
    d = {}
    if name:
        d["name"] = name
    if rt.group:
        d["group"] = rt.group
    d["kind"] = rt.plural
    return d


def not_found(rt, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(rt), name), _details(rt, name))


def already_exists(rt, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(rt), name), _details(rt, name))


def conflict(rt, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; please apply '
                    "your changes to the latest version and try again" % (qualified(rt), name),
                    _details(rt, name))


def invalid(rt, name, causes):
    """causes: list of (reason, field, message)."""
    msgs = ["%s: %s" % (f, m) for (_r, f, m) in causes]
    msg = '%s "%s" is invalid: ' % (rt.kind + ("." + rt.group if rt.group else ""), name)
    msg += msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    d = _details(rt, name)
    d["kind"] = rt.kind
    d["causes"] = [{"reason": r, "message": m, "field": f} for (r, f, m) in causes]
    return ApiError(422, "Invalid", msg, d)


def bad_request(msg):
    return ApiError(400, "BadRequest", msg)


def method_not_allowed(msg="the server does not allow this method on the requested resource"):
    return ApiError(405, "MethodNotAllowed", msg, {})


def meta(obj):
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    return m
