"""A thin client for the prover daemon: the standard library only, so ``zk prove --server``
starts in the time Python and click take, without numpy or numba."""
from __future__ import annotations

import os
import socket

from .protocol import ProtocolError, decode, encode, read_line


class ServerUnavailable(OSError):
    """No server answers on the socket."""


class ServerRefused(Exception):
    """The server answered with an error; ``exit`` is the status the CLI should exit with."""

    def __init__(self, message: str, exit: int):
        super().__init__(message)
        self.exit = exit


def request(socket_path: str, message: dict, *, timeout: float | None = 600.0) -> dict:
    """Send one request and return the server's successful reply (raises :class:`ServerRefused`
    with the server's one-line error otherwise)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(socket_path)
        except OSError as exc:
            raise ServerUnavailable(f"no zk server on {socket_path}: {exc.strerror or exc}") from None
        sock.sendall(encode(message))
        buffer = bytearray()
        line = read_line(sock, buffer)
        if line is None:
            raise ServerUnavailable(f"the zk server on {socket_path} closed the connection without answering")
        reply = decode(line)
    except ProtocolError as exc:
        raise ServerRefused(f"unexpected answer from the zk server: {exc}", 1) from None
    except socket.timeout:
        raise ServerUnavailable(f"the zk server on {socket_path} did not answer within {timeout} s") from None
    finally:
        sock.close()
    if not reply.get("ok"):
        raise ServerRefused(str(reply.get("error", "the server refused the request")), int(reply.get("exit", 1)))
    return reply


def prove(socket_path: str, key: str, witness: str, proof: str, public: str, **kwargs) -> dict:
    """Ask the server to prove; paths are made absolute here (the server's cwd is not ours)."""
    paths = {name: os.path.abspath(path) for name, path in
             (("key", key), ("witness", witness), ("proof", proof), ("public", public))}
    return request(socket_path, {"op": "prove", **paths}, **kwargs)


def ping(socket_path: str, **kwargs) -> dict:
    return request(socket_path, {"op": "ping"}, **kwargs)


def stop(socket_path: str, **kwargs) -> dict:
    return request(socket_path, {"op": "stop"}, **kwargs)
