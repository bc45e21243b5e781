"""kubesim's data plane: the real servers behind simulated pods and Services.

Python standard library only. Every server binds explicit loopback addresses, keeps its files under a
state directory, and is stopped by pid.

    procs       Process / Supervisor (start with env, cwd, log and pid file; SIGTERM then SIGKILL;
                wait_until() polling with a deadline), http_get, tcp_open, write_atomic
    haproxy     HAProxy: Services (ClusterIP frontends, slot-based backends switched through the runtime
                API without dropping requests), Ingress frontends, the Prometheus exporter endpoint
    mariadb     MariaDB: datadir init, first-start SQL from MYSQL_* env like the official image
    exporter    MysqldExporter: prometheus-mysqld-exporter with the InnoDB collectors
    prometheus  Prometheus: file_sd targets rewritten atomically, query helpers

`selftest.py` (run by tests/e2e/dataplane.sh) exercises all of them together.
"""

from .procs import Process, Supervisor, wait_until, DeadlineExceeded, http_get, tcp_open, stop_pid, pid_alive
from .haproxy import HAProxy, HAProxyError
from .mariadb import MariaDB, MariaDBConfigError
from .exporter import MysqldExporter
from .prometheus import Prometheus, PrometheusError

__all__ = [
    "Process", "Supervisor", "wait_until", "DeadlineExceeded", "http_get", "tcp_open", "stop_pid", "pid_alive",
    "HAProxy", "HAProxyError", "MariaDB", "MariaDBConfigError", "MysqldExporter", "Prometheus",
    "PrometheusError",
]
