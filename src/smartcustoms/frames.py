"""Small helpers for moving between DataFrames and plain Python rows."""

import numpy as np
import pandas as pd


def column_values(series: pd.Series) -> list:
    """A column as plain Python values, with None (never NaN or NaT) for missing values."""
    values = series.tolist()
    if series.hasnans:
        values = [None if missing else value for value, missing in zip(values, series.isna().tolist())]
    return values


def records(frame: pd.DataFrame, columns: list[str] | None = None, rename: dict | None = None, *,
            as_is: bool = False) -> list[dict]:
    """Rows as dicts of plain Python values: None for NaN/NaT/NA, datetime for timestamps (much faster than
    DataFrame.to_dict("records") on wide frames); `columns` picks and orders them, `rename` renames them. With
    `as_is`, the values ``to_dict("records")`` gives (NaN and Timestamps kept), from one conversion of the frame to
    objects: many times faster than it, or than reading column by column, on small frames (the risk engine's
    explanations). The one frame-to-dicts helper of the code
    (web presenters, API answers, repositories, the risk engine)."""
    names = [str((rename or {}).get(name, name)) for name in (frame.columns if columns is None else columns)]
    if as_is:  # the whole frame as objects at once (what tolist gives column by column): no column built
        rows = (frame if columns is None else frame[columns]).to_numpy(dtype=object).tolist()
        return [dict(zip(names, row)) for row in rows]
    columns = list(frame.columns) if columns is None else columns
    values = []
    for name in columns:
        series = frame[name]
        column = column_values(series)
        if pd.api.types.is_datetime64_any_dtype(series) or series.dtype == object:
            column = [plain(value) for value in column]
        values.append(column)
    return [dict(zip(names, row)) for row in zip(*values)]


def plain(value):
    """A value of a pandas frame as plain Python: None for NaN/NaT/NA, datetime for timestamps, int/float/bool
    for numpy scalars."""
    if isinstance(value, list | tuple | dict | set):
        return value
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


_OBJECT = np.dtype(object)


def objects(values: np.ndarray, index: pd.Index | None = None, name=None) -> pd.Series:
    """A column of Python objects for a frame built from a mapping of columns (pandas 3 would read a NumPy array
    of texts as strings): a Series of `values` as they are, on `index`, not copied (the frame built from it copies;
    `values` must not change after). A NumPy dtype rather than ``object``, which pandas parses each time: a third
    less of pandas' fixed cost, which the risk engine pays about 30 times for a declaration being lodged."""
    return pd.Series(values, dtype=_OBJECT, index=index, name=name, copy=False)


def first_rows(ids: pd.Series) -> list[int]:
    """The position of each key's first row (drop_duplicates' choice, at a fraction of its cost on the small
    frames of single submissions)."""
    first: dict = {}
    for position, key in enumerate(ids.tolist()):
        first.setdefault(key, position)
    return list(first.values())


def ordered(values, known: tuple[str, ...]) -> list[str]:
    """Distinct values: the known ones in their order, then the others sorted."""
    present = {str(v) for v in pd.unique(pd.Series(values, dtype=object).dropna())}
    return [v for v in known if v in present] + sorted(present - set(known))


class _ReadOnce(pd.DataFrame):
    """A few rows being assessed (see `read_once`): each column is read once, as Python objects for text."""

    @property
    def _constructor(self):
        return pd.DataFrame  # what pandas derives from it (a selection, a copy) is a plain frame

    def __getitem__(self, key):
        if not isinstance(key, str):
            return super().__getitem__(key)
        read = self.__dict__["_read"]
        column = read.get(key)
        if column is None:
            # from the plain frame: a subclass's column is built twice by pandas (a Series, then one from it)
            column = self.__dict__["_plain"][key]
            if isinstance(column.dtype, pd.StringDtype):
                column = objects(column.to_numpy(dtype=object), column.index, name=key)
            read[key] = column
        return column


def read_once(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (a declaration being lodged: a few rows) as a frame whose columns are read once: ``frame[name]``
    gives the same Series object every time, text columns (pandas' Arrow strings) as Python objects, so that the
    risk screens' many reads of a few columns (``tolist``, ``to_numpy``: tens of microseconds each on Arrow
    strings) cost nothing after the first. The same values; anything derived from it is a plain frame. The
    frame must not change while it is read."""
    out = _ReadOnce(frame)
    object.__setattr__(out, "_read", {})
    object.__setattr__(out, "_plain", frame)
    return out
