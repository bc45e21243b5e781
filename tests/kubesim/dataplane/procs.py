"""A small process supervisor for kubesim's data plane (Python standard library only).

Every real server the simulator runs (pod processes, haproxy, mariadbd, the exporter, prometheus)
is started through `Process`: its own session (so a stop never reaches the test runner), its own
environment, working directory, log file and pid file; stopped by pid with SIGTERM, then SIGKILL
after a grace period; waited for by polling with a deadline, never by a fixed sleep.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

__all__ = [
    "Process", "Supervisor", "wait_until", "pid_alive", "read_pidfile", "stop_pid",
    "tcp_open", "http_get", "write_atomic", "DeadlineExceeded",
]


class DeadlineExceeded(TimeoutError):
    """A wait_until() predicate did not come true before its deadline."""


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls predicate() until it returns a truthy value, which is returned.

    Raises DeadlineExceeded after `timeout` seconds. Exceptions from the predicate count as
    "not yet" (the last one is chained to the timeout error)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_exc = None
        except Exception as exc:  # noqa: BLE001 - "not ready yet"
            last_exc = exc
        if time.monotonic() >= deadline:
            msg = "timed out after %.1fs waiting for %s" % (timeout, what)
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
                raise DeadlineExceeded(msg) from last_exc
            raise DeadlineExceeded(msg)
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def pid_alive(pid):
    """True while pid exists and is not a zombie (a zombie still answers kill -0)."""
    if not pid or pid <= 0:
        return False
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return False
    # the state field follows the parenthesised command name, which may contain spaces
    try:
        state = stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3]
    except ValueError:
        return False
    return state not in (b"Z", b"X")


def pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def read_pidfile(path):
    """The pid in a pid file, or None."""
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_pid(pid, grace=10.0, sig=signal.SIGTERM, expect=None):
    """Stops a process that is not our child (e.g. read from a pid file): sig, then SIGKILL after
    `grace` seconds. `expect` (a substring of its command line) guards against a recycled pid.
    Returns True once it is gone."""
    if not pid_alive(pid):
        return True
    if expect is not None and not any(expect in a for a in pid_cmdline(pid)):
        return True  # the pid now belongs to someone else
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return True
    try:
        wait_until(lambda: not pid_alive(pid), grace, what="pid %d to exit" % pid)
        return True
    except DeadlineExceeded:
        pass
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    try:
        wait_until(lambda: not pid_alive(pid), 5.0, what="pid %d to die" % pid)
        return True
    except DeadlineExceeded:
        return False


def write_atomic(path, data, mode=0o644):
    """Writes a file so readers see either the old or the new content, never a partial one."""
    if isinstance(data, str):
        data = data.encode()
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp.%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fchmod(f.fileno(), mode)
    os.replace(tmp, path)


def tcp_open(host, port, timeout=0.5):
    """True if a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def http_get(url, timeout=2.0, headers=None, method="GET", data=None):
    """(status, body bytes, headers dict); HTTP error statuses are returned, not raised."""
    req = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    # never route loopback test traffic through a proxy from the environment
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as e:
        body = e.read() if e.fp else b""
        return e.code, body, dict(e.headers or {})


def http_json(url, timeout=2.0):
    status, body, _ = http_get(url, timeout=timeout)
    return status, json.loads(body.decode() or "null")


class Process:
    """One supervised child process.

    Process(name, argv, env=None, cwd=None, log_path=None, pid_path=None, inherit_env=True)
      .start()               spawns it (stdout+stderr appended to log_path), writes pid_path
      .pid / .returncode     pid, exit status once reaped (negative = killed by that signal)
      .running()             alive and not yet reaped
      .wait(timeout)         the exit status, or None if still running at the deadline
      .signal(sig)           sends a signal if still running
      .stop(grace=10)        SIGTERM, SIGKILL after `grace` s; returns the exit status
    """

    def __init__(self, name, argv, env=None, cwd=None, log_path=None, pid_path=None, inherit_env=True,
                 stdin=subprocess.DEVNULL):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.env = dict(os.environ) if inherit_env else {}
        if env:
            self.env.update({str(k): str(v) for k, v in env.items()})
        self.cwd = cwd
        self.log_path = log_path
        self.pid_path = pid_path
        self.stdin = stdin
        self.popen = None
        self.started_at = None

    def __repr__(self):
        return "<Process %s pid=%s rc=%s>" % (self.name, self.pid, self.returncode)

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    @property
    def returncode(self):
        if self.popen is None:
            return None
        return self.popen.poll()

    def start(self):
        if self.popen is not None and self.popen.poll() is None:
            raise RuntimeError("%s is already running (pid %d)" % (self.name, self.popen.pid))
        out = subprocess.DEVNULL
        if self.log_path:
            os.makedirs(os.path.dirname(os.path.abspath(self.log_path)), exist_ok=True)
            out = open(self.log_path, "ab", buffering=0)
        try:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdin=self.stdin, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        finally:
            if out is not subprocess.DEVNULL:
                out.close()
        self.started_at = time.monotonic()
        if self.pid_path:
            write_atomic(self.pid_path, "%d\n" % self.popen.pid)
        return self

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def wait(self, timeout=None):
        if self.popen is None:
            return None
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig):
        if self.running():
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, grace=10.0, sig=None):
        """Stops the process (by its pid only): sig (default SIGTERM), SIGKILL after `grace` s; reaps it.
        Returns its exit status."""
        if sig is None:
            sig = signal.SIGTERM
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.signal(sig)
            rc = self.wait(grace)
            if rc is None:
                self.signal(signal.SIGKILL)
                self.wait(10.0)
        if self.pid_path:
            try:
                if read_pidfile(self.pid_path) == self.popen.pid:
                    os.unlink(self.pid_path)
            except OSError:
                pass
        return self.popen.poll()

    def log_tail(self, n=20):
        if not self.log_path:
            return ""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 64 * 1024))
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""

    def check_alive(self):
        """Raises RuntimeError with the log's tail if the process has exited."""
        if not self.running():
            raise RuntimeError("%s exited with status %s:\n%s" % (self.name, self.returncode, self.log_tail()))
        return True


class Supervisor:
    """A named set of Processes, stopped together (in reverse start order)."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        self.procs = {}

    def start(self, name, argv, env=None, cwd=None, inherit_env=True):
        if name in self.procs and self.procs[name].running():
            raise RuntimeError("process %s already running" % name)
        p = Process(name, argv, env=env, cwd=cwd, inherit_env=inherit_env,
                    log_path=os.path.join(self.state_dir, name + ".log"),
                    pid_path=os.path.join(self.state_dir, name + ".pid"))
        self.procs[name] = p
        return p.start()

    def get(self, name):
        return self.procs.get(name)

    def stop(self, name, grace=10.0):
        p = self.procs.pop(name, None)
        return p.stop(grace) if p else None

    def stop_all(self, grace=10.0):
        for name in reversed(list(self.procs)):
            try:
                self.stop(name, grace)
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()
        return False


def free_port(host="127.0.0.1"):
    """A port that is free on host right now (bind to 0 and read it back)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]



def socket_path(state_dir, name):
    """state_dir/name, unless that is too long for a unix socket (108 bytes): then a short path
    under /tmp derived from it (created 0700)."""
    path = os.path.join(os.path.abspath(state_dir), name)
    if len(path.encode()) <= 100:
        return path
    import hashlib
    d = "/tmp/kubesim-sock-" + hashlib.sha1(os.path.abspath(state_dir).encode()).hexdigest()[:12]
    os.makedirs(d, mode=0o700, exist_ok=True)
    return os.path.join(d, name)
