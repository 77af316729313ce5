"""`smartcustoms benchmark ...`: our targeting features and model on public, external data sets."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartcustoms.cli.common import console, errors, fail

app = typer.Typer(help="External benchmarks of the targeting model.", no_args_is_help=True)



@app.callback()
def benchmark() -> None:
    """External benchmarks of the targeting model."""


KCS_FOLDER = Path("shared") / "data" / "kcs-customs-declarations"


def default_kcs_dir() -> Path:
    """`../shared/data/kcs-customs-declarations` next to the repository (or the working directory)."""
    repository = Path(__file__).resolve().parents[3]
    for base in (repository.parent, Path.cwd().parent, Path.cwd()):
        if (base / KCS_FOLDER).is_dir():
            return base / KCS_FOLDER
    return repository.parent / KCS_FOLDER


def _table(result) -> Table:
    from smartcustoms.targeting.kcs import FRACTIONS, PUBLISHED

    table = Table(title=f"KCS synthetic declarations, {result.split} split ({result.rows:,} rows, "
                        f"{result.positives / max(result.rows, 1):.1%} fraud): Precision@n%, "
                        f"mean±std over {len(result.seeds)} seeds",
                  caption="paper rows: Jeong et al. 2022, Table 3 (synthetic data, test split, 5 runs)")
    table.add_column("model", no_wrap=True)
    for fraction in FRACTIONS:
        table.add_column(f"P@{fraction * 100:g}%", justify="right")
    table.add_column("AUC", justify="right")
    cells = [f"{result.mean(f):.3f} ± {result.std(f):.3f}" for f in FRACTIONS]
    table.add_row("[bold]smartcustoms[/]", *cells, f"{result.auc_mean:.3f} ± {result.auc_std:.3f}")
    for model, ((p5, s5), (p10, s10)) in reversed(PUBLISHED.items()):
        table.add_row(f"{model} (paper)", "", "", f"{p5:.3f} ± {s5:.3f}", f"{p10:.3f} ± {s10:.3f}", "")
    base = result.positives / max(result.rows, 1)
    table.add_row("random ranking", *[f"{base:.3f}"] * len(FRACTIONS), "0.500")
    return table


@app.command("kcs")
def kcs_command(
    data: Annotated[Path | None, typer.Option("--data", file_okay=False,
                                              help="Folder with df_syn_train_eng.csv and df_syn_valid_eng.csv "
                                                   "(and df_syn_test_eng.csv, if you have it). Default: "
                                                   "../shared/data/kcs-customs-declarations.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else.")] = False,
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Runs to average over.")] = 5,
    threads: Annotated[int, typer.Option("--threads", min=1, help="LightGBM threads.")] = 2,
) -> None:
    """Korea Customs Service synthetic declarations (Jeong et al. 2022), the paper's protocol.

    Trains on 2020 and scores 2021 Q2 (test) when df_syn_test_eng.csv is in the folder, with the model
    refitted on 2020 + 2021 Q1; otherwise trains on 2020 and scores 2021 Q1 (valid). Reports Precision@n%
    for n = 1, 2, 5, 10 (mean and std over the seeds) and AUC, beside the paper's Table 3.
    """
    from smartcustoms.targeting.kcs import load_splits, run_benchmark

    folder = data if data is not None else default_kcs_dir()
    try:
        splits = load_splits(folder)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        fail(f"cannot read the KCS data in {folder}: {exc}", 2)

    shown = errors if as_json else console  # with --json, stdout carries the JSON object only
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=shown, transient=as_json) as progress:
        task = progress.add_task(f"KCS {splits.reported}: features, then {seeds} seeds", total=seeds)
        result = run_benchmark(splits, seeds=range(seeds), threads=threads,
                               on_seed=lambda _seed: progress.advance(task))
    if as_json:
        typer.echo(json.dumps(result.to_json()))
        return
    console.print(_table(result))
    if splits.test is None:
        console.print("[dim]df_syn_test_eng.csv is not in the folder: the valid split is reported. The paper's "
                      "rows are on the test split.[/]")
