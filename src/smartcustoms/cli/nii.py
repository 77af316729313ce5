"""`smartcustoms nii`: non-intrusive inspection (dual-energy X-ray scans)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from smartcustoms.cli.common import console, engine, errors, fail

app = typer.Typer(help="Non-intrusive inspection: train and benchmark the scan analysis, receive scans, run a "
                  "drive-through lane. All models and figures are trained and measured on synthetic scans.",
                  no_args_is_help=True)

BAD_INPUT = 2


def _refused(exc) -> None:
    errors.print(f"[bold red]refused ({exc.code}):[/] {exc}", highlight=False)
    raise typer.Exit(BAD_INPUT)


@app.command("train")
def train_command(
    seed: int = typer.Option(17, help="Seed of the generated training scans and of the model."),
    scenes: int = typer.Option(900, help="Training scans to generate (the shipped model: the default)."),
    detector: str = typer.Option("window", help="window: window features + LightGBM (the shipped model); net: "
                                 "the experimental U-Net (needs the extra [nii-train], PyTorch)."),
    steps: int = typer.Option(1000, help="Training steps of the network (detector net)."),
    trees: int = typer.Option(200, help="Boosting rounds of the window model (detector window)."),
    out: Path = typer.Option(None, help="Where to write the model (default: the package's shipped model file)."),
) -> None:
    """Generate training scans (training templates, textures and scanner settings only) and fit the detector and
    the scan-versus-declaration check; the same seed and sizes give the same model."""
    from smartcustoms.nii import service

    with console.status("generating and training") as status:
        def progress(done, total):
            status.update(f"rendering training scans {done}/{total}")

        meta, target = service.train_model(out, seed=seed, scenes=scenes, trees=trees, progress=progress,
                                           detector=detector, steps=steps)
    console.print(f"model {meta['version']} written to {target} ({target.stat().st_size:,} bytes)")
    console.print_json(json.dumps(meta))


@app.command("benchmark")
def benchmark_command(
    images: int = typer.Option(300, help="Held-out scans per set (two sets: seen and unseen scanner settings)."),
    seed: int = typer.Option(2017, help="Seed of the held-out scans."),
    baseline: int = typer.Option(120, help="Training scans for the superpixel baseline (0: skip it)."),
    model: Path = typer.Option(None, help="Model file (default: the shipped one)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Measure the shipped model on generated held-out scans (synthetic figures)."""
    from smartcustoms.nii import service

    result = service.run_benchmark(images=images, seed=seed, baseline=baseline, model_path=model,
                                   progress=None if as_json else (lambda m: errors.print(m)))
    if as_json:
        typer.echo(json.dumps(result, sort_keys=True))
        return
    from rich.table import Table

    table = Table(title="NII benchmark (synthetic, held-out templates, textures and scanner settings)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, json.dumps(value) if isinstance(value, dict) else str(value))
    console.print(table)


@app.command("synth")
def synth_command(
    out: Path = typer.Argument(..., help="The scan file to write (.npz)."),
    seed: int = typer.Option(1, help="Seed of the scene."),
    kind: str = typer.Option("container", help="parcel, bag or container"),
    threat: bool = typer.Option(False, help="Conceal an item in the goods."),
    container: str = typer.Option(None, "--container", help="Container ID written in the scan's metadata."),
) -> None:
    """Write a synthetic scan file (for trying `nii scan`)."""
    from smartcustoms.nii import service
    from smartcustoms.refusals import Refusal

    try:
        content, scene = service.synthetic_scan(seed, kind, threat, container)
    except Refusal as exc:
        _refused(exc)
    out.write_bytes(content)
    console.print(f"{out}: {scene['kind']}, {scene['template']} (HS {scene['hs']}), "
                  f"{len(scene['threats'])} concealed item(s), {scene['goods_kg']:.1f} kg of goods")


@app.command("link")
def link_command(
    declaration: str = typer.Argument(..., help="Declaration ID."),
    container: str = typer.Argument(..., help="Container ID."),
    vehicle: str = typer.Option(None, help="Vehicle (truck) ID."),
) -> None:
    """Record which container (and vehicle) carries a declaration's goods."""
    from smartcustoms.nii import service
    from smartcustoms.refusals import Refusal

    try:
        unit = service.register_unit(engine(), declaration, container, vehicle)
    except Refusal as exc:
        _refused(exc)
    console.print(f"unit {unit}: container {container.upper()} carries declaration {declaration}")


@app.command("scan")
def scan_command(
    file: Path = typer.Argument(..., help="The scan file (.npz: low, high, meta; see docs/nii.md)."),
    declaration: str = typer.Option(None, "--declaration", help="The declaration the scan belongs to."),
    container: str = typer.Option(None, "--container", help="Or the container ID, matched to its declaration."),
    vehicle: str = typer.Option(None, "--vehicle", help="Or the vehicle ID."),
    no_escalate: bool = typer.Option(False, "--no-escalate", help="Store the analysis without changing lanes."),
    model: Path = typer.Option(None, help="Model file (default: the shipped one)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Analyse a scan and store it as evidence on its declaration (an alarm moves a green or yellow declaration to
    red). A malformed file is refused with exit status 2 and nothing is stored."""
    from smartcustoms.nii import service
    from smartcustoms.refusals import Refusal

    if not file.is_file():
        fail(f"no file {file}", BAD_INPUT)
    if not (declaration or container or vehicle):
        fail("give --declaration, --container or --vehicle", BAD_INPUT)
    try:
        result = service.submit_scan(engine(), file.read_bytes(), declaration_id=declaration,
                                     container_id=container, vehicle_id=vehicle, actor="cli",
                                     escalate=not no_escalate, model_path=model)
    except Refusal as exc:
        _refused(exc)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    console.print(f"scan {result.scan_id} stored")
    for a in result.analyses:
        lane = f"{a.lane_before} -> {a.lane_after}" if a.lane_before != a.lane_after else str(a.lane_after)
        console.print(f"  declaration {a.declaration_id or '-'}: image score {a.image_score:.3f} "
                      f"({'ALARM' if a.alarm else 'clear'}), {len(a.boxes)} box(es), estimated {a.estimated_kg:.1f} "
                      f"kg vs declared {a.declared_kg if a.declared_kg is not None else '-'}; manifest score "
                      f"{a.manifest_score if a.manifest_score is not None else '-'}; lane {lane}", highlight=False)
    for finding in result.findings:
        console.print(f"  finding {finding}: unmatched scan")


@app.command("lane")
def lane_command(
    trucks_per_hour: float = typer.Option(60.0, help="Arrival rate of the simulated lane."),
    hours: float = typer.Option(0.5, help="Simulated hours."),
    seed: int = typer.Option(5, help="Seed of the lane."),
    declared_share: float = typer.Option(0.9, help="Share of trucks whose container has a declaration."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Drive-through (gantry) mode: trucks arrive, are scanned and analysed as they come, matched to their
    declarations by container ID; unmatched scans and declarations never scanned become findings."""
    from smartcustoms.nii import service
    from smartcustoms.refusals import Refusal

    try:
        report = service.run_lane(engine(), trucks_per_hour=trucks_per_hour, hours=hours, seed=seed,
                                  declared_share=declared_share)
    except Refusal as exc:
        _refused(exc)
    if as_json:
        typer.echo(report.model_dump_json())
        return
    for key, value in report.model_dump().items():
        console.print(f"{key}: {value}")


@app.command("show")
def show_command(
    declaration: str = typer.Argument(..., help="Declaration ID."),
    png: Path = typer.Option(None, help="Also write the latest analysis's picture here."),
) -> None:
    """The scan analyses stored on a declaration."""
    from smartcustoms.nii import service

    found = service.analyses_for(engine(), declaration)
    if not found:
        fail(f"no scan analysis on declaration {declaration}")
    for a in found:
        console.print_json(a.model_dump_json())
    if png:
        png.write_bytes(service.analysis_png(engine(), found[-1].analysis_id))
        console.print(f"picture written to {png}")


@app.command("findings")
def findings_command(limit: int = typer.Option(50)) -> None:
    """The lane's findings: scans matching no declaration, declarations never scanned."""
    from smartcustoms.nii import service

    for f in service.findings(engine(), limit):
        console.print(f"{f.finding_id} {f.kind} scan={f.scan_id} declaration={f.declaration_id} "
                      f"container={f.container_id}: {f.detail}", highlight=False)
