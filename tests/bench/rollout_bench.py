#!/usr/bin/env python3
"""`make bench`, rollout part: how fast a blue/green switch reaches users, and a rollout's total time.

Started by tests/bench/run.sh after bench.py. Starts kubesim in kubelet mode (real podapp processes,
the Service through the real HAProxy), puts v1 of an app `web` in slot blue (kubectl, in the shape
kdeck's blue/green objects have), then runs BENCH_ROLLOUT_RUNS (default 3) headless rollouts
v2, v3, ... (`kdeck rollout apply -f F --wait`) while
  * tests/e2e/version_sampler.py sends GET / to the Service's ClusterIP one request after another and
    timestamps every answer with its version, and
  * wrk (tests/e2e/wrk_versions.lua, paced: 16 connections, WRK_DELAY_MS=2) keeps a steady load on it.
Per run: the switch latency = the first answer of the new version minus the selector PATCH's
`stageTimestamp` in kubesim's audit log (MicroTime: when the PATCH's answer started, i.e. once the
change was stored); the rollout's total time = `apply --wait` wall clock; the time of each step from
the recorded state (ConfigMap kdeck-rollout-web, key `state`).

Prints a table and replaces the rollout section of docs/performance.md (between the markers
<!-- rollout-bench:begin --> and <!-- rollout-bench:end -->; appended when they are missing).
Exit status 0 when every measurement ran, 1 when something is broken (a tool missing, kubesim or
HAProxy not serving, a rollout not exiting 0). Every process it starts is stopped by pid.
"""
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KDECK = os.environ.get("KDECK_BIN", os.path.join(ROOT, "build", "kdeck"))
PODAPP = os.environ.get("PODAPP_BIN", os.path.join(ROOT, "build", "podapp"))
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
KUBESIM = os.path.join(ROOT, "tests", "kubesim", "kubesim.py")
SAMPLER = os.path.join(ROOT, "tests", "e2e", "version_sampler.py")
WRK_LUA = os.path.join(ROOT, "tests", "e2e", "wrk_versions.lua")
DOC = os.path.join(ROOT, "docs", "performance.md")
BEGIN, END = "<!-- rollout-bench:begin -->", "<!-- rollout-bench:end -->"

RUNS = int(os.environ.get("BENCH_ROLLOUT_RUNS", "3"))
NS, APP = "bench", "web"
REPLICAS = 2
BAKE_S = 5
SCALE_DOWN_S = 2
HEALTH_TIMEOUT_S = 30
READY_TIMEOUT_S = 60
WRK_DELAY_MS = "2"

STARTED = []
TMP = tempfile.mkdtemp(prefix="kdeck-rollout-bench.")


class Broken(Exception):
    pass


def log(msg):
    print(f"[rollout-bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def stop(p, sig=signal.SIGTERM, timeout=15.0):
    """Stops one process we started, by pid: the signal, a bounded wait, SIGKILL."""
    if p.poll() is not None:
        return p.returncode
    try:
        p.send_signal(sig)
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait(5)


def env_for(kubeconfig=None):
    env = dict(os.environ)
    for k in ("KUBECONFIG", "KDECK_SCRIPT", "KDECK_CONFIG", "NO_COLOR", "KDECK_NO_DISPLAY"):
        env.pop(k, None)
    home = os.path.join(TMP, "home")
    os.makedirs(home, exist_ok=True)
    env.update(TZ="UTC", LANG="C.UTF-8", LC_ALL="C.UTF-8", HOME=home, PODAPP_BIN=PODAPP,
               XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_STATE_HOME=os.path.join(home, ".local", "state"), WRK_DELAY_MS=WRK_DELAY_MS)
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    return env


def wait_until(pred, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(interval)
    raise Broken(f"timed out after {timeout:.0f} s waiting for {what}")


def parse_time(v):
    """Unix seconds from an RFC 3339 string (any fraction) or Unix milliseconds; None otherwise."""
    if isinstance(v, (int, float)) and v > 0:
        return v / 1000.0 if v > 1e11 else float(v)
    if not isinstance(v, str) or not v:
        return None
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", v)
    if not m:
        return None
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() + (float(m.group(2)) if m.group(2) else 0.0)


class Cluster:
    """kubesim in kubelet mode plus v1 of the app serving from slot blue."""

    def __init__(self):
        self.dir = os.path.join(TMP, "sim")
        os.makedirs(self.dir)
        self.out = open(os.path.join(self.dir, "kubesim.out"), "w")
        self.p = subprocess.Popen([sys.executable, KUBESIM, "--state-dir", self.dir, "--ingress-port", "0"],
                                  stdout=self.out, stderr=subprocess.STDOUT, env=env_for())
        STARTED.append(self.p)
        try:
            wait_until(lambda: os.path.exists(os.path.join(self.dir, "ready")) or self.p.poll() is not None,
                       60, "kubesim to be ready")
        except Broken:
            pass
        if not os.path.exists(os.path.join(self.dir, "ready")):
            raise Broken("kubesim did not become ready:\n" + open(os.path.join(self.dir, "kubesim.out")).read()[-2000:])
        self.kubeconfig = os.path.join(self.dir, "admin.kubeconfig")
        self.env = env_for(self.kubeconfig)
        self.audit = os.path.join(self.dir, "audit.log")

    def kubectl(self, *args, stdin=None, check=True):
        r = subprocess.run([KUBECTL, "--cache-dir", os.path.join(TMP, "kcache"), "--request-timeout=20s",
                            "-n", NS, *args], input=stdin, capture_output=True, text=True, env=self.env,
                           timeout=60)
        if check and r.returncode != 0:
            raise Broken(f"kubectl {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def setup_v1(self):
        self.kubectl("create", "namespace", NS)
        labels = {"app": APP, "app.kubernetes.io/managed-by": "kdeck", "slot": "blue", "version": "v1"}
        objs = {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": APP + "-blue", "namespace": NS, "labels": labels},
             "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": APP, "slot": "blue"}},
                      "template": {"metadata": {"labels": {"app": APP, "slot": "blue", "version": "v1"}},
                                   "spec": {"containers": [container("v1")]}}}},
            {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": APP, "namespace": NS,
                          "labels": {"app": APP, "app.kubernetes.io/managed-by": "kdeck"}},
             "spec": {"selector": {"app": APP, "slot": "blue"},
                      "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}]}
        self.kubectl("apply", "--validate=false", "-f", "-", stdin=json.dumps(objs))
        self.kubectl("rollout", "status", f"deploy/{APP}-blue", "--timeout=60s")
        ip = self.kubectl("get", "svc", APP, "-o", "jsonpath={.spec.clusterIP}").strip()
        self.url = f"http://{ip}/"

        def serves_v1():
            r = subprocess.run(["curl", "-s", "--max-time", "2", self.url], capture_output=True, text=True)
            return r.stdout.startswith(f"{APP} v1 ")
        wait_until(serves_v1, 30, f"v1 to answer at {self.url}")

    def audit_lines(self):
        with open(self.audit) as f:
            return f.readlines()

    def state(self):
        out = self.kubectl("get", "configmap", f"kdeck-rollout-{APP}", "-o", "jsonpath={.data.state}", check=False)
        try:
            return json.loads(out)
        except ValueError:
            return {}

    def stop(self):
        rc = stop(self.p, timeout=30)
        self.out.close()
        return rc


def container(v):
    return {"name": APP, "image": f"registry.local/app/{APP}:{v}",
            "ports": [{"name": "http", "containerPort": 8080}],
            "env": [{"name": "VERSION", "value": v}],
            "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1}}


def descriptor(v):
    return {"apiVersion": "kdeck/v1", "kind": "AppDescriptor", "namespace": NS, "name": APP, "version": v,
            "replicas": REPLICAS, "containers": [container(v)],
            "healthCheck": {"useHealthCheck": True, "path": "/health", "port": 8080, "expectedStatus": 200,
                            "jsonField": "healthy", "timeoutSeconds": 2},
            "service": {"portName": "http", "port": 80, "targetPort": 8080},
            "rollout": {"strategy": "blueGreen", "readyTimeoutSeconds": READY_TIMEOUT_S,
                        "healthTimeoutSeconds": HEALTH_TIMEOUT_S, "bakeSeconds": BAKE_S,
                        "scaleDownDelaySeconds": SCALE_DOWN_S}}


def read_seq(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3:
                rows.append((float(p[0]), p[1], p[2]))
    return rows


def one_rollout(c, i, old_v, new_v):
    d = os.path.join(TMP, f"run{i}")
    os.makedirs(d)
    desc = os.path.join(d, f"{new_v}.json")
    with open(desc, "w") as f:
        json.dump(descriptor(new_v), f, indent=2)
    seq, stop_file = os.path.join(d, "seq"), os.path.join(d, "stop")
    sampler = subprocess.Popen([sys.executable, SAMPLER, c.url, seq, stop_file, "--max-seconds", "240"],
                               env=c.env)
    STARTED.append(sampler)
    wrk_out = open(os.path.join(d, "wrk.out"), "w")
    wrk = subprocess.Popen(["wrk", "-t2", "-c16", "-d240s", "--timeout", "5s", "-s", WRK_LUA, c.url],
                           stdout=wrk_out, stderr=subprocess.STDOUT, env=c.env)
    STARTED.append(wrk)
    wait_until(lambda: os.path.exists(seq) and os.path.getsize(seq) > 0, 10, "the sampler's first answer")
    time.sleep(0.5)   # a steady load before the rollout starts (measurement, not synchronisation)
    audit_from = len(c.audit_lines())
    t0 = time.time()
    out = open(os.path.join(d, "apply.out"), "w")
    r = subprocess.run([KDECK, "rollout", "apply", "-f", desc, "--wait", "--timeout", "180s"],
                       stdout=out, stderr=subprocess.STDOUT, env=c.env, timeout=240)
    t1 = time.time()
    out.close()
    n = len(read_seq(seq))
    wait_until(lambda: len(read_seq(seq)) >= n + 50, 10, "the sampler's answers after the rollout")
    open(stop_file, "w").close()
    stop(wrk, signal.SIGINT)
    wrk_out.close()
    sampler.wait(15)
    if r.returncode != 0:
        raise Broken(f"rollout {old_v} -> {new_v} exited {r.returncode}:\n" +
                     open(os.path.join(d, "apply.out")).read()[-1500:])

    patches = []
    for line in c.audit_lines()[audit_from:]:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("method") in ("PATCH", "PUT") and e.get("path") == f"/api/v1/namespaces/{NS}/services/{APP}" \
                and e.get("code") == 200:
            patches.append(e)
    if len(patches) != 1:
        raise Broken(f"run {i}: expected one selector write, the audit log has {len(patches)}")
    t_patch = parse_time(patches[0].get("stageTimestamp"))
    t_recv = parse_time(patches[0].get("requestReceivedTimestamp"))
    if t_patch is None:
        raise Broken("kubesim's audit log has no stageTimestamp (MicroTime) on its records")
    rows = read_seq(seq)
    bad = [r_ for r_ in rows if r_[1] != "200"]
    first_new = next((t for t, st, v in rows if v == new_v and t >= t_patch), None)
    old_after = [t for t, st, v in rows if v == old_v and first_new is not None and t > first_new]
    last_old = max((t for t, st, v in rows if v == old_v), default=None)
    if first_new is None:
        raise Broken(f"run {i}: the sampler never saw {new_v} after the PATCH")
    # sampler resolution: the gap between two answers around the switch
    gaps = [b[0] - a[0] for a, b in zip(rows, rows[1:]) if t_patch - 1 <= a[0] <= t_patch + 2]
    wrk_res = ""
    for line in open(os.path.join(d, "wrk.out")):
        if line.startswith("WRK-RESULT "):
            wrk_res = line.split(" ", 1)[1].strip()
    m = re.search(r"requests=(\d+) non2xx=(\d+) connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+)", wrk_res)
    wrk_req, wrk_bad = (int(m.group(1)), sum(int(x) for x in m.groups()[1:])) if m else (None, None)
    st = c.state()
    steps = {}
    for s in st.get("steps") or []:
        a, b = parse_time(s.get("startedAt")), parse_time(s.get("finishedAt"))
        if s.get("name") and a and b:
            steps[s["name"]] = b - a
    res = dict(run=i, old=old_v, new=new_v, total_s=t1 - t0, patch_to_first_new_ms=(first_new - t_patch) * 1000,
               patch_server_ms=((t_patch - t_recv) * 1000) if t_recv else None,
               patch_to_last_old_ms=((last_old - t_patch) * 1000) if last_old else None,
               apply_to_patch_s=t_patch - t0, old_after_new=len(old_after), sampler_answers=len(rows),
               sampler_failed=len(bad), sampler_gap_ms=(statistics.median(gaps) * 1000) if gaps else None,
               wrk_requests=wrk_req, wrk_failed=wrk_bad, steps=steps, phase=st.get("phase"))
    log(f"run {i}: {old_v} -> {new_v}: total {res['total_s']:.2f} s, PATCH -> first {new_v} "
        f"{res['patch_to_first_new_ms']:.0f} ms, wrk {wrk_req} requests / {wrk_bad} failed, "
        f"sampler {len(rows)} answers / {len(bad)} failed")
    return res


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "include"],
                           capture_output=True, text=True).stdout.strip()
    hp = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return dict(date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                nproc=os.cpu_count(), cpu=cpu, commit=commit + (" (+ uncommitted changes)" if dirty else ""),
                haproxy=hp.replace("HAProxy version ", "").split(" ")[0] if hp else "?",
                load=" ".join(open("/proc/loadavg").read().split()[:3]))


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def section(R):
    f, runs = R["facts"], R["runs"]
    lat = [r["patch_to_first_new_ms"] for r in runs]
    tot = [r["total_s"] for r in runs]
    step_names = []
    for r in runs:
        for s in r["steps"]:
            if s not in step_names:
                step_names.append(s)
    failed = sum((r["wrk_failed"] or 0) + r["sampler_failed"] for r in runs)
    mixed = sum(r["old_after_new"] for r in runs)
    L = [BEGIN, "## Blue/green rollout: switch latency and total time\n"]
    L.append(
        f"`tests/bench/rollout_bench.py` (run by `make bench` after the above; `BENCH_ROLLOUT_ONLY=1 "
        f"tests/bench/run.sh` runs only this part, `BENCH_ROLLOUT_RUNS` sets the number of rollouts). kubesim "
        f"in kubelet mode — real podapp processes, the Service `{APP}` through the real HAProxy "
        f"({f['haproxy']}) — with v1 of `{APP}` ({REPLICAS} replicas, readiness probe `GET /` every 1 s) in "
        f"slot blue; then {len(runs)} headless rollouts one after the other (`kdeck rollout apply -f F "
        f"--wait`: v1 → v2 → …, each into the other slot) with `healthCheck` on `/health` "
        f"(`jsonField: healthy`), bake {BAKE_S} s, scale-down delay {SCALE_DOWN_S} s, health timeout "
        f"{HEALTH_TIMEOUT_S} s. Throughout each rollout `tests/e2e/version_sampler.py` sends `GET /` to the "
        f"Service's ClusterIP one request after another (keep-alive, no pause) and timestamps each answer "
        f"with its version, while wrk keeps a paced load on the same address (16 connections, a request "
        f"every {WRK_DELAY_MS} ms each, `tests/e2e/wrk_versions.lua`).\n")
    L.append("| figure | how |\n|---|---|\n"
             "| selector PATCH → first new-version answer | the sampler's first answer from the new version "
             "minus the `stageTimestamp` (MicroTime) of the Service PATCH in kubesim's audit log — when the "
             "PATCH's answer started, i.e. the selector was stored. Same clock (one machine). The sampler's "
             "resolution is the gap between two of its answers (shown). |\n"
             "| rollout total time | wall clock of `kdeck rollout apply --wait`, spawn → exit 0 |\n"
             "| per step | `finishedAt − startedAt` of each step in the recorded state (ConfigMap "
             f"`kdeck-rollout-{APP}`, key `state`) |\n")
    L.append(f"Run on {f['date']}: {f['nproc']} × {f['cpu']}, load average before {f['load']}; kdeck commit "
             f"`{f['commit']}`. kubesim, HAProxy, the pods, wrk, the sampler and kdeck share the cores.\n")
    L.append("| figure | result | details |\n|---|---|---|")
    L.append(f"| Selector PATCH → first new-version answer through HAProxy | {med(lat):.0f} ms | "
             f"median of {len(runs)}: [{', '.join(f'{x:.0f}' for x in lat)}] ms; sampler resolution "
             f"~{med([r['sampler_gap_ms'] for r in runs]) or 0:.1f} ms |")
    lo = [r["patch_to_last_old_ms"] for r in runs if r["patch_to_last_old_ms"] is not None]
    if lo:
        L.append(f"| ↳ PATCH → last old-version answer | {med(lo):.0f} ms | [{', '.join(f'{x:.0f}' for x in lo)}] ms; "
                 f"old-version answers after the first new one: {sum(r['old_after_new'] for r in runs)} |")
    ps = [r["patch_server_ms"] for r in runs if r["patch_server_ms"] is not None]
    if ps:
        L.append(f"| ↳ the PATCH itself in kubesim (received → answered) | {med(ps):.1f} ms | |")
    ap = [r["apply_to_patch_s"] for r in runs]
    L.append(f"| ↳ `apply` start → selector PATCH | {med(ap):.2f} s | "
             f"[{', '.join(f'{x:.2f}' for x in ap)}] s: lock, deploy {REPLICAS} pods until Ready, health check |")
    L.append(f"| Rollout total time (`apply --wait`, bake {BAKE_S} s, scale-down delay {SCALE_DOWN_S} s) | "
             f"{med(tot):.2f} s | median of {len(runs)}: [{', '.join(f'{x:.2f}' for x in tot)}] s; "
             f"of which the fixed waits are {BAKE_S + SCALE_DOWN_S} s |")
    for s in step_names:
        xs = [r["steps"].get(s) for r in runs]
        L.append(f"| ↳ step `{s}` | {med(xs):.2f} s | [{', '.join('-' if x is None else f'{x:.2f}' for x in xs)}] s |")
    L.append(f"| Requests during the rollouts | {sum(r['wrk_requests'] or 0 for r in runs)} wrk + "
             f"{sum(r['sampler_answers'] for r in runs)} sampler | failed (non-2xx or socket errors): "
             f"{sum(r['wrk_failed'] or 0 for r in runs)} wrk, {sum(r['sampler_failed'] for r in runs)} sampler |")
    L.append("")
    L.append(
        f"**Where the switch time goes.** kdeck's PATCH is one request; kubesim's Endpoints controller "
        f"recomputes the Service's endpoints at once, and its services thread (20 ms settle) hands the new "
        f"set to HAProxy through the runtime API. A new server enters at weight 0, forced down, and gets "
        f"traffic only after HAProxy's own health check (`GET /` every 500 ms, `rise 1`) has passed at its "
        f"address; in the same runtime command the old servers go to maintenance. So the switch latency is "
        f"dominated by waiting for the next health check — between 0 and 500 ms, a few hundred ms on "
        f"average — and not by kdeck. On a real cluster the equivalent is the endpoint propagation to "
        f"kube-proxy or the ingress controller. "
        + ("No answer failed, " if not failed else f"**{failed} answers failed**, ")
        + ("and the sampler never got the old version after the new one.\n" if not mixed else
           f"and the sampler got the old version **{mixed} times** after the new one.\n"))
    dep = med([r["steps"].get("deploy") for r in runs])
    L.append(
        f"**Where the total time goes.** The bake ({BAKE_S} s) and the scale-down delay ({SCALE_DOWN_S} s) "
        f"are fixed waits chosen in the descriptor (defaults 60 s and 300 s); the driver wakes the engine "
        f"at the bake's deadline and at the end of the scale-down delay (`ro_next_tick_ms`), so a "
        f"{BAKE_S} s bake takes {med([r['steps'].get('bake') for r in runs]) or 0:.2f} s here. Most of the rest is the "
        f"deploy step"
        + (f" ({dep:.1f} s)" if dep is not None else "")
        + f": starting {REPLICAS} pods and waiting for their readiness probes (period 1 s), seen by the "
        f"driver's readiness rounds, which run every 2 s (the default round interval), so the step ends "
        f"on a round. The health check (one round through the pod proxy), the switch and the Lease and "
        f"ConfigMap writes take milliseconds.\n")
    L.append(END)
    return "\n".join(L) + "\n"


def write_doc(text):
    try:
        doc = open(DOC).read()
    except OSError:
        doc = "# Performance\n"
    if BEGIN in doc and END in doc:
        a, b = doc.index(BEGIN), doc.index(END) + len(END)
        doc = doc[:a] + text.rstrip("\n") + doc[b:]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(DOC + ".tmp", "w") as out:
        out.write(doc)
    os.replace(DOC + ".tmp", DOC)


def main():
    global KDECK
    for tool, path in (("kdeck", KDECK), ("podapp", PODAPP)):
        if not os.access(path, os.X_OK):
            print(f"rollout-bench: {path} is missing (run make)", file=sys.stderr)
            return 1
    for tool in ("wrk", "haproxy", "curl", KUBECTL):
        if not shutil.which(tool):
            print(f"rollout-bench: {tool} is missing", file=sys.stderr)
            return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    c = None
    try:
        # every rollout runs the same kdeck, even if the tree is rebuilt meanwhile
        shutil.copy2(KDECK, os.path.join(TMP, "kdeck"))
        KDECK = os.path.join(TMP, "kdeck")
        facts = machine()
        log("starting kubesim (kubelet mode)")
        c = Cluster()
        c.setup_v1()
        log(f"v1 serves at {c.url}")
        runs = []
        for i in range(1, RUNS + 1):
            runs.append(one_rollout(c, i, f"v{i}", f"v{i + 1}"))
        R = dict(facts=facts, runs=runs)
        text = section(R)
        print()
        print(re.sub(r"\*\*|`", "", text.replace(BEGIN, "").replace(END, "")))
        write_doc(text)
        with open(os.path.join(TMP, "rollout-results.json"), "w") as out:
            json.dump(R, out, indent=1)
        if os.environ.get("BENCH_ROLLOUT_JSON"):
            shutil.copy(os.path.join(TMP, "rollout-results.json"), os.environ["BENCH_ROLLOUT_JSON"])
        log(f"wrote the rollout section of {os.path.relpath(DOC, ROOT)}")
        return 0
    except Broken as e:
        print(f"rollout-bench: BROKEN: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        for p in reversed(STARTED):
            try:
                stop(p, timeout=30)
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(TMP, ignore_errors=True)
        else:
            log(f"kept {TMP}")


if __name__ == "__main__":
    sys.exit(main())
