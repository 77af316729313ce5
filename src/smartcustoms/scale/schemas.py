"""Inputs and outputs of the scale use cases."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Engine = Literal["local", "dask"]


class EngineOptions(BaseModel):
    """Where a batch computation runs: in this process (`local`) or on Dask (`dask`): the scheduler at
    `scheduler`, or a LocalCluster of `workers` x `threads` started here when no scheduler is given."""

    model_config = ConfigDict(extra="forbid")

    engine: Engine = "local"
    scheduler: str | None = None
    workers: int = Field(2, ge=1)
    threads: int = Field(1, ge=1)
    processes: bool = True
    memory_limit: str | None = "auto"
    timeout: float = Field(10.0, gt=0, description="seconds to wait for the scheduler to answer")
    buckets: int | None = Field(None, ge=1, description="importer buckets of the shuffle (default: one per worker)")


class ExportResult(BaseModel):
    directory: str
    appended: bool
    declarations: int
    goods_items: int
    outcomes: int
    files: int
    batches: tuple[int, int]
    outcome_ids: tuple[int, int]


class ScaleBenchmark(BaseModel):
    """What `smartcustoms benchmark scale` measures: `identical` (every lane, score and reason of the Dask runs
    equals the local engine's), `per_core_local` and `per_core_dask` (declarations per CPU-second of all the
    run's processes; `wall` has the wall-time rates), `scaling_1_to_2` (wall time with 1 worker / with 2), peak
    memory per process (MB), and a projection to a cluster (labelled as one)."""

    declarations: int
    history_declarations: int
    assessed_declarations: int
    assessed_items: int
    partitions: int
    identical: bool
    combination: str = Field(description="how the lanes' combined score was made: the learned combination's method "
                             "(`learned`, `best_part`: the product's default settings) or `fixed` (too few outcomes)")
    differences: dict[str, int]
    seconds: dict[str, float]
    per_core_local: float
    per_core_dask: float
    per_core_dask_1: float
    scaling_1_to_2: float
    wall: dict[str, float]
    peak_memory_mb: dict[str, float]
    history_files_mb: float
    machine: str
    conditions: str
    projection: dict[str, float | str]
