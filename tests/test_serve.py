"""The prover daemon (zk.serve): a real server on a temporary Unix socket, a real client."""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading

import pytest

from zk.formats.snarkjs import read_proof, read_public, read_vkey
from zk.formats.circom import read_r1cs, read_wtns, write_wtns
from zk.formats import keyfile
from zk.groth16 import setup, verify
from zk.serve import client
from zk.serve.protocol import encode
from zk.serve.server import ProverServer, ServeError, peer_allowed

DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"
ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("serve")
    pk, vk = setup(read_r1cs(DATA / "mul.r1cs"))
    keyfile.save(pk, d / "mul.pk")
    shutil.copy(DATA / "mul.wtns", d / "mul.wtns")
    return d, vk


_LOG_LINE = re.compile(r"(loaded /\S+\.pk in [\d.]+ s|proved with /\S+\.pk in [\d.]+ s|\w+: refused \([\d.]+ s\)"
                       r"|listening on \S+ \(mode 0600, uid \d+ only\)|stop requested|stopped)")


def _assert_log_holds_no_witness_data(lines):
    """Every log line is one of the server's fixed forms: key paths and timings, nothing else."""
    assert lines
    for line in lines:
        assert _LOG_LINE.fullmatch(line), line


def _short_socket_path(tmp_path) -> str:
    # sun_path is limited to 108 bytes; pytest's tmp paths can be longer.
    return os.path.join(str(tmp_path) if len(str(tmp_path)) < 80 else "/tmp", f"zk-{os.getpid()}-{id(tmp_path)}.sock")


@pytest.fixture
def server(tmp_path):
    path = _short_socket_path(tmp_path)
    lines = []
    srv = ProverServer(path, log=lines.append)
    srv.bind()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv, lines
    srv.stop()
    thread.join(10)
    assert not os.path.exists(path)


def test_socket_is_private(server):
    srv, _ = server
    mode = os.stat(srv.socket_path).st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600


def test_prove_verifies_and_never_logs_the_witness(server, keys, tmp_path):
    srv, lines = server
    d, vk = keys
    reply = client.prove(srv.socket_path, str(d / "mul.pk"), str(d / "mul.wtns"), str(tmp_path / "proof.json"), str(tmp_path / "public.json"))
    assert reply["ok"] and reply["prove_seconds"] > 0
    public = read_public(tmp_path / "public.json")
    assert public == [168, 3]
    assert verify(vk, public, read_proof(tmp_path / "proof.json"))
    # a second proof reuses the loaded key and is freshly randomized
    client.prove(srv.socket_path, str(d / "mul.pk"), str(d / "mul.wtns"), str(tmp_path / "p2.json"), str(tmp_path / "q2.json"))
    assert json.loads((tmp_path / "p2.json").read_text()) != json.loads((tmp_path / "proof.json").read_text())
    assert sum("loaded" in line for line in lines) == 1
    _assert_log_holds_no_witness_data(lines)


def test_bad_witness_is_one_line_and_not_logged(server, keys, tmp_path):
    srv, lines = server
    d, _ = keys
    witness = read_wtns(d / "mul.wtns")
    witness[3] = (witness[3] + 1)  # satisfies the format, breaks a constraint
    write_wtns(witness, tmp_path / "bad.wtns")
    with pytest.raises(client.ServerRefused) as info:
        client.prove(srv.socket_path, str(d / "mul.pk"), str(tmp_path / "bad.wtns"), str(tmp_path / "p.json"), str(tmp_path / "q.json"))
    assert info.value.exit == 2 and "\n" not in str(info.value)
    assert not (tmp_path / "p.json").exists()
    _assert_log_holds_no_witness_data(lines)


@pytest.mark.parametrize("message, needle", [
    ({"op": "prove", "key": "relative.pk", "witness": "/w", "proof": "/p", "public": "/q"}, "absolute path"),
    ({"op": "prove", "key": "/nonexistent/x.pk", "witness": "/w", "proof": "/p", "public": "/q"}, "cannot read proving key"),
    ({"op": "launch"}, "unknown op"),
    ({"op": "prove"}, "non-empty path"),
])
def test_bad_requests(server, message, needle):
    srv, _ = server
    with pytest.raises(client.ServerRefused) as info:
        client.request(srv.socket_path, message)
    assert info.value.exit == 2 and needle in str(info.value)


def test_garbage_line_does_not_kill_the_server(server):
    srv, _ = server
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(srv.socket_path)
        s.sendall(b"\xff{not json\n")
        reply = json.loads(s.recv(4096).decode())
    assert reply["ok"] is False and reply["exit"] == 2
    assert client.ping(srv.socket_path)["ok"]


def test_corrupt_key_is_refused(server, keys, tmp_path):
    srv, _ = server
    d, _ = keys
    data = bytearray((d / "mul.pk").read_bytes())
    data[-1] ^= 1
    (tmp_path / "bad.pk").write_bytes(bytes(data))
    with pytest.raises(client.ServerRefused) as info:
        client.request(srv.socket_path, {"op": "load", "key": str(tmp_path / "bad.pk")})
    assert info.value.exit == 2 and "checksum" in str(info.value)


def test_peer_uid_rule():
    assert peer_allowed(1000, 1000)
    assert not peer_allowed(0, 1000) and not peer_allowed(1001, 1000)


def test_refuses_to_replace_a_file_or_a_live_server(server, tmp_path):
    srv, _ = server
    with pytest.raises(ServeError, match="already listening"):
        ProverServer(srv.socket_path, log=lambda _l: None).bind()
    plain = tmp_path / "not-a-socket"
    plain.write_text("x")
    with pytest.raises(ServeError, match="not a socket"):
        ProverServer(str(plain), log=lambda _l: None).bind()


def test_stale_socket_is_replaced(tmp_path):
    path = _short_socket_path(tmp_path)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()  # the file stays, nobody listens
    srv = ProverServer(path, log=lambda _l: None)
    srv.bind()
    srv.stop()
    srv._close()
    assert not os.path.exists(path)


def test_daemon_process_and_thin_client(keys, tmp_path):
    """python -m zk.serve in a subprocess; the client module loads without numpy or numba."""
    d, vk = keys
    path = _short_socket_path(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "zk.serve", path, str(d / "mul.pk")], env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "listening on" in line:
                break
        else:
            pytest.fail(f"server exited with {proc.wait()}")
        code = ("import sys; from zk.serve import client; "
                f"r = client.prove({path!r}, {str(d / 'mul.pk')!r}, {str(d / 'mul.wtns')!r}, {str(tmp_path / 'p.json')!r}, {str(tmp_path / 'q.json')!r}); "
                "assert r['ok']; heavy = [m for m in ('numpy', 'numba') if m in sys.modules]; print(heavy)")
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"
        assert verify(vk, read_public(tmp_path / "q.json"), read_proof(tmp_path / "p.json"))
        client.stop(path)
        assert proc.wait(30) == 0
        assert not os.path.exists(path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_prove_through_the_server(server, keys, tmp_path):
    from click.testing import CliRunner

    from zk.cli import _register_commands, cli

    _register_commands()
    srv, _ = server
    d, vk = keys
    result = CliRunner().invoke(cli, ["prove", str(d / "mul.pk"), str(d / "mul.wtns"), str(tmp_path / "p.json"),
                                      str(tmp_path / "q.json"), "--server", srv.socket_path, "-v"])
    assert result.exit_code == 0, result.output
    assert "proved" in result.output
    assert verify(vk, read_public(tmp_path / "q.json"), read_proof(tmp_path / "p.json"))
    result = CliRunner().invoke(cli, ["prove", str(d / "mul.pk"), str(d / "public.json"), str(tmp_path / "p.json"),
                                      str(tmp_path / "q.json"), "--server", srv.socket_path])
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["prove", str(d / "mul.pk"), str(d / "mul.wtns"), str(tmp_path / "p.json"),
                                      str(tmp_path / "q.json"), "--server", str(tmp_path / "nobody.sock")])
    assert result.exit_code == 2 and "no zk server" in result.output


def test_cli_start_up_imports_neither_numpy_nor_numba():
    code = ("import sys; from zk.cli import _register_commands; _register_commands(); "
            "print([m for m in ('numpy', 'numba') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
