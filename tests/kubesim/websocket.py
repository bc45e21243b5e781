"""Server-side WebSocket (RFC 6455) for kubesim's streaming subresources, standard library only.

    ws = websocket.accept(handler, ["v5.channel.k8s.io", "v4.channel.k8s.io"])   # None: not an upgrade
    ws.protocol                 the negotiated subprotocol ("" when the client offered none we know)
    ws.send(data, binary=True)  one frame (thread-safe)
    ws.recv(timeout)            -> (opcode, payload) | None on timeout; raises Closed at the end
    ws.close(code=1000)

The handler's socket is a TLS socket shared by a reader and writers: every SSL call is made under one
lock, and the reader only calls recv() after select() (or the SSL layer's pending()) said data is
there, so a writer never waits long behind it.
"""
import base64
import hashlib
import os
import select
import socket
import ssl
import struct
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BIN, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    pass


def is_upgrade(headers):
    return "websocket" in (headers.get("Upgrade") or "").lower() and \
        "upgrade" in (headers.get("Connection") or "").lower()


def offered_protocols(headers):
    out = []
    for v in headers.get_all("Sec-WebSocket-Protocol") or []:
        out += [p.strip() for p in v.split(",") if p.strip()]
    return out


def accept(handler, supported, allow_none=True):
    """Completes the handshake if the request is a WebSocket upgrade and one of `supported` (in the
    server's order of preference) was offered (or none was and allow_none). Returns a WebSocket, or
    None when the request is not an upgrade. Raises ValueError when no protocol matches."""
    h = handler.headers
    if not is_upgrade(h):
        return None
    key = h.get("Sec-WebSocket-Key")
    if not key:
        raise ValueError("missing Sec-WebSocket-Key")
    offered = offered_protocols(h)
    proto = next((p for p in supported if p in offered), None)
    if proto is None and offered and not allow_none:
        raise ValueError("none of the offered subprotocols %s is supported (%s)" % (offered, ", ".join(supported)))
    if proto is None and offered and "" not in supported and not allow_none:
        raise ValueError("unsupported subprotocol")
    acc = base64.b64encode(hashlib.sha1(key.strip().encode() + GUID).digest()).decode()
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", acc)
    if proto:
        handler.send_header("Sec-WebSocket-Protocol", proto)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    return WebSocket(handler.connection, handler.rfile, proto or "")


class WebSocket:
    def __init__(self, sock, rfile, protocol):
        self.sock = sock
        self.rfile = rfile           # may hold bytes the HTTP parser read ahead
        self.protocol = protocol
        self.lock = threading.Lock()
        self.buf = b""
        self.closed = False
        self.sent_close = False
        self._frag = None
        # (a client must wait for the 101 before sending frames, so the HTTP layer holds nothing)

    # ---- sending ----------------------------------------------------------------------
    def send(self, data, binary=True, opcode=None):
        if isinstance(data, str):
            data = data.encode()
        op = opcode if opcode is not None else (OP_BIN if binary else OP_TEXT)
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x80 | op, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | op, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | op, 127, n)
        with self.lock:
            if self.sent_close:
                raise Closed("closed")
            self._sendall(head + data)
            if op == OP_CLOSE:
                self.sent_close = True

    def _sendall(self, data):
        view = memoryview(data)
        while view:
            try:
                n = self.sock.send(view)
                view = view[n:]
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, socket.timeout, BlockingIOError):
                select.select([], [self.sock], [], 0.2)

    def close(self, code=1000, reason=""):
        try:
            self.send(struct.pack("!H", code) + reason.encode()[:120], opcode=OP_CLOSE)
        except (Closed, OSError, ValueError):
            pass

    # ---- receiving --------------------------------------------------------------------
    def _fill(self, timeout):
        """Reads more bytes into self.buf; False on timeout. Raises Closed on EOF."""
        pending = 0
        try:
            pending = self.sock.pending() if hasattr(self.sock, "pending") else 0
        except (OSError, ValueError):
            pending = 0
        if not pending:
            try:
                r, _, _ = select.select([self.sock], [], [], timeout)
            except (OSError, ValueError):
                raise Closed("socket closed")
            if not r:
                return False
        with self.lock:
            old = self.sock.gettimeout()
            self.sock.settimeout(0.2)
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError, BlockingIOError):
                return False
            except (OSError, ValueError) as e:
                raise Closed(str(e))
            finally:
                try:
                    self.sock.settimeout(old)
                except OSError:
                    pass
        if not data:
            raise Closed("eof")
        self.buf += data
        return True

    def _need(self, n, deadline):
        """Fills the buffer to n bytes; False if the deadline (None: none) passed first."""
        while len(self.buf) < n:
            if deadline is None:
                self._fill(0.5)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._fill(min(left, 0.5))
        return True

    def recv(self, timeout=None):
        """The next data message as (opcode, payload); answers pings, returns None on timeout,
        raises Closed once the peer closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.closed:
                raise Closed("closed")
            if not self._need(2, deadline):
                return None
            b0, b1 = self.buf[0], self.buf[1]
            n = b1 & 0x7F
            off = 2
            if n == 126:
                self._need(4, None)
                n = struct.unpack("!H", self.buf[2:4])[0]
                off = 4
            elif n == 127:
                self._need(10, None)
                n = struct.unpack("!Q", self.buf[2:10])[0]
                off = 10
            masked = b1 & 0x80
            if masked:
                self._need(off + 4, None)
                mask = self.buf[off:off + 4]
                off += 4
            self._need(off + n, None)
            payload = self.buf[off:off + n]
            self.buf = self.buf[off + n:]
            if masked:
                payload = _unmask(payload, mask)
            fin, op = b0 & 0x80, b0 & 0x0F
            if op == OP_PING:
                try:
                    self.send(payload, opcode=OP_PONG)
                except (Closed, OSError):
                    pass
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                self.closed = True
                if not self.sent_close:
                    code = payload[:2] if len(payload) >= 2 else struct.pack("!H", 1000)
                    try:
                        self.send(code, opcode=OP_CLOSE)
                    except (Closed, OSError):
                        pass
                raise Closed("peer closed")
            if op == OP_CONT:
                if self._frag is None:
                    continue
                self._frag[1] += payload
                if fin:
                    msg, self._frag = self._frag, None
                    return msg[0], bytes(msg[1])
                continue
            if not fin:
                self._frag = [op, bytearray(payload)]
                continue
            return op, payload


def _unmask(data, mask):
    n = len(data)
    if not n:
        return b""
    m = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(data, "big") ^ m).to_bytes(n, "big")


def client_key():
    return base64.b64encode(os.urandom(16)).decode()
