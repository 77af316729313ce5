"""`smartcustoms benchmark scale`: generate a world, export it as partitioned Parquet, fit the risk engine on
its history with the product's default settings (config/risk.yaml: the four screens, the example profiles and the
combined score learned from the outcomes; the targeting model left out, as in `bench_assess`), then assess its
last month with the local engine and on Dask with 1 and 2 local workers; compare the decisions row for row;
measure throughput per core and peak memory per process. No database.

The local engine runs in a process of its own (so that its peak memory is its own), limited to one thread of
BLAS/OpenMP; each Dask worker has one thread, in a process of its own (LocalCluster with processes, started
with `distributed.worker_config`). Both are warmed up on 100 declarations first. Per core = declarations per
CPU-second of all the run's processes: the local process; the workers, the client (which gathers the signals
and runs selectivity) and the scheduler.
"""

from __future__ import annotations

import math
import os
import pickle
import platform
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from smartcustoms.scale.schemas import ScaleBenchmark

ROOT = Path(__file__).resolve().parents[3]
_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: the high-water mark of its own address space; ru_maxrss
    would carry the parent's peak over a fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _local_run(engine_bytes: bytes, files: list[str]) -> tuple[pd.DataFrame, float, float, float]:
    """In a fresh process: assess the first 100 declarations (warm-up, as the Dask workers get), then read the
    batch's files and assess them with the local engine."""
    from threadpoolctl import threadpool_limits

    from smartcustoms.risk.assess import assess
    from smartcustoms.scale.partitions import read_files as read_frame

    engine = pickle.loads(engine_bytes)
    with threadpool_limits(1):
        assess(_first_declarations([Path(f) for f in files]), engine)
        started, cpu = time.perf_counter(), time.process_time()
        decided = assess(read_frame([Path(f) for f in files]), engine)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return decided, seconds, cpu, _peak_mb()


def _first_declarations(files: list[Path], count: int = 100) -> pd.DataFrame:
    from smartcustoms.scale.partitions import read_files as read_frame

    frame = read_frame(files[:1])
    return frame[frame["declaration_id"].isin(frame["declaration_id"].unique()[:count])].reset_index(drop=True)


def _head(files: list[Path]):
    from smartcustoms.scale.distributed import memory_frame

    return memory_frame(_first_declarations(files), 2)


def _dask_run(engine, files: list[Path], workers: int, memory_limit: str | None) -> tuple[pd.DataFrame, dict]:
    import dask
    import distributed  # noqa: F401  (its configuration defaults, before one of them is set)

    from smartcustoms.scale.distributed import assess_frame, dask_client, files_frame, send_engine

    # the engine is sent to every worker once and stays there: Dask's memory manager would otherwise drop the
    # extra replicas, and a worker would fetch (and unpickle) the engine again inside the measured run
    with dask.config.set({"distributed.scheduler.active-memory-manager.start": False}), dask_client(
            None, workers=workers, threads=1, processes=True, memory_limit=memory_limit) as client:
        # warm-up on 100 declarations: the engine is sent to every worker once, which import the libraries
        sent = send_engine(client, engine)
        assess_frame(client, _head(files), engine, engine_future=sent)
        # the LocalCluster's scheduler runs in this process (its CPU is the client's): counted once
        separate = client.run_on_scheduler(os.getpid) != os.getpid()
        before = {**client.run(time.process_time), "scheduler": client.run_on_scheduler(time.process_time)}
        started, cpu = time.perf_counter(), time.process_time()
        decided = assess_frame(client, files_frame(files), engine, engine_future=sent)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = {**client.run(time.process_time), "scheduler": client.run_on_scheduler(time.process_time)}
        peaks = client.run(_peak_mb)
    workers_cpu = sum(after[k] - before[k] for k in before if k != "scheduler")
    return decided, {"seconds": seconds, "peak_mb": max(peaks.values()), "workers": len(peaks),
                     "cpu_workers": workers_cpu, "cpu_client": cpu,
                     "cpu_scheduler": after["scheduler"] - before["scheduler"] if separate else 0.0}


def machine() -> str:
    return (f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
            f"{platform.system()}")


def run(declarations: int, directory: Path, *, seed: int = 42, memory_limit: str | None = "4GB",
        progress: Callable[[str], None] | None = None) -> ScaleBenchmark:
    """Generate `declarations` over 2025; the history is January to November, the batch December."""
    from smartcustoms.risk.assess import RiskEngine
    from smartcustoms.risk.classification import ClassificationScreen
    from smartcustoms.risk.combination import fit_combination
    from smartcustoms.risk.config import load_config
    from smartcustoms.risk.origin import OriginScreen
    from smartcustoms.risk.profiles import load_profile_dir
    from smartcustoms.risk.traders import TraderRisk
    from smartcustoms.risk.valuation import ValuationScreen
    from smartcustoms.scale.batch import differences
    from smartcustoms.scale.partitions import partition_files, partition_of, write_declarations, write_outcomes
    from smartcustoms.scale.partitions import read_files as read_frame
    from smartcustoms.world import WorldConfig, generate

    say = progress or (lambda _text: None)
    for name in _THREADS:  # the worker and local processes start with one BLAS/OpenMP thread
        os.environ[name] = "1"
    seconds: dict[str, float] = {}
    directory = Path(directory)

    say(f"generating {declarations:,} declarations")
    started = time.perf_counter()
    world = generate(WorldConfig(declarations=declarations, seed=seed, start="2025-01-01", days=365))
    seconds["generate"] = time.perf_counter() - started
    say("exporting as Parquet partitions (month x office)")
    started = time.perf_counter()
    write_declarations(directory, world.declarations, 1, 1)
    write_outcomes(directory, world.inspections, 1, 1)
    seconds["export"] = time.perf_counter() - started
    del world
    files = partition_files(directory)
    cut = pd.Timestamp("2025-12-01")
    batch_files = [f for f in files if partition_of(f)["month"] >= "2025-12"]
    history_files = [f for f in files if partition_of(f)["month"] < "2025-12"]
    size_mb = sum(f.stat().st_size for f in directory.rglob("*.parquet")) / 1e6

    say("fitting the risk engine on the history")
    started = time.perf_counter()
    history = read_frame(history_files)
    outcomes = read_frame(partition_files(directory, "outcomes"), "outcomes")
    config = load_config(ROOT / "config" / "risk.yaml").model_copy(update={"model": False})
    profiles = load_profile_dir(ROOT / "profiles")

    def fit_screens(before: pd.DataFrame, known: pd.DataFrame, as_of) -> dict:  # risk.service.fit_screens' four
        screens = {"valuation": ValuationScreen(), "classification": ClassificationScreen(),
                   "origin": OriginScreen(config=config.origin),
                   "trader": TraderRisk(aeo_importers=tuple(config.aeo_importers))}
        return {name: screen.fit(before, known, as_of=as_of) for name, screen in screens.items()}

    def engine_of(screens: dict) -> RiskEngine:
        return RiskEngine(screens=screens, profiles=profiles, settings=config.selectivity)

    engine = engine_of(fit_screens(history, outcomes, cut))
    seconds["fit"] = time.perf_counter() - started
    if config.selectivity.combination == "learned":  # the product's default: risk.service.learn_combination
        say("learning the combined score from the outcomes (the product's default settings)")
        started = time.perf_counter()
        engine.combination = fit_combination(history, outcomes, cut, fit_screens=fit_screens, engine_of=engine_of)
        seconds["fit_combination"] = time.perf_counter() - started
    combination = engine.learned()
    history_declarations = int(history["declaration_id"].nunique())
    del history, outcomes
    engine_bytes = pickle.dumps(engine, protocol=pickle.HIGHEST_PROTOCOL)

    say("assessing December with the local engine (1 process, 1 thread)")
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        local, seconds["local"], seconds["local_cpu"], local_peak = pool.submit(
            _local_run, engine_bytes, [str(f) for f in batch_files]).result()
    peaks = {"local": local_peak}
    runs = {}
    for workers in (1, 2):
        say(f"assessing December on Dask, {workers} local worker(s)")
        decided, runs[workers] = _dask_run(engine, batch_files, workers, memory_limit)
        seconds[f"dask_{workers}"] = runs[workers]["seconds"]
        for part in ("workers", "client", "scheduler"):
            seconds[f"dask_{workers}_cpu_{part}"] = runs[workers][f"cpu_{part}"]
        peaks[f"dask_{workers}_per_worker"] = runs[workers]["peak_mb"]
        if workers == 1:
            differ = differences(local, decided)
        else:
            differ.update({f"{k} (2 workers)": v for k, v in differences(local, decided).items()})
    n = len(local)
    items = int(sum(pd.read_parquet(f, columns=["declaration_id"]).shape[0] for f in batch_files))
    # per core: declarations per CPU-second (all the run's processes: workers, client, scheduler), which a
    # machine shared with other work does not distort as it distorts wall time; the wall-time rates beside it
    cpu = {w: sum(seconds[f"dask_{w}_cpu_{p}"] for p in ("workers", "client", "scheduler")) for w in (1, 2)}
    per_core_local = n / seconds["local_cpu"]
    per_core_dask = n / cpu[2]
    scaling = seconds["dask_1"] / seconds["dask_2"]
    wall = {"per_core_local_wall": round(n / seconds["local"], 1),
            "per_core_dask_wall": round(n / (seconds["dask_2"] * 2), 1),
            "cpu_seconds_2_over_1": round(cpu[2] / cpu[1], 3)}
    load = os.getloadavg()
    conditions = (f"{os.cpu_count()} cores shared with other work: load average {load[0]:.1f} / {load[1]:.1f} "
                  f"(1 / 5 minutes) at the end; Dask workers: processes, 1 thread each, memory limit "
                  f"{memory_limit} per worker; the fitted engine is {len(engine_bytes) / 1e6:.0f} MB pickled, "
                  "sent to every worker once")
    projection = {}
    overhead = max(cpu[2] / cpu[1], 1.0)  # CPU spent on the same batch by 2 workers against 1
    for cores in (16, 64):
        efficiency = overhead ** -math.log2(cores)  # the same overhead again at every doubling
        rate = n / cpu[1] * cores * efficiency
        projection[f"{cores}_cores_declarations_per_s"] = round(rate)
        projection[f"{cores}_cores_hours_for_1M"] = round(1_000_000 / rate / 3600, 3)
        projection[f"{cores}_cores_hours_for_10M"] = round(10_000_000 / rate / 3600, 3)
    projection["basis"] = ("projection, not a measurement: the measured declarations per CPU-second on Dask "
                           "(1 worker) x cores, less the measured CPU overhead of splitting the batch between 2 "
                           "workers (cpu_seconds_2_over_1), assumed to recur at every doubling of the cores; "
                           "network transfer of the shuffle and of the gathered signals not included, nor the two "
                           "steps that run in one process whatever the cores: the batch-wide screens (trader; the "
                           "targeting model when on) and the client's selectivity, which bound it first")
    projection["shuffle_mb_per_1000_declarations"] = round(
        sum(f.stat().st_size for f in batch_files) / 1e6 / max(n, 1) * 1000 * 4, 3)  # Parquet x ~4 in memory
    return ScaleBenchmark(
        declarations=declarations, history_declarations=history_declarations, assessed_declarations=n,
        assessed_items=items, partitions=len(batch_files), identical=not differ, differences=differ,
        seconds={k: round(v, 2) for k, v in seconds.items()}, per_core_local=round(per_core_local, 1),
        per_core_dask=round(per_core_dask, 1), per_core_dask_1=round(n / cpu[1], 1), wall=wall,
        scaling_1_to_2=round(scaling, 3), peak_memory_mb={k: round(v, 1) for k, v in peaks.items()},
        history_files_mb=round(size_mb, 1), machine=machine(), conditions=conditions, projection=projection,
        combination=combination.method_ if combination is not None else "fixed")
