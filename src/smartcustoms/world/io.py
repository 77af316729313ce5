"""write_world: the world's frames to CSV (pyarrow's fast writer) and Parquet."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from smartcustoms.world.generate import World

FILES = ("declarations.csv", "declarations.parquet", "inspections.csv", "truth.csv")


def _table(frame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.replace_schema_metadata(None)


def _write_csv(table: pa.Table, path: Path) -> None:
    pa_csv.write_csv(table, path, write_options=pa_csv.WriteOptions(quoting_style="needed"))


def write_world(world: World, out_dir, progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write declarations.csv, declarations.parquet, inspections.csv and truth.csv into ``out_dir``.

    ``progress`` is called with each file name before it is written. Returns the paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in FILES}
    step = progress or (lambda name: None)

    declarations = _table(world.declarations)
    inspections = _table(world.inspections)
    date = inspections.schema.get_field_index("inspection_date")
    inspections = inspections.set_column(date, "inspection_date", inspections.column(date).cast(pa.date32()))
    jobs = [("declarations.csv", _write_csv, declarations), ("declarations.parquet", pq.write_table, declarations),
            ("inspections.csv", _write_csv, inspections), ("truth.csv", _write_csv, _table(world.truth))]
    with ThreadPoolExecutor(2) as pool:  # pyarrow writes without the GIL: two files at a time
        written = []
        for name, write, table in jobs:
            step(name)
            written.append(pool.submit(write, table, paths[name]))
        for job in written:
            job.result()
    return paths
