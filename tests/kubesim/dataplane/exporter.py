"""prometheus-mysqld-exporter for a kubesim pod of the mysqld-exporter image.

    exp = MysqldExporter(state_dir, listen_ip="127.1.0.21", port=9104,
                         mysql_host="127.1.0.20", mysql_port=3306, user="exporter", password="exporter")
    exp.start(); exp.wait_ready(10); exp.mysql_up(); exp.stop()

Credentials go through `--config.my-cnf` (DATA_SOURCE_NAME is removed from its environment, since it
would win). The collectors that give the InnoDB panels data are on by default.
"""

import os

from . import procs

__all__ = ["MysqldExporter", "INNODB_FLAGS"]

INNODB_FLAGS = ("--collect.info_schema.innodb_metrics", "--collect.info_schema.processlist",
                "--collect.engine_innodb_status")


class MysqldExporter:
    """MysqldExporter(state_dir, listen_ip="127.0.0.1", port=9104, mysql_host="127.0.0.1",
                      mysql_port=3306, user="exporter", password="exporter", extra_args=(),
                      flags=INNODB_FLAGS)
      start(timeout=10) / wait_ready(timeout=10) / stop(grace=10) / running()
      metrics() -> str     mysql_up() -> True | False | None (not answering)     .url .cnf_path
    """

    def __init__(self, state_dir, listen_ip="127.0.0.1", port=9104, mysql_host="127.0.0.1", mysql_port=3306,
                 user="exporter", password="exporter", extra_args=(), flags=INNODB_FLAGS,
                 exporter_bin="prometheus-mysqld-exporter"):
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        self.listen_ip = listen_ip
        self.port = int(port)
        self.mysql_host = mysql_host
        self.mysql_port = int(mysql_port)
        self.user = user
        self.password = password
        self.flags = list(flags)
        self.extra_args = list(extra_args)
        self.bin = exporter_bin
        self.cnf_path = os.path.join(self.state_dir, "my.cnf")
        self.log_path = os.path.join(self.state_dir, "exporter.log")
        self.pid_path = os.path.join(self.state_dir, "exporter.pid")
        self.proc = None

    @property
    def url(self):
        return "http://%s:%d/metrics" % (self.listen_ip, self.port)

    @property
    def address(self):
        return "%s:%d" % (self.listen_ip, self.port)

    def _write_cnf(self):
        text = "[client]\nuser=%s\npassword=%s\nhost=%s\nport=%d\n" % (self.user, self.password, self.mysql_host,
                                                                         self.mysql_port)
        fd = os.open(self.cnf_path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(self.cnf_path + ".tmp", self.cnf_path)

    def running(self):
        return self.proc is not None and self.proc.running()

    def start(self, timeout=10.0):
        if self.running():
            return self
        self._write_cnf()
        env = {k: v for k, v in os.environ.items() if k != "DATA_SOURCE_NAME"}
        args = [self.bin, "--config.my-cnf=" + self.cnf_path, "--web.listen-address=" + self.address] + \
            self.flags + self.extra_args
        self.proc = procs.Process("mysqld-exporter", args, env=env, inherit_env=False, log_path=self.log_path,
                                  pid_path=self.pid_path).start()
        if timeout:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=10.0):
        """Ready when /metrics answers 200 (mysql_up may still be 0 if the server is not up)."""
        def ready():
            if not self.running():
                raise RuntimeError("mysqld-exporter exited (status %s):\n%s" % (self.proc.returncode,
                                                                                 self.proc.log_tail()))
            status, _, _ = procs.http_get(self.url, timeout=5)
            return status == 200
        procs.wait_until(ready, timeout, what="mysqld-exporter /metrics")
        return True

    def metrics(self, timeout=5.0):
        status, body, _ = procs.http_get(self.url, timeout=timeout)
        if status != 200:
            raise RuntimeError("exporter answered %d" % status)
        return body.decode("utf-8", "replace")

    def mysql_up(self):
        try:
            text = self.metrics()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith("mysql_up "):
                return float(line.split()[1]) == 1.0
        return None

    def stop(self, grace=10.0):
        if self.proc is None:
            return None
        rc = self.proc.stop(grace)
        self.proc = None
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
