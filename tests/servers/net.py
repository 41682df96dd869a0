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
