"""Benchmark: submit and assess over HTTP (POST /api/v1/declarations), 50 concurrent clients in a closed loop.

Target: p99 <= 100 ms and >= 200 requests/s on SQLite on the 2-core machine; PostgreSQL reported.

The server runs in processes of its own (uvicorn with httptools and uvloop, no access log; one process, then
two as `smartcustoms serve --workers 2` would; each lodges in a process of its own, as the server does on a
file or server database), on a database holding a generated history (declarations,
historic controls, the example profiles published) on which it fits its risk engine at startup. The load comes
from another process: `wrk` (C, one thread, a Lua script that posts distinct declarations) when it is
installed, else a small asyncio client of this file (raw HTTP/1.1 over keep-alive connections). Every request
lodges a declaration never seen before (pre-generated valid JSON from the same synthetic world, lodged with an
admin token), so every request stores, assesses and records one declaration. As on a live server, they are
declarations of the day: dated the day after the history (at their own time of day). A warm-up precedes the measured
window. Prints a table and updates docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_web.py [--databases sqlite postgresql] [--workers 1 2] [--duration 30]
        [--warmup 8] [--clients 50] [--history 5000] [--client wrk|asyncio] [--no-doc]
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
POSTGRES_URL = os.environ.get("SMARTCUSTOMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PATH = "/api/v1/declarations"
WRK_SCRIPT = r"""
-- posts the bodies of a file (one JSON document a line), each once: connection i takes lines i, i+n, ...
local bodies, next_body, statuses, token = {}, 1, {}, nil
function init(args)
  token = args[1]
  local index, threads = tonumber(args[3]), tonumber(args[4])
  local n = 0
  for line in io.lines(args[2]) do
    n = n + 1
    if n % threads == index then bodies[#bodies + 1] = line end
  end
end
function request()
  local body = bodies[next_body]
  next_body = next_body + 1
  if body == nil then body = bodies[1] end  -- out of bodies: repeats (reported, never counted as fresh)
  return wrk.format("POST", "/api/v1/declarations",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local out = {requests = summary.requests, duration_us = summary.duration,
               errors = summary.errors.connect + summary.errors.read + summary.errors.write
                        + summary.errors.timeout + summary.errors.status,
               p50 = latency:percentile(50), p95 = latency:percentile(95), p99 = latency:percentile(99),
               max = latency.max, mean = latency.mean}
  io.write("RESULT " .. string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}',
    out.requests, out.duration_us, out.errors, out.p50, out.p95, out.p99, out.max) .. "\n")
end
"""


# --- the database and the requests ---------------------------------------------------------------------------


def prepare(url: str, history: int, live: int, seed: int, folder: Path) -> tuple[str, Path]:
    """Migrate `url`, store a generated history (declarations, outcomes, published example profiles), create an
    admin account with an API token, and write `live` distinct declarations of the same world as JSON lines."""
    import pandas as pd

    from smartcustoms.accounts import service as accounts
    from smartcustoms.accounts.passwords import make_hasher
    from smartcustoms.declarations import repository
    from smartcustoms.declarations.models import HEADER_FIELDS, ITEM_FIELDS
    from smartcustoms.declarations.validate import validate
    from smartcustoms.outcomes.service import store_outcomes
    from smartcustoms.risk import repository as profile_store
    from smartcustoms.risk.profiles import profile_files
    from smartcustoms.store import migrate
    from smartcustoms.store.db import make_engine
    from smartcustoms.world import WorldConfig, generate

    db = make_engine(url)
    migrate.upgrade(db)
    world = generate(WorldConfig(declarations=history + live, seed=seed, start="2025-01-01", days=365))
    validated = validate(world.declarations)
    valid = validated.valid.sort_values(["acceptance_datetime", "declaration_id", "item_number"], kind="stable")
    order = valid["declaration_id"].drop_duplicates().tolist()
    past = set(order[:history])
    old = valid[valid["declaration_id"].isin(past)]
    batch_id = repository.start_batch(db, "bench_web history", "csv", "own")
    stored = repository.store(db, old, batch_id)
    repository.finish_batch(db, batch_id, stored, validated.rejects.iloc[:0], 0)
    cut = old["acceptance_datetime"].max()
    outcomes = world.inspections[world.inspections["declaration_id"].isin(past)
                                 & (pd.to_datetime(world.inspections["inspection_date"]) <= cut)]
    store_outcomes(db, outcomes.assign(inspection_date=pd.to_datetime(outcomes["inspection_date"])))
    sources = [(path.read_text(encoding="utf-8"), str(path)) for path in profile_files(ROOT / "profiles")]
    for profile_id, version in profile_store.commit_sources(db, sources, author="bench.analyst"):
        profile_store.approve(db, profile_id, version, approver="bench.supervisor")
        profile_store.publish(db, profile_id, version, actor="bench.supervisor")
    accounts.create_user(db, "bench", "bench password 1", "admin", hasher=make_hasher(1, 64))
    _, token = accounts.create_token(db, "bench", "bench_web")

    bodies = folder / "bodies.jsonl"
    fresh = valid[~valid["declaration_id"].isin(past)]
    when = fresh["acceptance_datetime"]  # live traffic: the declarations lodged are of one day, the history's next
    fresh = fresh.assign(acceptance_datetime=cut.floor("D") + pd.Timedelta(days=1) + (when - when.dt.floor("D")))
    with bodies.open("w", encoding="utf-8") as out:
        for _key, rows in fresh.groupby("declaration_id", sort=False):
            first = rows.iloc[0]
            body = {name: _plain(first[name]) for name in HEADER_FIELDS}
            body["items"] = [{name: _plain(value) for name, value in zip(ITEM_FIELDS, item)}
                             for item in rows[ITEM_FIELDS].itertuples(index=False, name=None)]
            out.write(json.dumps(body, separators=(",", ":")) + "\n")
    db.dispose()
    return token, bodies


def _plain(value):
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


# --- the server (its own process) ----------------------------------------------------------------------------


def bench_app():
    """The application as `smartcustoms serve` builds it (settings from SMARTCUSTOMS_* variables, risk engine
    fitted at startup on the stored history), plus /bench/stats: the micro-batcher's counters and the garbage
    collector's pauses of this process."""
    import gc

    from smartcustoms.web.app import create_app

    app = create_app()
    pauses = {"collections": 0, "seconds": 0.0, "longest": 0.0}
    clock = {}

    def on_gc(phase, info):
        if phase == "start":
            clock["t"] = time.perf_counter()
        elif "t" in clock:
            took = time.perf_counter() - clock["t"]
            pauses["collections"] += 1
            pauses["seconds"] += took
            pauses["longest"] = max(pauses["longest"], took)

    gc.callbacks.append(on_gc)

    def stats(reset: bool = False) -> dict:
        batcher = app.state.batcher
        out = {"batches": batcher.batches, "items": batcher.items, "busy": batcher.busy, "gc": dict(pauses)}
        if reset:
            pauses["longest"] = 0.0
        return out

    app.add_api_route("/bench/stats", stats, include_in_schema=False)
    return app


def serve(port: int, workers: int) -> None:
    """uvicorn with its fast settings: httptools, uvloop, no access log; several processes as `smartcustoms
    serve --workers` runs them (a socket each)."""
    import uvicorn

    from smartcustoms.web.runtime.processes import serve_processes

    options = {"http": "httptools", "loop": "uvloop", "access_log": False, "log_level": "warning"}
    if workers == 1:
        uvicorn.run("bench_web:bench_app", factory=True, host="127.0.0.1", port=port, **options)
    else:
        sys.exit(serve_processes("bench_web:bench_app", host="127.0.0.1", port=port, processes=workers, **options))


# --- the load (another process) ------------------------------------------------------------------------------


async def _asyncio_load(port: int, token: str, bodies: list[bytes], connections: int, seconds: float,
                        think: float = 0.0) -> dict:
    """Each connection sends its next declaration `think` seconds after it has read the previous answer (0: at
    once, a closed loop)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    state = {"stop": False, "next": 0}

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\n").encode()
        while not state["stop"]:
            body = bodies[state["next"] % len(bodies)]
            state["next"] += 1
            started = time.perf_counter()
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
            if think:  # exponential: clients not in step
                await asyncio.sleep(random.expovariate(1 / think))
        writer.close()

    started = time.perf_counter()
    tasks = [asyncio.create_task(one_connection()) for _ in range(connections)]
    await asyncio.sleep(seconds)
    state["stop"] = True
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))] * 1000

    return {"requests": len(latencies), "seconds": elapsed, "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "max": latencies[-1] * 1000, "errors": 0,
            "non2xx": sum(n for status, n in statuses.items() if not 200 <= status < 300)}


def client(port: int, token: str, bodies_path: Path, connections: int, seconds: float, think: float) -> None:
    import uvloop

    bodies = bodies_path.read_bytes().splitlines()
    print("RESULT " + json.dumps(uvloop.run(_asyncio_load(port, token, bodies, connections, seconds, think))))


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of a process and its children (uvicorn's worker processes)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def _children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _get(port: int, path: str) -> dict:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10).json()


def _load(kind: str, port: int, token: str, bodies: Path, connections: int, seconds: float,
          folder: Path, think: float = 0.0) -> dict:
    """One run of the load generator (its own process) posting each body of `bodies` once; each connection
    waits `think` seconds between an answer and its next request (0: a closed loop)."""
    if kind == "wrk":
        script = folder / "post.lua"
        # think times drawn from an exponential distribution: clients that are not in step (a fixed pause keeps
        # the 50 in step, and they arrive as bursts of 50)
        pause = f"function delay() return -{think * 1000:.1f} * math.log(1 - math.random()) end\n"
        script.write_text(WRK_SCRIPT + (pause if think else ""), encoding="utf-8")
        command = ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "10s", "-s", str(script),
                   f"http://127.0.0.1:{port}", "--", token, str(bodies), "0", "1"]
    else:
        command = [sys.executable, __file__, "client", "--port", str(port), "--token", token, "--bodies",
                   str(bodies), "--clients", str(connections), "--seconds", str(seconds), "--think", str(think)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    data = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT ")).removeprefix("RESULT "))
    if kind != "wrk":
        return data
    non2xx = next((int(line.split(":")[1]) for line in out.splitlines() if "Non-2xx or 3xx responses" in line), 0)
    return {"requests": data["requests"], "seconds": data["duration_us"] / 1e6, "p50": data["p50_us"] / 1000,
            "p95": data["p95_us"] / 1000, "p99": data["p99_us"] / 1000, "max": data["max_us"] / 1000,
            "errors": data["errors"], "non2xx": non2xx}


def measure(url: str, args, folder: Path) -> list[tuple[str, dict]]:
    """The closed-loop run, then (with --paced-rate) the paced one, on one server: [(load, result), ...]."""
    token, bodies = prepare(url, args.history, args.live, args.seed, folder)
    lines = bodies.read_text(encoding="utf-8").splitlines()
    paced_count = int(args.paced_rate * args.paced_duration * 1.8) if args.paced_rate else 0
    warm_count = int((len(lines) - paced_count) * args.warmup / (args.warmup + args.duration))
    parts = {"warm": lines[:warm_count], "main": lines[warm_count:len(lines) - paced_count],
             "paced": lines[len(lines) - paced_count:]}
    for name, part in parts.items():
        (folder / f"{name}.jsonl").write_text("\n".join(part) + "\n", encoding="utf-8")
    port = _free_port()
    settings = {"DATABASE_URL": url, "BATCH_WAIT_MS": args.wait_ms, "BATCH_MAX": args.batch_max,
                "RISK_SETTINGS": args.risk_settings}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent),
                                                        os.environ.get("PYTHONPATH", "")]),
           **{f"SMARTCUSTOMS_{name}": str(value) for name, value in settings.items() if value is not None}}
    server = subprocess.Popen([sys.executable, __file__, "serve", "--port", str(port), "--workers",
                               str(args.workers)], env=env)
    runs = []
    try:
        _wait_for(port, server)
        _load(args.client, port, token, folder / "warm.jsonl", args.clients, args.warmup, folder)
        _controls_opened(url)
        runs.append(("closed loop", _measured(args, port, token, folder / "main.jsonl", len(parts["main"]),
                                              args.duration, 0.0, server, folder)))
        if args.paced_rate:
            # the closed loop lodges faster than the background opening of controls keeps up with: the paced
            # run measures a server at its rate, not one catching up on the closed loop's backlog
            runs[-1][1]["catch_up"] = _controls_opened(url)
            # the period less room for the answer (up to 40 % of it): the clients offer at least --paced-rate
            think = 0.6 * args.clients / args.paced_rate
            runs.append((f"paced: {think * 1000:.0f} ms between answer and next (mean)",
                         _measured(args, port, token, folder / "paced.jsonl", len(parts["paced"]),
                                   args.paced_duration, think, server, folder)))
    finally:
        server.terminate()
        server.wait(timeout=60)
    return runs


def _measured(args, port: int, token: str, bodies: Path, available: int, seconds: float, think: float,
              server: subprocess.Popen, folder: Path) -> dict:
    stats = args.workers == 1  # with several processes, /bench/stats would answer for one of them
    before = _get(port, "/bench/stats?reset=true") if stats else None
    server_cpu, client_cpu = _tree_cpu_seconds(server.pid), _children_cpu_seconds()
    started = time.perf_counter()
    result = _load(args.client, port, token, bodies, args.clients, seconds, folder, think)
    wall = time.perf_counter() - started
    server_cpu, client_cpu = _tree_cpu_seconds(server.pid) - server_cpu, _children_cpu_seconds() - client_cpu
    after = _get(port, "/bench/stats") if stats else None
    result.update(rate=result["requests"] / result["seconds"], server_cores=server_cpu / wall,
                  client_cores=client_cpu / wall, repeats=max(0, result["requests"] - available))
    if stats:
        batches = after["batches"] - before["batches"]
        result.update(batch_size=(after["items"] - before["items"]) / batches if batches else 0.0,
                      worker_busy=(after["busy"] - before["busy"]) / wall,
                      gc_seconds=after["gc"]["seconds"] - before["gc"]["seconds"],
                      gc_longest=after["gc"]["longest"])
    return result


def _controls_opened(url: str, seconds: float = 600) -> float:
    """Wait until every declaration lodged through the web has its clearance row (the server opens the control
    chain in the background, every 2 s) and the system has written what it holds to disk; returns the seconds
    waited."""
    from sqlalchemy import text

    from smartcustoms.store.db import make_engine

    db = make_engine(url)
    started = time.perf_counter()
    query = text("SELECT count(*) FROM submissions s WHERE NOT EXISTS "
                 "(SELECT 1 FROM clearance c WHERE c.declaration_id = s.declaration_id)")
    try:
        while time.perf_counter() - started < seconds:
            with db.connect() as conn:
                if not conn.execute(query).scalar():
                    # and the data of the run before on disk: the kernel would otherwise write it back during the
                    # next run (half a minute later), and writes would wait behind it
                    os.sync()
                    return time.perf_counter() - started
            time.sleep(0.5)
    finally:
        db.dispose()
    raise RuntimeError("the server did not open the controls of what it lodged")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, server: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped with code {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not start")


def _postgres_database() -> tuple[str, callable]:
    """A fresh database on the PostgreSQL server of POSTGRES_URL, and the function that drops it."""
    from smartcustoms.store.db import make_engine

    name = f"bench_web_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", help="used by the benchmark itself")
    for p in (parser,):
        p.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
        p.add_argument("--duration", type=float, default=30, help="measured seconds")
        p.add_argument("--warmup", type=float, default=8, help="seconds of load before measuring")
        p.add_argument("--clients", type=int, default=50, help="concurrent connections, closed loop")
        p.add_argument("--history", type=int, default=5000, help="declarations stored before the test")
        p.add_argument("--live", type=int, default=60000, help="distinct declarations generated to lodge")
        p.add_argument("--paced-rate", type=float, default=200, help="then a paced run: clients wait between an "
                       "answer and their next request so that they offer about this many requests/s (0: none)")
        p.add_argument("--paced-duration", type=float, default=20, help="measured seconds of the paced run")
        p.add_argument("--seed", type=int, default=5)
        p.add_argument("--wait-ms", type=float, default=None, help="SMARTCUSTOMS_BATCH_WAIT_MS (default: the "
                                                                   "server's default)")
        p.add_argument("--batch-max", type=int, default=None, help="SMARTCUSTOMS_BATCH_MAX (default: the "
                                                                   "server's default)")
        p.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                       help="server processes (`smartcustoms serve --workers`), one run each")
        p.add_argument("--risk-settings", default=None, help="risk settings YAML (default: built-in, as "
                                                             "`smartcustoms serve`)")
        p.add_argument("--client", choices=["wrk", "asyncio"], default="wrk" if shutil.which("wrk") else "asyncio")
        p.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    server = sub.add_parser("serve")
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--workers", type=int, default=1)
    load = sub.add_parser("client")
    load.add_argument("--port", type=int, required=True)
    load.add_argument("--token", required=True)
    load.add_argument("--bodies", type=Path, required=True)
    load.add_argument("--clients", type=int, default=50)
    load.add_argument("--seconds", type=float, default=30)
    load.add_argument("--think", type=float, default=0.0)
    args = parser.parse_args()

    if args.command == "serve":
        serve(args.port, args.workers)
        return
    if args.command == "client":
        client(args.port, args.token, args.bodies, args.clients, args.seconds, args.think)
        return
    report(args)


def _met(r: dict) -> str:
    return "met" if r["p99"] <= 100 and r["rate"] >= 200 else "not met"


def report(args) -> None:
    from report import machine, update_section

    results = []  # (database, processes, load, result)
    for database in args.databases:
        for workers in args.workers:
            run = argparse.Namespace(**{**vars(args), "workers": workers})
            with tempfile.TemporaryDirectory(prefix="bench_web_") as tmp:
                folder = Path(tmp)
                if database == "sqlite":
                    runs = measure(f"sqlite:///{folder / 'bench.db'}", run, folder)
                else:
                    url, drop = _postgres_database()
                    try:
                        runs = measure(url, run, folder)
                    finally:
                        drop()
            for load_kind, result in runs:
                results.append((database, workers, load_kind, result))
                print(database, workers, load_kind, json.dumps(result), flush=True)
    averages = os.getloadavg()
    lines = [
        "| database | server processes | load | lodgings/s | p50 | p95 | p99 | max | target (p99 <= 100 ms, "
        ">= 200/s) | CPU: server, load generator | mean batch | batch worker busy | GC pauses (sum, longest) "
        "| errors, non-2xx, repeats |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- | --- |",
    ]
    for database, workers, load_kind, r in results:
        batch = (f"{r['batch_size']:.1f} | {r['worker_busy']:.0%} | {r['gc_seconds'] * 1000:,.0f} ms, "
                 f"{r['gc_longest'] * 1000:.0f} ms" if "batch_size" in r else "– | – | –")
        lines.append(f"| {database} | {workers} | {load_kind} | {r['rate']:,.0f} | {r['p50']:.0f} ms "
                     f"| {r['p95']:.0f} ms | {r['p99']:.0f} ms | {r['max']:.0f} ms | {_met(r)} "
                     f"| {r['server_cores']:.2f}, {r['client_cores']:.2f} cores | {batch} "
                     f"| {r['errors']}, {r['non2xx']}, {r['repeats']} |")
    print("\n".join(lines))
    if args.no_doc:
        return
    closed = [(database, workers, r) for database, workers, kind, r in results if kind == "closed loop"]
    spread = ", ".join(f"p99 / mean = {r['p99'] / (args.clients / r['rate'] * 1000):.1f} on {database} "
                       f"({workers})" for database, workers, r in closed)
    client_words = ("wrk 4.1 (C, one thread; a Lua script posts each pre-generated declaration once)"
                    if args.client == "wrk" else "the asyncio client of the script (raw HTTP/1.1 on uvloop)")
    sqlite_one = [(kind, r) for database, workers, kind, r in results if database == "sqlite" and workers == 1]
    body = "\n".join([
        f"`POST /api/v1/declarations` with an admin token from {args.clients} keep-alive connections, every "
        f"request a declaration never lodged before (valid JSON from the synthetic world), so each one is stored, "
        f"assessed and recorded. Two loads: a **closed loop** (each connection sends its next declaration as soon "
        f"as it has read the answer: the most the server can do), then a **paced** one (each connection waits a "
        f"random time, exponentially distributed, between an answer and its next declaration, so that the "
        f"{args.clients} clients offer about {args.paced_rate:.0f} declarations/s: the target's rate). The "
        f"database holds a generated history of {args.history:,} declarations with their historic controls and the"
        f" example profiles published; the server fits its risk engine on it at startup (built-in settings, as "
        f"`smartcustoms serve`). Server: uvicorn (httptools, uvloop, no access log) with the default settings "
        f"(micro-batching, API-token cache, the control chain opened every 2 s for what was lodged, by a process "
        f"of its own; on SQLite, checkpoints in the background and `SMARTCUSTOMS_SQLITE_SYNCHRONOUS=normal`), "
        f"one process or two as `smartcustoms serve --workers 2` runs them. Load: {client_words}, "
        f"in a process of its own. "
        f"{args.warmup:.0f} s of warm-up (other declarations), then {args.duration:.0f} s measured in the closed "
        f"loop and {args.paced_duration:.0f} s paced. Before each measured run, the benchmark waits until every "
        f"declaration lodged so far has its clearance row and the system has written its data to disk (`sync`), "
        f"so that a run does not inherit the background work of the one before (after the closed loop it waited "
        + ", ".join(f"{r['catch_up']:.1f} s on {database} ({workers})" for database, workers, kind, r in results
                    if "catch_up" in r)
        + "; it runs every 2 s). PostgreSQL: a fresh database on 127.0.0.1:5432, dropped "
        "afterwards.",
        "",
        *lines,
        "",
        "CPU is the CPU time of the server's processes and of the load generator over the measured window, in "
        "cores, its lodging processes included (the machine has 2; PostgreSQL's own processes are not "
        "counted). Batch worker busy: the share of the window in which a batch was being stored, assessed and "
        "recorded (in the lodging process). Repeats: requests sent after the pre-generated declarations ran out "
        "(none should be).",
        "",
        f"In the closed loop the mean latency is {args.clients} / throughput (Little's law), so the p99 follows "
        f"the throughput and the spread of the latencies ({spread}). What limits the throughput is CPU: "
        + "; ".join(f"{database} with {workers} process{'es' if workers > 1 else ''}: "
                    f"{r['server_cores'] * 1000 / r['rate']:.1f} ms of server CPU per lodging"
                    for database, workers, r in closed)
        + ". Each server process answers HTTP while a lodging process of its own stores, assesses and records "
        "the batches, so that one server uses two cores; two server processes (a listening socket each, so the "
        "kernel spreads the connections between them) have two lodging processes, their SQLite writes taking "
        "turns on a file lock. Each lodging batch opens its declarations' control chain in its own transaction. "
        + "".join(f"Paced, with one process on {database}, the micro-batches hold {r['batch_size']:.1f} declarations "
                  f"on average and keep the lodging process {r['worker_busy']:.0%} busy at {r['rate']:,.0f}/s: a "
                  f"batch has a fixed cost, whatever its size (pandas' overhead per call in the screens, profiles "
                  f"and selectivity; the writes and their commit). "
                  for database, workers, kind, r in results
                  if workers == 1 and kind != "closed loop" and "batch_size" in r and database == "sqlite")
        + ("On SQLite with one server process, " + ", ".join(
            f"the {kind.split(':')[0]} run {'meets' if _met(r) == 'met' else 'misses'} the target"
            for kind, r in sqlite_one) + "." if sqlite_one else ""),
        "",
        f"Command: `.venv/bin/python benchmarks/bench_web.py --duration {args.duration:.0f} --warmup "
        f"{args.warmup:.0f} --workers {' '.join(map(str, args.workers))} --paced-rate {args.paced_rate:.0f}`. "
        f"Machine: {machine()}; load average {averages[0]:.1f} / {averages[1]:.1f} (1 / 5 minutes) when it "
        f"finished.",
    ])
    update_section("web", "web: submit and assess over HTTP", body)


if __name__ == "__main__":
    main()
