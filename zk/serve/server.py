"""The warm prover: a local daemon that loads proving keys once and proves on request.

A fresh ``zk prove`` pays imports, numba's cache loading and the key load before any proving;
the daemon pays them once. It listens on a Unix socket created with mode 0600 (the umask is
tightened around ``bind`` so there is no window where the socket is open to others) and also
asks the kernel who is calling (``SO_PEERCRED``): a peer whose uid is not the server's is
refused, in case the socket's directory or mode was loosened afterwards.

Witnesses are secrets: the server logs the operation, the key and the time taken, never witness
values, paths of witness files, or the text of an input error (which may quote a value); the
error goes back to the caller only, exactly as the CLI would print it.
"""
from __future__ import annotations

import os
import socket
import stat
import struct
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .protocol import ProtocolError, decode, encode, read_line

# An idle connection is dropped after this long, so a stuck client cannot hold a thread forever.
IDLE_TIMEOUT_S = 300.0
_PEERCRED = struct.Struct("3i")  # struct ucred {pid_t pid; uid_t uid; gid_t gid;}


class ServeError(Exception):
    """The daemon cannot start: the socket path is taken or unusable."""


class RequestError(Exception):
    """A request the server refuses; ``exit`` is the status the CLI would have used."""

    def __init__(self, message: str, exit: int = 2):
        super().__init__(message)
        self.exit = exit


def peer_uid(conn: socket.socket) -> int:
    """The uid of the process on the other end of a connected Unix socket (Linux SO_PEERCRED)."""
    raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    return _PEERCRED.unpack(raw)[1]


def peer_allowed(uid: int, server_uid: int) -> bool:
    """Only the server's own user may ask it for proofs (root is not special-cased: a root
    client can read the key file and run its own prover)."""
    return uid == server_uid


@dataclass
class _LoadedKey:
    identity: tuple  # (device, inode, size, mtime_ns): a rewritten key file is loaded again
    pk: object
    load_seconds: float


def _input_errors() -> tuple:
    """The errors the CLI turns into one line and exit status 2."""
    from zk.curve import CurveError
    from zk.formats.circom import CircomFormatError
    from zk.formats.snarkjs import SnarkjsFormatError
    from zk.groth16 import Groth16Error, QAPError
    from zk.r1cs import CircuitError, WitnessError

    return (CurveError, CircomFormatError, SnarkjsFormatError, Groth16Error, QAPError, CircuitError, WitnessError)


def read_witness(path: str) -> list[int]:
    """A circom/snarkjs .wtns file, or the JSON list of decimals ``snarkjs wtns export json`` writes,
    as ints (``zk bench`` writes them out again)."""
    from zk.formats.witness import read_witness as read

    values = read(path)
    return values if isinstance(values, list) else values.to_ints()


def write_atomic(path: str, text: str, mode: int = 0o644) -> None:
    """Write through a temporary file in the same directory and rename it into place."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}-{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _absolute(request: dict, field: str) -> str:
    value = request.get(field)
    if not isinstance(value, str) or not value:
        raise RequestError(f"request field {field!r} must be a non-empty path")
    if not os.path.isabs(value):
        raise RequestError(f"request field {field!r} must be an absolute path (the server's working directory is not the client's)")
    return value


class ProverServer:
    """Serve proofs on ``socket_path`` until :meth:`stop` (or a ``stop`` request).

    ``log`` receives one line per event (stderr by default); it never sees witness data.
    """

    def __init__(self, socket_path: str, *, keys: tuple[str, ...] = (), log: Callable[[str], None] | None = None):
        self.socket_path = os.path.abspath(socket_path)
        self.log = log or (lambda line: print(f"zk serve: {line}", file=sys.stderr, flush=True))
        self.uid = os.getuid()
        self._keys: dict[str, _LoadedKey] = {}
        self._keys_lock = threading.Lock()
        # Proofs run one at a time: each already uses every core, two at once would only thrash.
        self._prove_lock = threading.Lock()
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._threads: set[threading.Thread] = set()
        self._preload = tuple(keys)

    # ------------------------------------------------------------------ lifecycle
    def bind(self) -> None:
        path = self.socket_path
        self._clear_stale_socket(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            sock.bind(path)
        except OSError as exc:
            sock.close()
            raise ServeError(f"cannot listen on {path}: {exc.strerror or exc}") from None
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        sock.listen(16)
        sock.settimeout(0.2)  # lets serve_forever notice stop() without a wake-up connection
        self._sock = sock
        try:
            for key in self._preload:
                self._load(os.path.abspath(key))
        except RequestError as exc:
            self._close()
            raise ServeError(str(exc)) from None
        self.log(f"listening on {path} (mode 0600, uid {self.uid} only)")

    @staticmethod
    def _clear_stale_socket(path: str) -> None:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise ServeError(f"{path} exists and is not a socket; refusing to replace it")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)  # left behind by a server that died
            return
        finally:
            probe.close()
        raise ServeError(f"a server is already listening on {path}")

    def serve_forever(self) -> None:
        if self._sock is None:
            self.bind()
        try:
            while not self._stopping.is_set():
                try:
                    conn, _ = self._sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    if self._stopping.is_set():
                        break
                    raise
                thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
                self._threads.add(thread)
                thread.start()
        finally:
            self._close()

    def stop(self) -> None:
        self._stopping.set()

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass
            self.log("stopped")

    # ------------------------------------------------------------------ connections
    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                uid = peer_uid(conn)
                if not peer_allowed(uid, self.uid):
                    self.log(f"refused a connection from uid {uid}")
                    conn.sendall(encode({"ok": False, "error": f"this server only serves uid {self.uid}", "exit": 2}))
                    return
                conn.settimeout(IDLE_TIMEOUT_S)
                buffer = bytearray()
                while not self._stopping.is_set():
                    try:
                        line = read_line(conn, buffer)
                    except ProtocolError as exc:
                        conn.sendall(encode({"ok": False, "error": f"bad request: {exc}", "exit": 2}))
                        return
                    if line is None:
                        return
                    conn.sendall(encode(self.handle_request(line)))
        except (OSError, socket.timeout):
            pass  # the client went away; nothing to answer
        finally:
            self._threads.discard(threading.current_thread())

    def handle_request(self, line: bytes) -> dict:
        start = time.perf_counter()
        op = "?"
        try:
            request = decode(line)
            op = request.get("op")
            handler = {"ping": self._ping, "load": self._op_load, "prove": self._op_prove, "stop": self._op_stop}.get(op)
            if handler is None:
                raise RequestError(f"unknown op {op!r} (known: ping, load, prove, stop)")
            reply = handler(request)
            reply["ok"] = True
            reply["server_seconds"] = time.perf_counter() - start
            return reply
        except ProtocolError as exc:
            self.log(f"{op}: malformed request")
            return {"ok": False, "error": f"bad request: {exc}", "exit": 2}
        except RequestError as exc:
            self.log(f"{op}: refused ({time.perf_counter() - start:.3f} s)")
            return {"ok": False, "error": str(exc), "exit": exc.exit}
        except Exception as exc:  # noqa: BLE001 - one bad request must not take the daemon down
            # The message may quote witness values: it goes to the caller only, never the log.
            self.log(f"{op}: failed with {type(exc).__name__}")
            return {"ok": False, "error": f"internal error: {type(exc).__name__}: {exc}", "exit": 1}

    # ------------------------------------------------------------------ operations
    def _ping(self, request: dict) -> dict:
        return {"pid": os.getpid(), "keys": sorted(self._keys)}

    def _op_stop(self, request: dict) -> dict:
        self.log("stop requested")
        self.stop()
        return {}

    def _op_load(self, request: dict) -> dict:
        path = _absolute(request, "key")
        entry = self._load(path)
        pk = entry.pk
        return {"key": path, "load_seconds": entry.load_seconds, "n_wires": pk.n_wires,
                "n_constraints": pk.matrices.n_constraints, "n_public": pk.matrices.n_public}

    def _load(self, path: str) -> _LoadedKey:
        try:
            st = os.stat(path)
        except OSError as exc:
            raise RequestError(f"cannot read proving key {path!r}: {exc.strerror or exc}") from None
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._keys_lock:
            entry = self._keys.get(path)
            if entry is not None and entry.identity == identity:
                return entry
            from zk.formats import keyfile

            start = time.perf_counter()
            try:
                pk = keyfile.load(path)
            except _input_errors() as exc:
                raise RequestError(str(exc)) from None
            entry = _LoadedKey(identity, pk, time.perf_counter() - start)
            self._keys[path] = entry
        self.log(f"loaded {path} in {entry.load_seconds:.3f} s")
        return entry

    def _op_prove(self, request: dict) -> dict:
        key_path = _absolute(request, "key")
        witness_path = _absolute(request, "witness")
        proof_path = _absolute(request, "proof")
        public_path = _absolute(request, "public")
        from zk.formats.snarkjs import dumps, proof_to_json, public_to_json
        from zk.groth16 import prove

        entry = self._load(key_path)
        errors = _input_errors()
        with self._prove_lock:
            t0 = time.perf_counter()
            try:
                values = read_witness(witness_path)
                t1, cpu1 = time.perf_counter(), time.process_time()
                proof, public = prove(entry.pk, values)
            except errors as exc:
                raise RequestError(str(exc)) from None
            del values
            # Process CPU time: proofs run one at a time, so this is the proof's own (all threads).
            t2, cpu2 = time.perf_counter(), time.process_time()
        try:
            write_atomic(proof_path, dumps(proof_to_json(proof)))
            write_atomic(public_path, dumps(public_to_json(public)))
        except OSError as exc:
            raise RequestError(f"cannot write {exc.filename or proof_path}: {exc.strerror or exc}") from None
        t3 = time.perf_counter()
        self.log(f"proved with {key_path} in {t2 - t1:.3f} s")
        return {"read_witness_seconds": t1 - t0, "prove_seconds": t2 - t1, "prove_cpu_seconds": cpu2 - cpu1,
                "write_seconds": t3 - t2, "n_public": len(public)}


def serve(socket_path: str, keys: tuple[str, ...] = (), log: Callable[[str], None] | None = None) -> None:
    """Run a server in this thread until SIGINT/SIGTERM or a ``stop`` request."""
    import signal

    server = ProverServer(socket_path, keys=keys, log=log)
    server.bind()

    def _stop(signum, frame):
        server.stop()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
