"""zk warmup and zk bench (figures are printed, never asserted: only their presence and shape)."""
from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner

import zk.cli.perf  # noqa: F401  (attaches the commands)
from zk.cli import cli
from zk.formats.circom import read_r1cs, read_wtns
from zk.perf.bench import bench_circuit, format_table
from zk.perf.process import run_measured
from zk.perf.warmup import warmup

DATA = pathlib.Path(__file__).parent / "data" / "snarkjs"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_warmup_runs_every_stage():
    lines = []
    result = warmup(progress=lines.append)
    assert len(result["stages"]) == 6 and result["cpu_s"] > 0
    assert lines[0].startswith("[1/6]") and lines[-1].startswith("[6/6]")


def test_bench_circuit_figures(tmp_path):
    result = bench_circuit(read_r1cs(DATA / "mul.r1cs"), read_wtns(DATA / "mul.wtns"), tmp_path, rounds=1, cli_rounds=1,
                           peers=False)
    zk = result["zk"]
    assert result["constraints"] == 2 and result["domain"] == 8
    for key in ("setup_s", "prove_s", "verify_s", "prove_cli_s", "verify_cli_s"):
        assert zk[key] > 0
    assert zk["prove_cli_rss_mib"] is None or zk["prove_cli_rss_mib"] > 10
    json.dumps(result)
    assert "zk" in format_table(result)


def test_run_measured_reports_the_child_alone():
    m = run_measured(["true"])
    assert m.returncode == 0 and (m.peak_rss_mib is None or m.peak_rss_mib < 50)


@pytest.mark.parametrize("args, needle", [
    ([DATA / "mul.r1cs"], "needs a witness"),
    (["x.zkey", "--witness", DATA / "mul.wtns"], "x.zkey"),
    ([DATA / "mul.r1cs", "--witness", "/nonexistent.wtns"], "does not exist"),
    ([DATA / "mul.r1cs", "--witness", DATA / "public.json"], "witness has 2 values"),
])
def test_bench_bad_input_is_one_line(args, needle):
    result = run("bench", *args)
    assert result.exit_code == 2 and needle in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_a_path_that_is_not_a_socket(tmp_path):
    (tmp_path / "file").write_text("x")
    result = run("serve", tmp_path / "file")
    assert result.exit_code == 2 and "not a socket" in result.output
