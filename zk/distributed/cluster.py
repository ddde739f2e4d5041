"""Connecting to Dask: an embedded LocalCluster by default, a scheduler address for a real cluster.

Workers prove with one numba thread each (the parallelism is the workers; each task calls
``numba.set_num_threads(1)`` in its own thread, since numba's setting is per thread; an
environment variable would not do: numba reads it when first imported, which a spawned worker
may do before Dask applies a worker's environment), with less of Dask's periodic work on their
event loop (:func:`quiet_event_loop`), and load every kernel before their first task
(:class:`ProverSetup`, a worker plugin that also runs on workers that join or are restarted later).
"""
from __future__ import annotations

import asyncio
import contextlib
import os

from .worker import limit_threads, warm_kernels


class DistributedUnavailable(RuntimeError):
    """Dask is not installed: zk.distributed needs the `zk[distributed]` extra."""


def require_dask():
    try:
        import distributed
    except ModuleNotFoundError:
        raise DistributedUnavailable(
            "proving on Dask needs the optional dependencies: pip install 'zk[distributed]'") from None
    return distributed


def quiet_event_loop(worker) -> None:
    """Take Dask's own periodic work off ``worker``'s event loop, down from 20-25 ms to 8 ms of CPU
    per second: numba kernels hold the GIL, so whatever the event loop does is added to the task's
    time, not done beside it (docs/distributed.md, the overhead figure). The statistical profiler
    (every 10 ms it walks the running task's Python stack, for a profile that cannot see inside
    the kernels, where the time goes) is stopped: ``distributed.worker.profile.enabled: False``,
    which a plugin comes too late to set. The event-loop health check runs every second instead of
    every 20 ms: it only warns about a loop that stalled for 3 s."""
    for name in ("profile", "profile-cycle"):
        callback = worker.periodic_callbacks.pop(name, None)
        if callback is not None:
            callback.stop()
    tick = worker.periodic_callbacks.get("tick")
    if tick is not None:
        tick.callback_time = 1000  # milliseconds; read again before each next run


def _plugin_class():
    from distributed.diagnostics.plugin import WorkerPlugin

    class ProverSetup(WorkerPlugin):
        """One numba thread, a quiet event loop, kernels loaded: runs on every worker, including
        ones that join later."""

        name = "zk-prover-setup"

        async def setup(self, worker):
            limit_threads()
            quiet_event_loop(worker)
            # Off the event loop: a cold numba cache compiles for a minute, and the worker must
            # keep answering the scheduler's heartbeats meanwhile.
            await asyncio.get_running_loop().run_in_executor(None, warm_kernels)

    return ProverSetup


def prepare(client) -> None:
    """Register the worker set-up on ``client``'s cluster and wait until every worker ran it."""
    client.register_plugin(_plugin_class()(), name="zk-prover-setup")


@contextlib.contextmanager
def connect(client=None, *, scheduler: str | None = None, workers: int | None = None, security=None):
    """A prepared Dask client: ``client`` itself if given, else one connected to ``scheduler``, else
    an embedded LocalCluster of ``workers`` processes (default: one per CPU) on 127.0.0.1. What this
    function started, it stops."""
    distributed = require_dask()
    if client is not None:
        prepare(client)
        yield client
        return
    if scheduler is not None:
        with distributed.Client(scheduler, security=security) as own:
            prepare(own)
            yield own
        return
    n = workers or os.cpu_count() or 1
    # Kernels compile (or load) here once, into the on-disk cache the workers then read, instead
    # of every worker compiling the same kernels at the same time on a cold cache.
    warm_kernels()
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as cluster:
        with distributed.Client(cluster) as own:
            prepare(own)
            yield own
