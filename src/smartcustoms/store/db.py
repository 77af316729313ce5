"""The database engine (SQLite file by default, PostgreSQL via SMARTCUSTOMS_DATABASE_URL)."""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: SQLite's own waiting only
    fcntl = None

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event
from sqlalchemy.exc import IntegrityError

from smartcustoms.frames import column_values

log = logging.getLogger(__name__)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the engine; a SQLite file's folder is created on first use."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "postgresql":
        ping_when_idle(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def ping_when_idle(engine: Engine, idle: float = 1.0) -> None:
    """A pooled connection left unused for more than `idle` seconds is tried (one round trip) before it is handed
    out, and replaced when the server closed it (PostgreSQL restarted, a network cut): the web lodges again as soon
    as the server is back, without a restart of its own (issue 14). A busy connection is not tried (SQLAlchemy's
    pool_pre_ping would cost a round trip on every checkout, several per lodging batch); one that the server
    closed while it was busy fails the statement that finds it, and SQLAlchemy then replaces every connection
    of the pool."""
    from sqlalchemy import exc

    def checkout(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("returned", 0.0) <= idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure of the round trip: the pool connects again
            raise exc.DisconnectionError("the pooled connection no longer answers") from error

    def checkin(_dbapi_connection, record) -> None:
        record.info["returned"] = time.monotonic()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)


def checkpoint_in_background(engine: Engine, every: float = 0.2, synchronous: str = "full") -> threading.Thread | None:
    """On a SQLite file: the engine's commits no longer copy the write-ahead log back into the database (SQLite's
    automatic checkpoint: inside the write lock, it took up to a second under load, every other writer waiting);
    a daemon thread does it every `every` seconds instead (PASSIVE: it blocks no writer or reader). For the
    long-running writers of the web (the lodging and opening processes); call it before the engine's first
    connection. `synchronous`: "full", each commit waits for the disk; "normal", only the checkpoints do (a
    power cut or a crash of the system can undo the commits since the last one, a crash of the program none).
    Returns the thread (None for another database)."""
    if engine.dialect.name != "sqlite" or not shared_database(engine):
        return None
    if synchronous not in ("full", "normal"):
        raise ValueError(f"synchronous must be 'full' or 'normal', got {synchronous!r}")

    def no_automatic_checkpoint(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous.upper()}")

    def run() -> None:
        while True:
            time.sleep(every)
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("checkpointing %s failed", engine.url.database)

    event.listen(engine, "connect", no_automatic_checkpoint)
    thread = threading.Thread(target=run, name="sqlite-checkpoint", daemon=True)
    thread.start()
    return thread


def bulk_insert(connection: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert a frame's rows inside the caller's transaction: COPY on PostgreSQL, executemany elsewhere.

    This skips SQLAlchemy's per-row parameter processing, which costs more than the database itself here.
    """
    if frame.empty:
        return
    values = []
    sqlite = connection.dialect.name == "sqlite"
    for _, series in frame.items():
        if pd.api.types.is_datetime64_any_dtype(series):
            series = (sqlite_times(series) if sqlite
                      else pd.Series(series.dt.to_pydatetime(), index=series.index, dtype=object))
        elif sqlite and series.dtype == object and pd.api.types.infer_dtype(series) in ("datetime", "mixed"):
            series = series.map(lambda value: sqlite_time(value) if isinstance(value, datetime) else value)
        values.append(column_values(series))
    _insert(connection, table, list(frame.columns), list(zip(*values)))


SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy writes a DateTime to SQLite (%Y zero-padded to 4 digits)
SQLITE_TIME_GLOB = "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]*"  # migration 0009


def sqlite_time(value: datetime) -> str:
    """A datetime as SQLite stores it: 'YYYY-MM-DD HH:MM:SS.ffffff', naive UTC, the year always 4 digits
    (strftime's %Y writes year 1 as '1' on Linux: such a row could not be read back). Aware times are converted
    to UTC."""
    value = moment(value)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")


def sqlite_times(series: pd.Series) -> pd.Series:
    """sqlite_time of a datetime column at once (NaT stays missing)."""
    if series.dt.tz is not None:
        series = series.dt.tz_convert(UTC).dt.tz_localize(None)
    text = np.datetime_as_string(series.to_numpy(dtype="datetime64[us]"), unit="us")  # years always 4 digits
    return pd.Series(text, index=series.index, dtype=object).str.replace("T", " ", regex=False).where(
        series.notna(), None)


VALUES_MOST = 5000  # values in one INSERT on PostgreSQL (a lodging batch); more go by COPY (an import)


def insert_rows(connection: Connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    """bulk_insert for rows at hand (tuples in `columns` order; None for missing values, datetimes as they
    are)."""
    if connection.dialect.name == "sqlite":
        rows = [tuple(sqlite_time(value) if isinstance(value, datetime) else value for value in row)
                for row in rows]
    _insert(connection, table, columns, rows)


def _insert(connection: Connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    """insert_rows with SQLite's datetimes already text."""
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        try:
            with connection.connection.driver_connection.cursor() as cursor:
                if len(rows) * len(columns) <= VALUES_MOST:
                    # one statement sent for every row in pipeline mode: one round trip; COPY takes two (its start,
                    # then the rows and the end), which on a lodging batch of a few rows a table cost more than the
                    # rows (issue 14: PostgreSQL's tail). One INSERT of many VALUES would be one round trip too,
                    # but its text differs with the number of rows and psycopg parses each anew (3.3 ms of CPU for
                    # 120 rows of 12 columns against 1.7 ms)
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
                else:
                    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        except connection.dialect.dbapi.IntegrityError as exc:  # as SQLAlchemy raises it for any other statement
            raise IntegrityError(f"INSERT INTO {table.name}", None, exc) from exc
    else:
        marks = ", ".join("?" * len(columns))
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


@contextmanager
def transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection inside a transaction: a new one for an Engine, or the caller's own Connection (whose
    transaction the caller owns)."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    else:
        yield bind


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()`` for a write transaction. On a SQLite file, writers (threads or processes) queue on an
    OS lock beside the file (``<file>.writer``) and go one at a time: SQLite's own wait for its write lock polls
    with sleeps of up to 100 ms, which made lodging through two server processes slower than through one."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        with engine.begin() as conn:
            yield conn
        return
    with open(f"{database}.writer", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def shared_database(db: Engine) -> bool:
    """Whether another process can open `db` (a server, or a SQLite file)."""
    database = db.url.database
    return db.dialect.name != "sqlite" or bool(database and database != ":memory:" and not database.startswith("file:"))


def utc_now() -> datetime:
    """Now, as the naive UTC time the database stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def moment(at: datetime | None) -> datetime:
    """`at` as the naive UTC time the database stores (an aware time is converted), or now."""
    if at is None:
        return utc_now()
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
