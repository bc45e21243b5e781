"""Users from a static token file and their RBAC-like rules; access reviews answer from the same rules."""
import csv
import os
import secrets

READ_VERBS = ["get", "list", "watch"]
SELF_REVIEWS = {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}
# Subresources that run code or open connections: the real "view" role does not grant them.
VIEWER_DENIED_SUBRESOURCES = {"pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy",
                              "nodes/proxy"}

RULES = {
    "admin": {"groups": ["system:masters", "system:authenticated"],
              "rules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
              "nonResource": [{"verbs": ["*"], "nonResourceURLs": ["*"]}]},
    "viewer": {"groups": ["kubesim:viewers", "system:authenticated"],
               "rules": [{"verbs": READ_VERBS, "apiGroups": ["*"], "resources": ["*"]}],
               "nonResource": [{"verbs": ["get"], "nonResourceURLs": ["*"]}]},
}


class Users:
    """Token file in kube-apiserver --token-auth-file format: token,user,uid,"group1,group2"."""

    def __init__(self, path):
        self.path = path
        self.by_token = {}

    def create(self):
        if os.path.exists(self.path):   # a restarted simulator keeps its users' tokens
            self.load()
            if all(u in self.by_token.values() for u in ("admin", "viewer")):
                return
            self.by_token = {}
        rows = []
        for user in ("admin", "viewer"):
            tok = "kubesim-%s-%s" % (user, secrets.token_hex(12))
            rows.append([tok, user, "uid-" + user, ",".join(RULES[user]["groups"])])
        with open(self.path, "w", newline="") as f:
            csv.writer(f).writerows(rows)
        os.chmod(self.path, 0o600)
        self.load()

    def load(self):
        with open(self.path, newline="") as f:
            for row in csv.reader(f):
                if len(row) >= 2:
                    self.by_token[row[0]] = row[1]

    def token_of(self, user):
        return next(t for t, u in self.by_token.items() if u == user)

    def authenticate(self, header, peer_cert=None):
        """A bearer token, else a verified client certificate whose CN names a known user."""
        if header and header.startswith("Bearer "):
            return self.by_token.get(header[7:].strip())
        if peer_cert:
            for rdn in peer_cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName" and value in RULES:
                        return value
        return None


def allowed(user, verb, group, resource, subresource=None, namespace=None, name=None):
    if user not in RULES:
        return False
    full = resource + ("/" + subresource if subresource else "")
    if verb == "create" and group == "authorization.k8s.io" and full in SELF_REVIEWS:
        return True     # system:basic-user: every authenticated user may ask what it can do
    if user == "viewer" and full in VIEWER_DENIED_SUBRESOURCES:
        return False
    for r in RULES[user]["rules"]:
        if ("*" in r["verbs"] or verb in r["verbs"]) and ("*" in r["apiGroups"] or group in r["apiGroups"]) and \
                ("*" in r["resources"] or full in r["resources"]):
            return True
    return False


def forbidden_message(user, verb, group, resource, subresource, namespace, name):
    full = resource + ("/" + subresource if subresource else "")
    who = '%s "%s"' % (resource + ("." + group if group else ""), name) if name else \
        (resource + ("." + group if group else ""))
    scope = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
    return '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        who, user, verb, full, group, scope)


def access_review(user, spec):
    ra = spec.get("resourceAttributes")
    if ra:
        ok = allowed(user, ra.get("verb", ""), ra.get("group", ""), ra.get("resource", ""),
                     ra.get("subresource") or None, ra.get("namespace"), ra.get("name"))
    else:
        nra = spec.get("nonResourceAttributes") or {}
        ok = any("*" in r["verbs"] or nra.get("verb") in r["verbs"] for r in RULES.get(user, {}).get("nonResource", []))
    st = {"allowed": ok}
    if ok:
        st["reason"] = 'RBAC: allowed by ClusterRoleBinding "kubesim-%s" of ClusterRole "%s" to User "%s"' % (
            user, "cluster-admin" if user == "admin" else "view", user)
    return st


def rules_review(user, namespace):
    rr = []
    for r in RULES.get(user, {}).get("rules", []):
        rr.append({"verbs": list(r["verbs"]), "apiGroups": list(r["apiGroups"]), "resources": list(r["resources"])})
    nr = [{"verbs": list(r["verbs"]), "nonResourceURLs": list(r["nonResourceURLs"])}
          for r in RULES.get(user, {}).get("nonResource", [])]
    return {"resourceRules": rr, "nonResourceRules": nr, "incomplete": False}
