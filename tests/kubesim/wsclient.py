#!/usr/bin/env python3
"""A tiny WebSocket client for kubesim's streaming subresources (standard library only; used by
tests/e2e/kubelet_gate.sh to exercise what kubectl does not: logs over WebSocket and exec over
v4.channel.k8s.io).

    wsclient.py STATE_DIR PROTOCOL PATH?QUERY [--stdin TEXT]

Connects with the admin token and the state dir's CA, prints each received message as
`<channel> <data>` (channel protocols: first byte; binary.k8s.io: `raw`; base64.binary.k8s.io: the
decoded text, channel `b64`), and exits 0 once the server closed the stream.
"""
import base64
import os
import socket
import ssl
import struct
import sys


def frame(op, data):
    mask = os.urandom(4)
    n = len(data)
    head = bytes([0x80 | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def main():
    state, proto, path = sys.argv[1], sys.argv[2], sys.argv[3]
    stdin = None
    if "--stdin" in sys.argv:
        stdin = sys.argv[sys.argv.index("--stdin") + 1].encode()
    port = int(open(os.path.join(state, "port")).read())
    token = open(os.path.join(state, "admin.token")).read().strip()
    ctx = ssl.create_default_context(cafile=os.path.join(state, "ca.crt"))
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="127.0.0.1")
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: %s\r\n\r\n") % (path, port, token, key, proto)
    s.sendall(req.encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            print("no handshake answer", file=sys.stderr)
            return 1
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n")[0].decode()
    if " 101 " not in status + " ":
        print(status, file=sys.stderr)
        print(head.decode(errors="replace"), buf.decode(errors="replace"), file=sys.stderr)
        return 1
    chosen = [ln.split(b":", 1)[1].strip().decode() for ln in head.split(b"\r\n")
              if ln.lower().startswith(b"sec-websocket-protocol:")]
    print("protocol %s" % (chosen[0] if chosen else ""))
    if stdin is not None:
        s.sendall(frame(0x2, b"\x00" + stdin))
        if proto.startswith("v5."):
            s.sendall(frame(0x2, b"\xff\x00"))     # v5: close stdin

    def need(n):
        nonlocal buf
        while len(buf) < n:
            d = s.recv(65536)
            if not d:
                raise EOFError
            buf += d
    try:
        while True:
            need(2)
            op, n = buf[0] & 0x0F, buf[1] & 0x7F
            off = 2
            if n == 126:
                need(4)
                n, off = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                need(10)
                n, off = struct.unpack("!Q", buf[2:10])[0], 10
            need(off + n)
            data, buf = buf[off:off + n], buf[off + n:]
            if op == 0x8:
                print("close %d" % (struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 0))
                return 0
            if proto.endswith("channel.k8s.io"):
                if data:
                    print("%d %s" % (data[0], data[1:].decode(errors="replace").rstrip("\n")))
            elif proto == "base64.binary.k8s.io":
                print("b64 %s" % base64.b64decode(data).decode(errors="replace").rstrip("\n"))
            else:
                print("raw %s" % data.decode(errors="replace").rstrip("\n"))
    except EOFError:
        print("eof")
        return 0


if __name__ == "__main__":
    sys.exit(main())
