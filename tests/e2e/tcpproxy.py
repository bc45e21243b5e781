#!/usr/bin/env python3
"""A TCP forwarder for tests that must cut connections: listens on 127.0.0.1:LISTEN, forwards every
connection to 127.0.0.1:TARGET, and drops all current connections on SIGUSR1 (new ones are still
accepted), the way a flaky network or a load balancer restart cuts a long-lived stream.
Usage: tcpproxy.py LISTEN_PORT TARGET_PORT PORT_FILE (the chosen port is written there; 0 = any)."""
import os
import selectors
import signal
import socket
import sys
import threading

conns = set()
lock = threading.Lock()


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client, target):
    try:
        upstream = socket.create_connection(("127.0.0.1", target), timeout=10)
    except OSError:
        client.close()
        return
    upstream.settimeout(None)
    with lock:
        conns.update((client, upstream))
    t = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    t.start()
    pump(client, upstream)
    t.join()
    with lock:
        conns.discard(client)
        conns.discard(upstream)
    client.close()
    upstream.close()


def drop_all(signum, frame):
    with lock:
        for s in list(conns):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    listen_port, target, port_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(64)
    signal.signal(signal.SIGUSR1, drop_all)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.replace(port_file + ".tmp", port_file)
    while True:
        try:
            client, _ = srv.accept()
        except InterruptedError:
            continue
        threading.Thread(target=handle, args=(client, target), daemon=True).start()


if __name__ == "__main__":
    main()
