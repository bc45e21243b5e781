#!/usr/bin/env python3
"""Seeds temporary fuzz corpora from the real API responses in ../shared/fixtures/k8s-real at run
time (the fixtures are not copied into the repository). Usage: seed_fixtures.py FIXTURE_DIR OUT_DIR
Writes OUT_DIR/fuzz_kobj (kind byte + one object), OUT_DIR/fuzz_watch (kind byte + watch-event
lines), OUT_DIR/fuzz_apierror (status bytes + flags + a Status or other body)."""
import json
import os
import sys

# The order of kind_id_t in include/kdeck/kinds.h.
KINDS = ["Namespace", "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Service",
         "Endpoints", "Job", "CronJob", "Event", "Node", "ConfigMap", "Secret", "Ingress",
         "HorizontalPodAutoscaler", "Lease", "ServiceAccount", "NetworkPolicy",
         "PersistentVolumeClaim", "PersistentVolume"]
MAX_OBJ = 48 * 1024


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    src, out = sys.argv[1], sys.argv[2]
    if not os.path.isdir(src):
        return
    n = 0
    for fn in sorted(os.listdir(src)):
        if not fn.endswith(".json") or fn.startswith(("openapi", "discovery")):
            continue
        try:
            with open(os.path.join(src, fn), "rb") as f:
                raw = f.read()
            doc = json.loads(raw)
        except (OSError, ValueError):
            # Not one JSON document (a watch stream, logs): a watch seed as it is.
            write(os.path.join(out, "fuzz_watch"), fn, bytes([1]) + raw[:MAX_OBJ])
            continue
        if not isinstance(doc, dict):
            continue
        base = fn[:-5]
        if doc.get("kind") == "Status" or (doc.get("code") and "reason" in doc):
            for st in (int(doc.get("code") or 500), 200):
                write(os.path.join(out, "fuzz_apierror"), f"{base}-{st}",
                      bytes([st >> 8, st & 255, 0]) + raw[:MAX_OBJ])
            continue
        kind = doc.get("kind", "")
        items = doc.get("items") if isinstance(doc.get("items"), list) else [doc]
        if kind.endswith("List"):
            kind = kind[:-4]
        lines = []
        for i, item in enumerate(items[:6]):
            if not isinstance(item, dict):
                continue
            k = item.get("kind") or kind
            if k not in KINDS:
                continue
            body = json.dumps(item, separators=(",", ":")).encode()
            if len(body) > MAX_OBJ:
                continue
            write(os.path.join(out, "fuzz_kobj"), f"{base}-{i}", bytes([KINDS.index(k)]) + body)
            ev = "ADDED" if i % 3 == 0 else ("MODIFIED" if i % 3 == 1 else "DELETED")
            lines.append(json.dumps({"type": ev, "object": item}, separators=(",", ":")).encode())
            n += 1
            if k in KINDS:
                kid = KINDS.index(k)
        if lines:
            blob = b"\n".join(lines) + b"\n"
            if len(blob) <= 4 * MAX_OBJ:
                write(os.path.join(out, "fuzz_watch"), base, bytes([kid]) + blob)
    print(f"seeded {n} objects from {src}")


if __name__ == "__main__":
    main()
