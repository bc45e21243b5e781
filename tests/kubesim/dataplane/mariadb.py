"""A real MariaDB server (mariadbd) for a kubesim pod of the `mariadb` image.

    db = MariaDB(state_dir, bind_ip="127.1.0.20", port=3306,
                 env={"MYSQL_ROOT_PASSWORD": "pw", "MYSQL_DATABASE": "shop",
                      "MYSQL_USER": "app", "MYSQL_PASSWORD": "apppw"})
    db.start(); db.wait_ready(30)
    db.sql("SELECT COUNT(*) FROM mysql.user")
    db.stop()

First start initialises the datadir (`mariadb-install-db --no-defaults`) and, like the official image's
entrypoint, creates the root password, database and user from MYSQL_* / MARIADB_* variables. That
SQL runs through `--init-file` on that first start, before the server handles any connection.
An exporter user gets `GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.*`.
root@localhost keeps unix-socket authentication, so the tools here talk to the server as root through
its socket whatever the root password is.
"""

import os
import secrets
import socket
import subprocess

from . import procs

__all__ = ["MariaDB", "MariaDBConfigError"]


class MariaDBConfigError(ValueError):
    """The environment is not one the official image would start with."""


def _sql_str(s):
    return "'" + str(s).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql_ident(s):
    return "`" + str(s).replace("`", "``") + "`"


def _env(env, name):
    """MARIADB_<name> wins over MYSQL_<name>, as in the official image."""
    for prefix in ("MARIADB_", "MYSQL_"):
        v = env.get(prefix + name)
        if v is not None and v != "":
            return v
    return None


class MariaDB:
    """One mariadbd on bind_ip:port with its datadir, socket, pid file and logs under state_dir.

    MariaDB(state_dir, bind_ip="127.0.0.1", port=3306, env=None, exporter_user="exporter",
            exporter_password="exporter", buffer_pool="64M", extra_args=())
      env: a pod's environment (MYSQL_ROOT_PASSWORD / MYSQL_ALLOW_EMPTY_PASSWORD /
           MYSQL_RANDOM_ROOT_PASSWORD, MYSQL_ROOT_HOST, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD, and
           the MARIADB_* spellings). With an env dict and none of the root-password options, start()
           fails like the image does; env=None means "no checks, root by socket only".
      init_datadir() -> bool   start(timeout=30)   wait_ready(timeout=30)   stop(grace=30)   running()
      sql(statement, database=None, timeout=10) -> str      query(statement) -> [[str]]
      write_client_cnf(path, user, password) -> path  (a [client] file for TCP clients)
      .socket_path .datadir .pid_path .error_log .generated_root_password
    """

    def __init__(self, state_dir, bind_ip="127.0.0.1", port=3306, env=None, exporter_user="exporter",
                 exporter_password="exporter", buffer_pool="64M", extra_args=(), mariadbd_bin="mariadbd",
                 install_db_bin="mariadb-install-db", client_bin="mariadb"):
        self.state_dir = os.path.abspath(state_dir)
        os.makedirs(self.state_dir, exist_ok=True)
        self.bind_ip = bind_ip
        self.port = int(port)
        self.env = dict(env) if env is not None else None
        self.exporter_user = exporter_user
        self.exporter_password = exporter_password
        self.buffer_pool = buffer_pool
        self.extra_args = list(extra_args)
        self.mariadbd_bin = mariadbd_bin
        self.install_db_bin = install_db_bin
        self.client_bin = client_bin
        self.datadir = os.path.join(self.state_dir, "data")
        self.tmpdir = os.path.join(self.state_dir, "tmp")
        self.socket_path = procs.socket_path(self.state_dir, "mysqld.sock")
        self.pid_path = os.path.join(self.state_dir, "mariadbd.pid")
        self.error_log = os.path.join(self.state_dir, "error.log")
        self.log_path = os.path.join(self.state_dir, "mariadbd.out")
        self.init_file = os.path.join(self.state_dir, "init.sql")
        self.generated_root_password = None
        self.proc = None

    # ------------------------------------------------------------------ setup

    def initialized(self):
        return os.path.isdir(os.path.join(self.datadir, "mysql"))

    def init_datadir(self):
        """Creates the system tables if the datadir is new. Returns True if it did."""
        if self.initialized():
            return False
        os.makedirs(self.datadir, exist_ok=True)
        os.makedirs(self.tmpdir, exist_ok=True)
        r = subprocess.run(
            [self.install_db_bin, "--no-defaults", "--datadir=" + self.datadir, "--user=root",
             "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        with open(os.path.join(self.state_dir, "install-db.log"), "w") as f:
            f.write(r.stdout)
        if r.returncode != 0:
            raise RuntimeError("mariadb-install-db failed (%d):\n%s" % (r.returncode, r.stdout[-2000:]))
        return True

    def _init_sql(self):
        """The official entrypoint's first-start SQL, one statement per line."""
        env = self.env if self.env is not None else {}
        root_pw = _env(env, "ROOT_PASSWORD")
        allow_empty = _env(env, "ALLOW_EMPTY_ROOT_PASSWORD") or env.get("MYSQL_ALLOW_EMPTY_PASSWORD")
        random_pw = _env(env, "RANDOM_ROOT_PASSWORD")
        if self.env is not None and not (root_pw or allow_empty or random_pw):
            raise MariaDBConfigError(
                "Database is uninitialized and password option is not specified\n"
                "You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, "
                "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD")
        if random_pw and not root_pw:
            root_pw = secrets.token_urlsafe(24)
            self.generated_root_password = root_pw
        root_host = _env(env, "ROOT_HOST") or "%"
        stmts = [
            "DROP USER IF EXISTS ''@'localhost';",
            "DROP USER IF EXISTS ''@%s;" % _sql_str(socket.gethostname()),
            "DROP DATABASE IF EXISTS test;",
        ]
        if root_pw:
            stmts.append("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password "
                         "USING PASSWORD(%s);" % _sql_str(root_pw))
        if root_host != "localhost":
            if root_pw:
                stmts.append("CREATE USER IF NOT EXISTS 'root'@%s IDENTIFIED BY %s;"
                             % (_sql_str(root_host), _sql_str(root_pw)))
            else:
                stmts.append("CREATE USER IF NOT EXISTS 'root'@%s;" % _sql_str(root_host))
            stmts.append("GRANT ALL ON *.* TO 'root'@%s WITH GRANT OPTION;" % _sql_str(root_host))
        db = _env(env, "DATABASE")
        if db:
            stmts.append("CREATE DATABASE IF NOT EXISTS %s;" % _sql_ident(db))
        user, pw = _env(env, "USER"), _env(env, "PASSWORD")
        if user and user != "root":
            if pw:
                stmts.append("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s;" % (_sql_str(user), _sql_str(pw)))
            else:
                stmts.append("CREATE USER IF NOT EXISTS %s@'%%';" % _sql_str(user))
            if db:
                stmts.append("GRANT ALL ON %s.* TO %s@'%%';" % (_sql_ident(db), _sql_str(user)))
        if self.exporter_user:
            stmts.append("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS 5;"
                         % (_sql_str(self.exporter_user), _sql_str(self.exporter_password or "")))
            stmts.append("GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO %s@'%%';"
                         % _sql_str(self.exporter_user))
        stmts.append("FLUSH PRIVILEGES;")
        return "\n".join(stmts) + "\n"

    # ------------------------------------------------------------------ process

    def running(self):
        return self.proc is not None and self.proc.running()

    def start(self, timeout=30.0):
        """Initialises the datadir if needed, starts mariadbd, and (timeout > 0) waits until it answers."""
        if self.running():
            return self
        first = not self.initialized()
        init_sql = self._init_sql() if first else None   # raises before anything is created
        self.init_datadir()
        os.makedirs(self.tmpdir, exist_ok=True)
        args = [self.mariadbd_bin, "--no-defaults", "--datadir=" + self.datadir, "--user=root",
                "--socket=" + self.socket_path, "--port=%d" % self.port, "--bind-address=" + self.bind_ip,
                "--pid-file=" + self.pid_path, "--log-error=" + self.error_log, "--tmpdir=" + self.tmpdir,
                "--skip-name-resolve", "--innodb-buffer-pool-size=" + self.buffer_pool,
                "--max-connections=200"]
        if init_sql is not None:
            fd = os.open(self.init_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(init_sql)
            args.append("--init-file=" + self.init_file)
        args += self.extra_args
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
        self.proc = procs.Process("mariadbd", args, log_path=self.log_path).start()
        if timeout:
            self.wait_ready(timeout)
        return self

    def ping(self):
        """True if the server answers a query on its socket."""
        try:
            return self.sql("SELECT 1", timeout=3).strip() == "1"
        except (RuntimeError, subprocess.TimeoutExpired, OSError):
            return False

    def wait_ready(self, timeout=30.0):
        def ready():
            if not self.running():
                raise RuntimeError("mariadbd exited (status %s):\n%s" % (self.proc.returncode, self._error_tail()))
            return self.ping() and procs.tcp_open(self.bind_ip, self.port)
        procs.wait_until(ready, timeout, interval=0.05, what="mariadbd to answer")
        if os.path.exists(self.init_file):
            os.unlink(self.init_file)     # the passwords need not stay on disk
        return True

    def stop(self, grace=30.0):
        """SIGTERM (a clean InnoDB shutdown), SIGKILL after `grace` s."""
        if self.proc is None:
            return None
        rc = self.proc.stop(grace)
        self.proc = None
        return rc

    def _error_tail(self, n=20):
        try:
            with open(self.error_log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # ------------------------------------------------------------------ clients

    def sql(self, statement, database=None, timeout=10.0):
        """Runs SQL as root over the unix socket; returns the tab-separated output without headers."""
        args = [self.client_bin, "--no-defaults", "--protocol=socket", "--socket=" + self.socket_path,
                "-uroot", "-N", "-B", "-e", statement]
        if database:
            args.append(database)
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("mariadb client failed: %s" % r.stderr.strip())
        return r.stdout

    def query(self, statement, database=None):
        return [line.split("\t") for line in self.sql(statement, database).splitlines()]

    def write_client_cnf(self, path, user, password, host=None):
        """A [client] option file for a TCP client of this server (mode 600)."""
        text = "[client]\nuser=%s\npassword=%s\nhost=%s\nport=%d\n" % (user, password, host or self.bind_ip,
                                                                         self.port)
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        return path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
