"""National scale: the history as partitioned Parquet, its statistics per partition, assessment and training on
Dask (docs/scale.md)."""
