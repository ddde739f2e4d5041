"""The warm prover (zk serve) beside the in-process prover and a fresh `zk prove` process.

    .venv/bin/python bench/serve_latency.py --logs 9,14,16

For each size (the ``mul`` chain of bench/groth16_circuits.py), one daemon (``python -m zk.serve``)
holds the key; each round times, back to back so all see the same load: a proof in this process
(``zk.groth16.prove`` on the loaded key and witness), a proof through the daemon (the server's
own figure, and the client's whole process: Python start-up, the standard-library client, the
request), and a fresh ``zk prove`` process. Best of the rounds; load average printed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".numba_cache"))

from groth16_circuits import export  # noqa: E402

from zk.formats.circom import read_r1cs, read_wtns  # noqa: E402
from zk.groth16 import prove, setup  # noqa: E402
from zk.perf.bench import zk_command  # noqa: E402
from zk.perf.process import run_measured  # noqa: E402

try:
    from zk.formats import keyfile  # noqa: E402
except ImportError:  # before the proving-key file moved into zk.formats
    from zk.formats import keyfile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", default="9,14,16")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="zk-serve-") as tmp:
        tmp = Path(tmp)
        for log in (int(x) for x in args.logs.split(",")):
            e = export("mul", log, tmp)
            cs, witness = read_r1cs(e.r1cs), read_wtns(e.wtns)
            pk, _ = setup(cs)
            pk_path = tmp / f"mul_{log}.pk"
            keyfile.save(pk, pk_path)
            sock = str(tmp / f"s{log}.sock")
            server = subprocess.Popen([sys.executable, "-m", "zk.serve", sock, str(pk_path)], stderr=subprocess.PIPE, text=True)
            for line in server.stderr:
                if "listening on" in line:
                    break
            client_code = ("import sys; from zk.serve import client; "
                           f"r = client.prove({sock!r}, {str(pk_path)!r}, {str(e.wtns)!r}, {str(tmp / 'p.json')!r}, {str(tmp / 'q.json')!r}); "
                           "print(r['prove_seconds'], r['prove_cpu_seconds'], r['server_seconds'])")
            prove(pk, witness)
            inproc, inproc_cpu, served, served_cpu, client_wall, fresh, fresh_cpu = [], [], [], [], [], [], []
            try:
                for _ in range(args.rounds + 1):  # the first served proof warms the server's kernels
                    t, c = time.perf_counter(), time.process_time()
                    prove(pk, witness)
                    inproc.append(time.perf_counter() - t)
                    inproc_cpu.append(time.process_time() - c)
                    m = run_measured([sys.executable, "-c", client_code])
                    assert m.returncode == 0, m.stderr
                    served.append(float(m.stdout.split()[0]))
                    served_cpu.append(float(m.stdout.split()[1]))
                    client_wall.append(m.seconds)
                    m = run_measured([*zk_command(), "prove", str(pk_path), str(e.wtns), str(tmp / "p2.json"), str(tmp / "q2.json")])
                    assert m.returncode == 0, m.stderr
                    fresh.append(m.seconds)
                    fresh_cpu.append(m.cpu_s)
            finally:
                server.terminate()
                server.wait(30)
            row = {"log": log, "constraints": cs.n_constraints, "in_process_s": min(inproc), "in_process_cpu_s": min(inproc_cpu),
                   "server_prove_s": min(served[1:]), "server_prove_cpu_s": min(served_cpu[1:]),
                   "client_process_s": min(client_wall[1:]), "fresh_cli_s": min(fresh), "fresh_cli_cpu_s": min(x for x in fresh_cpu if x),
                   "load_average": os.getloadavg()[0]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("| constraints | in-process prove (wall / CPU) | zk serve, at the server (wall / CPU) | client process (whole) | fresh zk prove (wall / CPU) | load |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['constraints']} | {r['in_process_s'] * 1e3:.0f} / {r['in_process_cpu_s'] * 1e3:.0f} ms | "
              f"{r['server_prove_s'] * 1e3:.0f} / {r['server_prove_cpu_s'] * 1e3:.0f} ms | "
              f"{r['client_process_s'] * 1e3:.0f} ms | {r['fresh_cli_s']:.2f} s / {r['fresh_cli_cpu_s']:.2f} s | {r['load_average']:.1f} |")


if __name__ == "__main__":
    main()
