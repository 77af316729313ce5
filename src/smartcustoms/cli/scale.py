"""`smartcustoms history ...` (the history as partitioned Parquet), `smartcustoms benchmark scale`, and the
`--engine` / `--scheduler` options the batch commands share (docs/scale.md)."""

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from smartcustoms.cli.common import console, engine, errors, fail

app = typer.Typer(help="The history as partitioned Parquet (by month and office), for the Dask engine.",
                  no_args_is_help=True)

EngineOption = Annotated[str, typer.Option("--engine", help="local: in this process; dask: on a Dask cluster "
                                           "(--scheduler ADDRESS, or a LocalCluster started on this machine).")]
SchedulerOption = Annotated[str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler, "
                                                     "e.g. tcp://10.0.0.5:8786 (with --engine dask).")]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, help="Workers of the LocalCluster started when "
                                            "--engine dask has no --scheduler.")]
TimeoutOption = Annotated[float, typer.Option("--scheduler-timeout", min=0.1, help="Seconds to wait for the "
                                              "--scheduler to answer.")]


def engine_options(kind: str, scheduler: str | None, workers: int = 2, timeout: float = 10.0):
    """The EngineOptions of the shared options, or exit 2 with the reason."""
    from smartcustoms.scale.schemas import EngineOptions

    if kind not in ("local", "dask"):
        fail(f"--engine must be local or dask, not {kind!r}", 2)
    if scheduler and kind != "dask":
        fail("--scheduler needs --engine dask", 2)
    return EngineOptions(engine=kind, scheduler=scheduler, workers=workers, timeout=timeout)


def _export(directory: Path, append: bool) -> None:
    from smartcustoms.refusals import Refusal
    from smartcustoms.scale.service import export_history

    try:
        result = export_history(engine(), directory, append=append, progress=lambda text: errors.print(
            f"[dim]{text}[/]", highlight=False))
    except Refusal as exc:
        fail(str(exc), 2)
    console.print(f"{'appended' if append else 'exported'} {result.declarations:,} declarations "
                  f"({result.goods_items:,} goods items, import batches {result.batches[0]}-{result.batches[1]}) "
                  f"and {result.outcomes:,} outcomes in {result.files:,} files under {result.directory}",
                  highlight=False)


@app.command("export")
def export_command(directory: Annotated[Path, typer.Argument(help="Folder of the history (created).")]) -> None:
    """Export every stored declaration and outcome as Parquet partitioned by month and office (outcomes by
    inspection month), with a manifest of what was exported. Refuses a folder that already holds a history."""
    _export(directory, append=False)


@app.command("append")
def append_command(directory: Annotated[Path, typer.Argument(help="Folder of an exported history.")]) -> None:
    """Add the declarations of the import batches and the outcomes stored since the last export or append (new
    part files; running it twice adds nothing the second time)."""
    _export(directory, append=True)


@app.command("stats")
def stats_command(
    directory: Annotated[Path, typer.Argument(help="Folder of an exported history.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Date: statistics of what was known before it.")],
) -> None:
    """Summary statistics of the history as of a date, computed partition by partition and combined: reference
    price cells, traders and routes, and the overall control hit rate."""
    from smartcustoms.refusals import Refusal
    from smartcustoms.scale.service import history_statistics

    try:
        summary = history_statistics(directory, as_of)
    except Refusal as exc:
        fail(str(exc), 2)
    console.print_json(json.dumps(summary))


def benchmark_command(
    declarations: Annotated[int, typer.Option("--declarations", min=1000, help="Declarations to generate (the "
                                              "history is January-November, December is assessed).")] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else.")] = False,
    directory: Annotated[Path | None, typer.Option("--dir", help="Where to write the Parquet history (default: a "
                                                   "temporary folder, removed afterwards).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated world.")] = 42,
    memory_limit: Annotated[str, typer.Option("--memory-limit", help="Memory limit per Dask worker.")] = "4GB",
) -> None:
    """Scale: generate, export as Parquet partitions, assess the last month with the local engine and on Dask
    with 1 and 2 local workers; whether every lane and score matches, throughput per core, scaling from 1 to 2
    workers, peak memory per process, and a projection to a cluster (labelled as such)."""
    from smartcustoms.scale.service import run_benchmark as run

    def say(text: str) -> None:
        errors.print(f"[dim]{text}[/]", highlight=False)

    if directory is None:
        with tempfile.TemporaryDirectory(prefix="smartcustoms-scale-") as folder:
            result = run(declarations, Path(folder), seed=seed, memory_limit=memory_limit, progress=say)
    else:
        result = run(declarations, directory, seed=seed, memory_limit=memory_limit, progress=say)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    console.print_json(result.model_dump_json())
