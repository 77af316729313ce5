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


def _product_table(result) -> Table:
    from smartcustoms.targeting.service import KCS_FRACTIONS as FRACTIONS
    from smartcustoms.targeting.service import KCS_PUBLISHED as PUBLISHED

    data = result.to_json()
    table = Table(title=f"KCS synthetic declarations through the product ({data['split']} split: "
                        f"{data['rows']:,} of {data['source_rows']:,} rows imported and assessed, "
                        f"{data['positives'] / max(data['rows'], 1):.1%} fraud): Precision@n% of the recorded "
                        "decisions",
                  caption="paper rows: Jeong et al. 2022, Table 3 (synthetic data, test split, 5 runs)")
    table.add_column("ranking", no_wrap=True)
    for fraction in FRACTIONS:
        table.add_column(f"P@{fraction * 100:g}%", justify="right")
    table.add_column("AUC", justify="right")

    def row(name, ranking, bold=False):
        cells = [f"{ranking['precision_at'][f'{f * 100:g}']:.3f}" for f in FRACTIONS] + [f"{ranking['auc']:.3f}"]
        table.add_row(f"[bold]{name}[/]" if bold else name, *cells)

    row("combined score (risk_score: the lanes)", {"precision_at": data["precision_at"], "auc": data["auc"]},
        True)
    if data["model_screen"]:
        row("model screen alone", data["model_screen"])
    for name, ranking in data["screens"].items():
        row(f"{name} screen alone", ranking)
    for model, ((p5, s5), (p10, s10)) in reversed(PUBLISHED.items()):
        table.add_row(f"{model} (paper)", "", "", f"{p5:.3f} ± {s5:.3f}", f"{p10:.3f} ± {s10:.3f}", "")
    base = data["positives"] / max(data["rows"], 1)
    table.add_row("random ranking", *[f"{base:.3f}"] * len(FRACTIONS), "0.500")
    return table


@app.command("kcs")
def kcs_command(
    data: Annotated[Path | None, typer.Option("--data", file_okay=False,
                                              help="Folder with df_syn_train_eng.csv and df_syn_valid_eng.csv "
                                                   "(and df_syn_test_eng.csv, if you have it). Default: "
                                                   "../shared/data/kcs-customs-declarations.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout, nothing else.")] = False,
    settings: Annotated[Path | None, typer.Option("--settings", exists=True, dir_okay=False,
                                                  help="Risk settings YAML for the assessment (default: the "
                                                       "built-in settings).")] = None,
) -> None:
    """Korea Customs Service synthetic declarations (Jeong et al. 2022) through the product's own path.

    Imports the history (2020; with 2021 Q1 when df_syn_test_eng.csv is in the folder) and the reported split
    (2021 Q2 test when present, else 2021 Q1 valid) with the kcs mapping into a temporary database, imports the
    history's labels as control outcomes, assesses the reported split with the engine (screens, profiles, the
    targeting model and the combined score learned from outcomes), and ranks the recorded decisions: Precision@n%
    for n = 1, 2, 5, 10 and AUC of the combined score (`precision_at`) and of the model screen alone
    (`model_screen`), beside the paper's Table 3.
    """
    from smartcustoms.risk.service import RiskConfigError, load_config
    from smartcustoms.targeting.service import kcs_product_path, load_kcs_splits

    folder = data if data is not None else default_kcs_dir()
    try:
        splits = load_kcs_splits(folder)
        config = load_config(settings)
    except (FileNotFoundError, KeyError, ValueError, RiskConfigError) as exc:
        fail(f"cannot read the KCS data in {folder}: {exc}", 2)

    shown = errors if as_json else console  # with --json, stdout carries the JSON object only
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=shown, transient=as_json) as progress:
        task = progress.add_task(f"KCS {splits.reported} through the product", total=4)

        def step(description: str) -> None:
            progress.update(task, description=description)
            progress.advance(task)

        result = kcs_product_path(folder, config, on_step=step)
    if as_json:
        typer.echo(json.dumps(result.to_json()))
        return
    console.print(_product_table(result))
    combination = result.combination
    if combination:
        console.print(f"combined score: {combination['method']}"
                      + (f" ({combination['note']})" if combination.get("note") else "")
                      + f"; held-out quality {combination.get('held_out', {})}", highlight=False)
    if splits.test is None:
        console.print("[dim]df_syn_test_eng.csv is not in the folder: the valid split is reported. The paper's "
                      "rows are on the test split.[/]")


from smartcustoms.cli.scale import benchmark_command as scale_command  # noqa: E402  (issue 19; docs/scale.md)

app.command("scale")(scale_command)
