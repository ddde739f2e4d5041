"""Proving on a Dask cluster (the embedded LocalCluster by default): `zk groth16 prove-batch`,
`zk zkey shard`, `zk groth16 prove-sharded`.

    zk groth16 prove-batch circuit.pk witnesses/ proofs/            # one worker per CPU here
    zk groth16 prove-batch circuit.pk witnesses/ proofs/ --workers 4
    zk groth16 prove-batch circuit.pk witnesses/ proofs/ --scheduler tls://HOST:8786 \\
        --tls-ca ca.pem --tls-cert client.pem --tls-key client-key.pem
    zk zkey shard circuit.pk --parts 4
    zk groth16 prove-sharded circuit.pk.shards/index.zkshards witness.wtns proof.json public.json

The proving commands sit in the groth16 group beside prove and verify, the key split in the zkey
group beside the other proving-key commands (from-pk, to-pk). The first names stay as aliases,
so that nothing documented breaks: `zk prove-batch`, `zk prove-sharded` (top level, like
`zk prove`) and `zk key shard`.
Dask is imported only when one of these commands runs (the `zk[distributed]` extra).
"""
from __future__ import annotations

import os
import sys

import click

from zk.cli import UserError, cli, groth16_group, zkey_group


def _security(ca: str | None, cert: str | None, key: str | None):
    if not (ca or cert or key):
        return None
    if not (ca and cert and key):
        raise UserError("TLS needs all three of --tls-ca, --tls-cert and --tls-key")
    from distributed.security import Security

    return Security(tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True)


def cluster_options(fn):
    """--scheduler | --workers, and the TLS files for a scheduler beyond this machine."""
    fn = click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="This client's TLS private key.")(fn)
    fn = click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="This client's TLS certificate.")(fn)
    fn = click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False),
                      help="CA certificate of the cluster (Dask TLS: required for a scheduler on another machine).")(fn)
    fn = click.option("--workers", type=click.IntRange(1, 1024), default=None,
                      help="Worker processes of the embedded local cluster (default: one per CPU).")(fn)
    fn = click.option("--scheduler", metavar="ADDRESS", default=None,
                      help="A running Dask scheduler (tcp://HOST:8786, tls://HOST:8786) instead of a local cluster.")(fn)
    return fn


def cluster_kwargs(scheduler, workers, tls_ca, tls_cert, tls_key) -> dict:
    if scheduler and workers:
        raise UserError("--scheduler and --workers exclude each other (the scheduler's cluster has its own workers)")
    security = _security(tls_ca, tls_cert, tls_key)
    if scheduler and security is None and not scheduler.startswith(("tcp://127.", "tcp://localhost", "inproc://")):
        click.echo("warning: witnesses will cross the network unencrypted; use tls:// and --tls-* "
                   "for a scheduler on another machine", err=True)
    return {"scheduler": scheduler, "workers": workers, "security": security}


def _require_dask() -> None:
    from zk.distributed import DistributedUnavailable
    from zk.distributed.cluster import require_dask

    try:
        require_dask()
    except DistributedUnavailable as exc:
        raise UserError(str(exc)) from None


@groth16_group.command("prove-batch")
@click.argument("proving_key", metavar="CIRCUIT.pk", type=click.Path(dir_okay=False))
@click.argument("witness_dir", metavar="WITNESSES/", type=click.Path(file_okay=False))
@click.argument("out_dir", metavar="PROOFS/", type=click.Path(file_okay=False))
@cluster_options
def prove_batch_command(proving_key, witness_dir, out_dir, scheduler, workers, tls_ca, tls_cert, tls_key) -> None:
    """Prove every witness in WITNESSES/ (.wtns, or JSON lists) on a Dask cluster.

    Writes PROOFS/NAME.proof.json and PROOFS/NAME.public.json per witness NAME, each created only
    if absent: a rerun proves only what is missing and never replaces a proof. Every path must be
    readable (PROOFS/ writable) by every worker: use shared storage on a real cluster. A witness
    that fails is reported by name and the others go on; exit status 2 if any failed."""
    _require_dask()
    from zk.distributed import BatchKeyError, prove_batch, witness_files

    kwargs = cluster_kwargs(scheduler, workers, tls_ca, tls_cert, tls_key)
    if not os.path.isfile(proving_key):
        raise UserError(f"cannot read proving key {proving_key!r}: no such file")
    try:
        files = witness_files(witness_dir)
    except OSError as exc:
        raise UserError(f"cannot read {witness_dir}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not files:
        raise UserError(f"{witness_dir} holds no witness (.wtns or .json) files")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {out_dir}: {exc.strerror or exc}") from None

    failed: list[str] = []
    counts = {"proved": 0, "kept": 0, "failed": 0}
    with click.progressbar(length=len(files), label="proving", file=sys.stderr,
                           show_pos=True, show_eta=True) as bar:
        def progress(result, done, total):
            counts[result.status] = counts.get(result.status, 0) + 1
            if not result.ok:
                failed.append(result.name)
                click.echo(f"\n{result.name}: {result.error}", err=True)
            bar.update(1)

        try:
            prove_batch(proving_key, files, out_dir=out_dir, progress=progress, **kwargs)
        except BatchKeyError as exc:
            raise UserError(str(exc)) from None
        except OSError as exc:  # the scheduler cannot be reached
            raise UserError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    click.echo(f"{counts['proved']} proved, {counts['kept']} already there, {counts['failed']} failed "
               f"-> {out_dir}", err=True)
    if failed:
        raise UserError(f"{len(failed)} of {len(files)} witnesses failed: {', '.join(failed)}")


@zkey_group.command("shard")
@click.argument("key", metavar="KEY", type=click.Path(dir_okay=False))
@click.option("--parts", type=click.IntRange(1, 4096), required=True, help="How many shards (workers) to split into.")
@click.option("-o", "--out", "out_dir", metavar="DIR", type=click.Path(file_okay=False), default=None,
              help="Where the shards and their index go (default: KEY.shards/).")
def key_shard_command(key, parts, out_dir) -> None:
    """Split KEY (a zk proving key or a snarkjs .zkey) by rows into shard files plus an index.

    Each worker of `zk groth16 prove-sharded` holds one shard: the A, B1, B2, L and H points of its rows.
    The index holds the constraint matrices and the fixed points, no query point."""
    from zk.distributed.sharded import shard_key
    from zk.formats.keyshard import INDEX_NAME

    try:
        index = shard_key(key, parts, out_dir)
    except FileNotFoundError:
        raise UserError(f"cannot read key {key!r}: no such file") from None
    except _shard_errors() as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or out_dir}: {exc.strerror or exc}") from None
    click.echo(f"wrote {parts} shards and {INDEX_NAME} to {os.path.dirname(index)}", err=True)


def _shard_errors() -> tuple:
    from zk.curve import CurveError
    from zk.formats.circom import CircomFormatError
    from zk.formats.snarkjs import SnarkjsFormatError
    from zk.formats.zkey import ZkeyFormatError
    from zk.groth16 import Groth16Error, QAPError

    return (CurveError, CircomFormatError, SnarkjsFormatError, ZkeyFormatError, Groth16Error, QAPError, ValueError)


@groth16_group.command("prove-sharded")
@click.argument("index_path", metavar="KEY.shards/index.zkshards", type=click.Path(dir_okay=False))
@click.argument("witness", metavar="WITNESS.wtns", type=click.Path(dir_okay=False))
@click.argument("proof_path", metavar="PROOF.json", type=click.Path(dir_okay=False, writable=True))
@click.argument("public_path", metavar="PUBLIC.json", type=click.Path(dir_okay=False, writable=True))
@cluster_options
def prove_sharded_command(index_path, witness, proof_path, public_path, scheduler, workers, tls_ca, tls_cert, tls_key) -> None:
    """One proof with a key split by `zk zkey shard`, each worker proving over its shard's rows.

    This process keeps the constraint matrices and the witness and computes the quotient; each
    worker gets the witness values of its rows and the quotient values of its H rows (see
    docs/distributed.md for what that reveals), and returns five partial sums."""
    _require_dask()
    from zk.distributed.sharded import ShardedProofError, prove_sharded
    from zk.distributed.worker import read_witness
    from zk.formats.snarkjs import write_proof, write_public

    kwargs = cluster_kwargs(scheduler, workers, tls_ca, tls_cert, tls_key)
    try:
        values = read_witness(witness)
        proof, public = prove_sharded(index_path, values, **kwargs)
        write_proof(proof, proof_path)
        write_public(public, public_path)
    except ShardedProofError as exc:
        raise UserError(str(exc)) from None
    except _shard_errors() as exc:
        from zk.distributed.worker import scrub

        raise UserError(scrub(str(exc))) from None
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or proof_path}: {exc.strerror or exc}") from None
    click.echo(f"wrote {proof_path} and {public_path}", err=True)


# The names of the first release, kept so that nothing documented breaks.
cli.add_command(prove_batch_command, "prove-batch")
cli.add_command(prove_sharded_command, "prove-sharded")


@cli.group("key")
def key_group() -> None:
    """Alias: `zk key shard` is `zk zkey shard`."""


key_group.add_command(key_shard_command, "shard")
