"""Loopback plumbing shared by the test servers: dead ports and byte pipes."""
from __future__ import annotations

import select
import socket

__all__ = ["closed_port", "pipe"]


def closed_port() -> int:
    """A loopback port nothing listens on (bound once, then released): connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes or 30 s pass in silence; closes ``b``."""
    a.settimeout(None)
    b.settimeout(None)
    sockets = [a, b]
    try:
        for s in sockets:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                # ACK at once: a client that leaves Nagle on (urllib3's tunnelled sockets do) would
                # otherwise hold a request's body until our delayed ACK, 40 ms per request
                if hasattr(socket, "TCP_QUICKACK"):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()


class CannedReply:
    """An HTTP(S) server on 127.0.0.1 answering every POST with one fixed 200 reply.

    For the "a service answered, but not with what the client expects" cases;
    use it as a context manager, ``port`` is where it listens.
    """

    def __init__(self, body: bytes, content_type: str, cert: tuple[str, str] | None = None) -> None:
        import ssl
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if cert is not None:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(*cert)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def __enter__(self) -> "CannedReply":
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
