"""The prover daemon's wire protocol: one JSON object per line each way, over a Unix socket.

Requests (``op`` picks the operation; paths are resolved by the client, so they are absolute):

    {"op": "ping"}
    {"op": "load", "key": "/abs/circuit.pk"}                       -> key summary
    {"op": "prove", "key": ..., "witness": "/abs/w.wtns",
     "proof": "/abs/proof.json", "public": "/abs/public.json"}     -> timings, public signals
    {"op": "stop"}

Replies: ``{"ok": true, ...}`` or ``{"ok": false, "error": "one line", "exit": 2}`` (2: bad input,
as the CLI says it; 1: the server failed). This module imports only the standard library: the
client (``zk prove --server``) must start without numpy or numba.
"""
from __future__ import annotations

import json
import socket

# A request is a handful of paths; anything longer is not a client of ours.
MAX_LINE = 1 << 16
ENCODING = "utf-8"


class ProtocolError(ValueError):
    """A line that is not one JSON object of the expected shape."""


def encode(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode(ENCODING) + b"\n"


def decode(line: bytes) -> dict:
    try:
        message = json.loads(line.decode(ENCODING))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"not a JSON line: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def read_line(sock: socket.socket, buffer: bytearray) -> bytes | None:
    """The next newline-terminated line (without the newline), or None at end of stream.
    ``buffer`` carries bytes received past the line to the next call."""
    while True:
        end = buffer.find(b"\n")
        if end >= 0:
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            return line
        if len(buffer) > MAX_LINE:
            raise ProtocolError(f"message longer than {MAX_LINE} bytes")
        chunk = sock.recv(65536)
        if not chunk:
            if buffer:
                raise ProtocolError("connection closed in the middle of a message")
            return None
        buffer += chunk
