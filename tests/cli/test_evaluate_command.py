"""`smartcustoms evaluate --world DIR` end to end: a world written to disk by `write_world`, read back by the
command, and the printed table checked against the world in memory."""

import pytest
from typer.testing import CliRunner

from smartcustoms.cli.evaluate import default_profiles_dir
from smartcustoms.cli.main import app
from smartcustoms.risk.profiles import load_profile_dir
from smartcustoms.targeting import evaluate as ev
from smartcustoms.world import WorldConfig, generate
from smartcustoms.world.io import write_world

CUT = "2025-10-01"


def invoke(*args: str):
    return CliRunner().invoke(app, ["evaluate", *args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def world():
    return generate(WorldConfig(declarations=4000, seed=3))


@pytest.fixture(scope="module")
def printed(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    write_world(world, folder)
    # --declarations is ignored with --world: the numbers must be those of the files
    result = invoke("--world", str(folder), "--declarations", "500", "--weeks", "1", "--threads", "1")
    assert result.exit_code == 0, result.output
    return result.output


def rows(output: str, metric: str) -> dict[str, list[str]]:
    """The cells of one metric's block of the table, by strategy: {"model": ["22.2%", ...], ...}."""
    out, inside = {}, False
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) != 6:
            inside = False
            continue
        inside = cells[0] == metric or (inside and cells[0] == "")
        if inside:
            out[cells[1]] = cells[2:]
    return out


def test_evaluate_world_prints_model_profiles_and_random(world, printed):
    when = world.declarations["acceptance_datetime"]
    scored = world.declarations.loc[when >= CUT, "declaration_id"].unique()
    truth = world.truth.set_index("declaration_id").loc[scored]
    frauds = int((truth["fraud_type"] != "none").sum())
    text = " ".join(printed.split())  # titles and captions wrap
    assert f"{len(scored):,} declarations, {frauds:,} frauds" in text
    before = world.declarations.loc[when < CUT, "declaration_id"]
    known = world.inspections[(world.inspections["inspection_date"] < CUT)
                              & world.inspections["declaration_id"].isin(before)]
    assert f"fit on {known['declaration_id'].nunique():,} labelled controls" in text

    # the same numbers as the evaluation of the world in memory (nothing lost on the way through the files)
    expected = ev.evaluate_split(world.declarations, world.inspections, world.truth,
                                 load_profile_dir(default_profiles_dir()), cut=CUT, seed=1, n_jobs=1).metrics
    for metric, name in (("Precision", "precision"), ("Recall", "recall"), ("Revenue", "revenue")):
        table = rows(printed, metric)
        assert {"model", "profiles", "random", "model - profiles (pp)", "model - random (pp)"} <= set(table)
        for strategy in ("model", "profiles", "random"):
            assert table[strategy] == [f"{expected.loc[strategy, f'{name}@{f * 100:g}%'] * 100:.1f}%"
                                       for f in ev.FRACTIONS], (metric, strategy)
        gain = [float(cell) for cell in table["model - random (pp)"]]
        shares = [[float(cell.rstrip("%")) for cell in table[s]] for s in ("model", "random")]
        assert gain == pytest.approx([m - r for m, r in zip(*shares)], abs=0.11)
    auc = expected["auc"]
    assert f"AUC: model {auc['model']:.3f}, profiles {auc['profiles']:.3f}, random {auc['random']:.3f}" in text
    # on this world the model finds more frauds than random controls
    precision = rows(printed, "Precision")
    assert float(precision["model"][2].rstrip("%")) > 2 * float(precision["random"][2].rstrip("%"))
    assert auc["model"] > 0.7 > auc["random"]
    assert "Calibration" in printed and "Weekly simulation" in printed


def test_evaluate_an_unreadable_world_exits_2(tmp_path):
    result = invoke("--world", str(tmp_path / "missing"), "--weeks", "0")
    assert result.exit_code == 2
    assert "cannot read the world" in result.output
    assert "Precision" not in result.output
