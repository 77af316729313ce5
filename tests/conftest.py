"""Shared fixtures: a migrated database on SQLite and, when one answers (always on CI), on PostgreSQL.

Each test gets a database of its own, as migrated, without running the migrations again: each test process
(pytest-xdist worker) migrates once, then
- SQLite: the migrated file is copied for each test;
- PostgreSQL: the statements the migration sent are recorded and replayed, in one transaction, into a fresh schema
  (checked once per process: the replayed schema must equal a migrated one, catalogue and rows, else every test
  migrates as before). After a test its schema is emptied and used again: every row deleted (triggers off), the
  migration's own rows and the sequences put back as a replayed schema has them. A schema whose catalogue the test
  changed (a trigger dropped or disabled, a table altered) is dropped instead; the first emptied schema of each
  process is checked against a replayed one, catalogue and rows, else every test gets a fresh schema.
The code's own transactions run as in production (nothing is rolled back behind its back).
"""

import os

# the test processes (pytest-xdist: one per core) each compute on one thread: BLAS and OpenMP threads that wait for a
# core another process holds spin, and made a classification fit 3 times slower; OpenMP threads that code asks for
# explicitly (LightGBM's n_jobs=2) sleep rather than spin while they wait (a targeting model fit: 30 s -> 2 s on a
# busy machine). Set before numpy and the OpenMP runtimes are loaded, and inherited by the processes tests start.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# the tests' risk settings (a smaller classification screen: see the file) for every command and server that is given
# no settings file of its own, in this process and the processes it starts
RISK_SETTINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "risk_settings.yaml")
os.environ.setdefault("SMARTCUSTOMS_RISK_SETTINGS", RISK_SETTINGS)
# one argon2 lane: the tests' hashes are cheap (time cost 1, 64 KiB), and starting four threads for each of them
# cost more than the hash (1.7 ms of wall time against 0.04 ms, some 3,500 accounts in the web tests)
os.environ.setdefault("SMARTCUSTOMS_PASSWORD_PARALLELISM", "1")

import shutil  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from contextlib import closing  # noqa: E402
from copy import deepcopy  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from smartcustoms.store import migrate  # noqa: E402
from smartcustoms.store.db import make_engine  # noqa: E402

threadpool_limits(1)  # in case a plugin loaded numpy before this file


def _cli_consoles_as_in_a_pipe() -> None:
    """cli.common makes its consoles when it is first imported, from COLUMNS and whether stdout is a terminal at that
    moment: import it here, as a command whose output goes to a pipe (COLUMNS unset), so that their width does not
    depend on which test, in which pytest-xdist worker, happened to import it first."""
    columns = os.environ.pop("COLUMNS", None)
    try:
        import smartcustoms.cli.common  # noqa: F401
    except ImportError:  # moved: nothing to settle
        pass
    finally:
        if columns is not None:
            os.environ["COLUMNS"] = columns


_cli_consoles_as_in_a_pipe()

POSTGRES_URL = os.environ.get("SMARTCUSTOMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# a test's database need not survive a power cut: commits do not wait for the disk (what they see is unchanged)
POSTGRES_OPTIONS = "-csynchronous_commit%3Doff"


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


CATALOGUE_DIGEST = """SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
    SELECT 'c:' || c.relname || ':' || c.relkind::text AS x FROM pg_class c WHERE c.relnamespace = %(n)s
    UNION ALL SELECT 'a:' || c.relname || '.' || a.attname || ':' || a.atttypid::text || ':' || a.atttypmod::text
                     || a.attnotnull::text || a.atthasdef::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = %(n)s AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL SELECT 'k:' || k.conname || k.contype::text || c.relname
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE k.connamespace = %(n)s
    UNION ALL SELECT 't:' || t.tgname || t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = %(n)s AND NOT t.tgisinternal
    UNION ALL SELECT 'f:' || p.proname || md5(p.prosrc) FROM pg_proc p WHERE p.pronamespace = %(n)s
) parts"""


def _schema_url(schema: str) -> str:
    return POSTGRES_URL + f"?options=-csearch_path%3D{schema}%20{POSTGRES_OPTIONS}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, once per test process."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
    engine.dispose()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's write-ahead log was not checkpointed"
    return path


class PostgresSchemas:
    """Fresh schemas of the test database: migrated once, then as replays of what the migration sent."""

    def __init__(self):
        self.admin = make_engine(POSTGRES_URL + f"?options={POSTGRES_OPTIONS}")
        self.statements: list[tuple[str, object, bool]] | None = None
        self.extra: list[str] = []
        self.reuse, self.checked, self.pristine, self.spare = True, False, None, []

    def create(self) -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        return schema

    def drop(self, schema: str) -> None:
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")

    def migrated(self, record: bool = False) -> str:
        schema = self.create()
        engine = make_engine(_schema_url(schema))
        sent: list[tuple[str, object, bool]] = []
        if record:
            @event.listens_for(engine, "before_cursor_execute")
            def _record(conn, cursor, statement, parameters, context, executemany):
                sent.append((statement, parameters, executemany))
        migrate.upgrade(engine)
        engine.dispose()
        if record:
            self.statements = sent
        return schema

    def replayed(self) -> str:
        schema = self.create()
        engine = make_engine(_schema_url(schema))
        with engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()
            for statement, parameters, many in self.statements:
                (cursor.executemany if many else cursor.execute)(statement, parameters)
        engine.dispose()
        return schema

    def fingerprint(self, schema: str) -> dict:
        """What a test could tell apart: tables and columns, constraints, indexes, triggers, functions, sequences,
        and every row."""
        queries = {  # the schema's own name, where the catalogue writes it, is taken out
            "columns": "SELECT table_name, column_name, data_type, column_default, is_nullable, ordinal_position "
                       "FROM information_schema.columns WHERE table_schema = :s ORDER BY 1, 2",
            "constraints": "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                           "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                           "WHERE n.nspname = :s ORDER BY 1, 2",
            "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
                       "WHERE schemaname = :s ORDER BY 1, 2",
            "triggers": "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) "
                        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND NOT t.tgisinternal "
                        "ORDER BY 1, 2",
            "functions": "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                         "WHERE n.nspname = :s ORDER BY 1, 2",
            "sequences": "SELECT sequencename, last_value, start_value, increment_by FROM pg_sequences "
                         "WHERE schemaname = :s ORDER BY 1",
            "views": "SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = :s "
                     "ORDER BY 1",
        }
        out = {}
        with self.admin.connect() as conn:
            for name, sql in queries.items():
                out[name] = [repr(tuple(row)) for row in conn.execute(text(sql), {"s": schema})]
            for (table,) in conn.execute(text("SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = :s AND table_type = 'BASE TABLE' ORDER BY 1"),
                                         {"s": schema}):
                rows = conn.exec_driver_sql(f'SELECT * FROM {schema}."{table}"').all()
                out[f"rows of {table}"] = sorted(map(repr, rows))
        return {name: [row.replace(f"{schema}.", "") for row in rows] for name, rows in out.items()}

    def prepare(self) -> None:
        """Migrate once, recording; replay once; keep replaying only if the two are the same."""
        migrated = self.migrated(record=True)
        replayed = self.replayed()
        try:
            expected, found = self.fingerprint(migrated), self.fingerprint(replayed)
        finally:
            self.drop(migrated)
            self.drop(replayed)
        if expected != found:
            differ = sorted(key for key in expected.keys() | found.keys() if expected.get(key) != found.get(key))
            warnings.warn(f"a replayed migration differs from a migration ({', '.join(differ)}): each PostgreSQL "
                          "test migrates its own schema", stacklevel=1)
            self.statements = None

    def new(self) -> str:
        return self.replayed() if self.statements is not None else self.migrated()

    # --- schemas used again -------------------------------------------------------------------------------------
    def _catalogue(self, conn, schema: str) -> str:
        """A digest of what DDL could change in the schema: relations, columns, constraints, triggers (enabled
        or not) and functions, by name."""
        namespace = conn.exec_driver_sql("SELECT %(s)s::regnamespace::oid", {"s": schema}).scalar_one()
        return conn.exec_driver_sql(CATALOGUE_DIGEST, {"n": namespace}).scalar_one()

    def _prepare_reuse(self) -> None:
        """A pristine schema to copy the migration's own rows from, and what an emptied schema must look like."""
        self.pristine = self.new()
        with self.admin.connect() as conn:
            self.pristine_catalogue = self._catalogue(conn, self.pristine)
            tables = conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
                                       "AND table_type = 'BASE TABLE' ORDER BY 1"), {"s": self.pristine}).scalars()
            self._tables = list(tables)
        self._filled, self._sequences = self._rows(self.pristine)

    def _rows(self, schema: str) -> tuple[list[str], list]:
        """The tables of a schema that hold rows, and its sequences (name, start, last value)."""
        with self.admin.connect() as conn:
            filled = [t for t in self._tables
                      if conn.exec_driver_sql(f'SELECT 1 FROM {schema}."{t}" LIMIT 1').first() is not None]
            sequences = conn.execute(text("SELECT sequencename, start_value, last_value FROM pg_sequences "
                                          "WHERE schemaname = :s ORDER BY 1"), {"s": schema}).all()
        return filled, sequences

    def _put(self, schema: str, source: str, filled: list[str], sequences: list) -> bool:
        """Make the rows and sequences of `schema` those of `source` (its tables that hold rows: `filled`; its
        sequences: `sequences`); False when `schema`'s catalogue is not the migration's (a test changed it) or the
        rows could not be put (a connection the test left open holds a lock)."""
        statements = ["SET LOCAL session_replication_role = replica",  # no trigger (append-only guards) fires
                      "SET LOCAL lock_timeout = '10s'"]
        statements += [f'DELETE FROM {schema}."{t}"' for t in self._tables]
        statements += [f'INSERT INTO {schema}."{t}" OVERRIDING SYSTEM VALUE SELECT * FROM {source}."{t}"'
                       for t in filled]
        statements += [f"SELECT setval('{schema}.\"{name}\"', {start if last is None else last}, "
                       f"{'false' if last is None else 'true'})" for name, start, last in sequences]
        try:
            with self.admin.begin() as conn:
                if self._catalogue(conn, schema) != self.pristine_catalogue:
                    return False
                conn.exec_driver_sql("; ".join(statements))
        except Exception:  # noqa: BLE001 - not put: the caller drops the schema, or builds the rows again
            return False
        return True

    def _empty(self, schema: str) -> bool:
        """Put an used schema back as a replayed one; False when the test changed its catalogue (or it could not
        be emptied: a connection the test left open holds a lock)."""
        return self._put(schema, self.pristine, self._filled, self._sequences)

    def copy(self, schema: str):
        """A copy of a schema's rows, in a schema of its own (None when the schema's catalogue is not the
        migration's); put it into another schema with ``paste``."""
        if self.pristine is None:
            self._prepare_reuse()
        filled, sequences = self._rows(schema)
        held = self.take()
        if not self._put(held, schema, filled, sequences):
            self.drop(held)
            return None
        return held, filled, sequences

    def paste(self, copy, schema: str) -> bool:
        held, filled, sequences = copy
        return self._put(schema, held, filled, sequences)

    def take(self) -> str:
        """A schema as migrated: an emptied one when there is one, else a new one."""
        if self.reuse and self.spare:
            return self.spare.pop()
        return self.new()

    def give_back(self, schema: str) -> None:
        if self.reuse:
            if self.pristine is None:
                self._prepare_reuse()
            if self._empty(schema):
                if not self.checked:  # the first emptied schema of the process must equal a replayed one
                    self.checked = True
                    if self.fingerprint(schema) != self.fingerprint(self.pristine):
                        warnings.warn("an emptied schema differs from a replayed one: each PostgreSQL test gets a "
                                      "fresh schema", stacklevel=1)
                        self.reuse = False
                        self.drop(schema)
                        return
                self.spare.append(schema)
                return
        self.drop(schema)

    def close(self) -> None:
        for schema in [*self.spare, *([self.pristine] if self.pristine else [])]:
            self.drop(schema)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_schemas():
    if not _postgres_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL does not answer at 127.0.0.1:5432, and CI must test it")
        pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432")
    schemas = PostgresSchemas()
    schemas.prepare()
    yield schemas
    schemas.close()


DATABASES: dict[int, tuple[str, object]] = {}  # id of a test's engine: ("sqlite", its file) or ("postgresql", schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A fresh, migrated database: a SQLite file, or a schema of its own in PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        DATABASES[id(engine)] = ("sqlite", path)
        yield engine
        del DATABASES[id(engine)]
        engine.dispose()
        return
    schemas = request.getfixturevalue("postgres_schemas")
    schema = schemas.take()
    engine = make_engine(_schema_url(schema))
    DATABASES[id(engine)] = ("postgresql", schema)
    yield engine
    del DATABASES[id(engine)]
    engine.dispose()
    schemas.give_back(schema)


def _sqlite_copy(source, target) -> None:
    """Every page of one SQLite database into another (SQLite's backup; the target may be open elsewhere)."""
    with closing(sqlite3.connect(source, timeout=30)) as read, closing(sqlite3.connect(target, timeout=30)) as write:
        read.backup(write)


@pytest.fixture(scope="module")
def staged_copies():
    """The databases (and folders) that `staged_once` kept in this module: {(fixture, database kind): copy}."""
    copies: dict = {}
    yield copies
    for copy, _, _ in copies.values():
        if isinstance(copy, tuple):  # a PostgreSQL schema: emptied and used again
            schemas, held = copy[0], copy[1][0]
            schemas.give_back(held)


@pytest.fixture
def staged_once(request, engine, staged_copies, tmp_path_factory):
    """``staged_once(name, build, folder=None)``, called by the fixture `name` of a module whose tests all need
    the same rows staged (by `build()`, on this test's database, through its app): the first test that asks (per
    kind of database) runs `build()`, and a copy of its database (and of `folder`) is kept; each later test of the
    module gets that copy put into its own database (and folder) in place of its rows, and a copy of the value
    `build()` returned. So that the copy is what `build()` would give in each test, `build()` must depend only on
    fixtures that are the same in every test of the module; the accounts in the copy are those of the first test
    (take the people from the value, not from a fixture of the test)."""
    def once(name: str, build, folder: Path | None = None):
        kind, where = DATABASES[id(engine)]
        key = (name, kind)
        if key in staged_copies:
            copy, value, files = staged_copies[key]
            if kind == "sqlite":
                _sqlite_copy(copy, where)
                pasted = True
            else:
                schemas, held = copy
                pasted = schemas.paste(held, where)
            if pasted:
                if files is not None:
                    shutil.copytree(files, folder, dirs_exist_ok=True)
                return deepcopy(value)
        value = build()
        others = [item for item in request.session.items if item.module is request.module and item is not request.node
                  and name in item.fixturenames and getattr(item, "callspec", None) is not None
                  and item.callspec.params.get("engine") == kind]
        if key not in staged_copies and others:  # keep a copy for them
            if kind == "sqlite":
                copy = tmp_path_factory.mktemp("staged") / "staged.db"
                _sqlite_copy(where, copy)
            else:
                schemas = request.getfixturevalue("postgres_schemas")
                held = schemas.copy(where)
                copy = (schemas, held) if held is not None else None
            files = None
            if folder is not None and folder.exists():
                files = tmp_path_factory.mktemp("staged-files") / "files"
                shutil.copytree(folder, files)
            if copy is not None:
                staged_copies[key] = (copy, deepcopy(value), files)
        return value

    return once
