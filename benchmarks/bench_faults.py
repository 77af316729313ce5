"""Load and faults (issue 14): submit-and-assess over HTTP at several numbers of concurrent clients, each answered
declaration checked to be stored once with its decision; then a `kill -9` of the server under load and of an
import in the middle of a batch, each followed by a check that nothing is half-written, nothing answered is
lost, and (after a restart) every answered declaration's control chain is open.

The server is bench_web.py's (`smartcustoms serve` as it runs, one process and its lodging process), on a SQLite
file (or PostgreSQL) holding a generated history; the clients are an asyncio process of this file that records
which declaration each answer was for. Prints a table; --json prints one JSON object; updates docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_faults.py [--clients 50 200 500] [--duration 10] [--history 2000]
        [--database sqlite|postgresql] [--json] [--no-doc]
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_web import PATH, _free_port, _postgres_database, _wait_for, prepare  # noqa: E402


async def _load(port: int, token: str, bodies: list[bytes], connections: int, seconds: float,
                reconnect: bool = False) -> dict:
    """A closed loop of `connections` clients for `seconds`: latencies, statuses, and the IDs answered 201. A
    client stops at its first connection error, or (`reconnect`) opens another connection half a second later."""
    latencies, statuses, answered, errors, events = [], {}, [], [0], []
    state = {"stop": False, "next": 0}

    async def one() -> None:
        writer = None
        head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\n").encode()
        while not state["stop"] and state["next"] < len(bodies):
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    errors[0] += 1
                    if not reconnect:
                        return
                    await asyncio.sleep(0.5)
                    continue
            body = bodies[state["next"]]
            state["next"] += 1
            started = time.perf_counter()
            try:
                writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                status_line = await reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                errors[0] += 1
                if not reconnect:
                    return
                writer = None
                await asyncio.sleep(0.5)
                continue
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
            events.append((time.perf_counter() - started_all, status))
            if status == 201:
                answered.append(json.loads(body)["declaration_id"])
        if writer is not None:
            writer.close()

    started = started_all = time.perf_counter()
    tasks = [asyncio.create_task(one()) for _ in range(connections)]
    await asyncio.sleep(seconds)
    state["stop"] = True
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))] * 1000 if latencies else 0.0

    return {"clients": connections, "requests": len(latencies), "per_second": len(latencies) / elapsed,
            "p50": pct(50), "p99": pct(99), "non2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
            "connection_errors": errors[0], "answered": answered, "events": events}


def check(url: str, answered: list[str]) -> dict:
    """Every answered declaration stored once, with one decision; nothing half-written anywhere: a declaration
    without goods items, a web submission without a decision, a decision whose chain is not open."""
    from sqlalchemy import text

    from smartcustoms.store.db import make_engine

    db = make_engine(url)
    with db.connect() as conn:
        def scalar(sql: str, **params) -> int:
            return int(conn.execute(text(sql), params).scalar() or 0)

        conn.exec_driver_sql("CREATE TEMPORARY TABLE answered_ids (declaration_id VARCHAR(35) PRIMARY KEY)")
        if answered:
            conn.execute(text("INSERT INTO answered_ids VALUES (:i)"), [{"i": key} for key in set(answered)])
        out = {
            "answered": len(answered),
            "answered_twice": len(answered) - len(set(answered)),
            "stored": scalar("SELECT count(*) FROM declarations d JOIN answered_ids a USING (declaration_id)"),
            "with_one_decision": scalar(
                "SELECT count(*) FROM (SELECT a.declaration_id FROM answered_ids a JOIN decisions d "
                "USING (declaration_id) GROUP BY a.declaration_id HAVING count(*) = 1) x"),
            "without_items": scalar("SELECT count(*) FROM declarations d WHERE NOT EXISTS "
                                    "(SELECT 1 FROM goods_items g WHERE g.declaration_id = d.declaration_id)"),
            "submitted_undecided": scalar("SELECT count(*) FROM submissions s WHERE NOT EXISTS "
                                          "(SELECT 1 FROM decisions d WHERE d.declaration_id = s.declaration_id)"),
            "decided_unopened": scalar("SELECT count(DISTINCT d.declaration_id) FROM decisions d WHERE NOT EXISTS "
                                       "(SELECT 1 FROM clearance c WHERE c.declaration_id = d.declaration_id)"),
        }
    db.dispose()
    return out


def start_server(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "SMARTCUSTOMS_DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, str(HERE / "bench_web.py"), "serve", "--port", str(port),
                               "--workers", "1"], env=env, start_new_session=True)
    _wait_for(port, server)
    return server


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def restart_postgres(url: str, port: int, token: str, bodies: list[bytes], clients: int = 50,
                     seconds: float = 45, at: float = 5) -> dict:
    """`pg_ctlcluster RESTART` (the local PostgreSQL server: every database on it, briefly) `at` seconds into a
    load of `clients`: what was answered 201 before, during and after is stored once with its decision; the
    server is not touched, and lodges again once PostgreSQL is back (then 20 lodgings one after the other, each
    must be answered 201)."""
    import uvloop

    async def load_then_restart() -> tuple[dict, float, float]:
        task = asyncio.create_task(_load(port, token, bodies, clients, seconds, reconnect=True))
        await asyncio.sleep(at)
        began = time.perf_counter()
        await asyncio.to_thread(subprocess.run, PG_RESTART, check=True, capture_output=True)
        took = time.perf_counter() - began
        return await task, at, took

    run, began, took = uvloop.run(load_then_restart())
    events = run.pop("events")
    back = [t for t, status in events if status == 201 and t > began + took]
    failed_after = [t for t, status in events if status != 201 and t > began + took]
    taken = run["requests"] + run["connection_errors"] + clients  # sent, or at most in flight at the end
    probe = uvloop.run(_load(port, token, bodies[taken:taken + 20], 1, 30))
    return {"restart_seconds": round(took, 2), "sent": taken + 20, "answered_201": len(run["answered"]),
            "non2xx_during": run["non2xx"], "connection_errors": run["connection_errors"],
            "first_201_after_restart_s": round(min(back) - began - took, 2) if back else None,
            "last_failure_after_restart_s": round(max(failed_after) - began - took, 2) if failed_after else None,
            "probe_after": {"sent": probe["requests"], "answered_201": len(probe["answered"])},
            **check(url, run["answered"] + probe["answered"])}


PG_RESTART = os.environ.get("SMARTCUSTOMS_BENCH_PG_RESTART", "pg_ctlcluster 15 main restart").split()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, nargs="*", default=[50, 200, 500])
    p.add_argument("--faults", nargs="*", default=["kill", "import"], choices=["kill", "import", "restart"],
                   help="restart: PostgreSQL restarted under load (PG_RESTART: the local server, every database on "
                        "it; only with --database postgresql)")
    p.add_argument("--duration", type=float, default=10, help="seconds of load at each number of clients")
    p.add_argument("--history", type=int, default=2000)
    p.add_argument("--import-size", type=int, default=20000, help="declarations in the killed import's file")
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-doc", action="store_true")
    args = p.parse_args()
    import uvloop

    folder = Path(tempfile.mkdtemp(prefix="bench_faults_"))
    drop = None
    if args.database == "sqlite":
        url = f"sqlite:///{folder / 'faults.db'}"
    else:
        url, drop = _postgres_database()
    # enough declarations for a quiet machine's rate (about 1,000 lodgings/s at 50 clients) and the import
    live = int(1500 * args.duration * len(args.clients) + 4000 + args.import_size)
    token, bodies_path = prepare(url, args.history, live, 5, folder)
    bodies = bodies_path.read_bytes().splitlines()
    results: dict = {"database": args.database, "levels": [], "faults": {}}
    port = _free_port()
    server = start_server(url, port)
    used = 0
    try:
        for clients in args.clients:
            run = uvloop.run(_load(port, token, bodies[used:], clients, args.duration))
            used += run["requests"] + run["connection_errors"] + clients
            time.sleep(1)
            run.pop("events")
            run["check"] = check(url, run.pop("answered"))
            results["levels"].append(run)

        if "restart" in args.faults:  # first, while the server runs
            if args.database != "postgresql":
                raise SystemExit("--faults restart needs --database postgresql")
            fault = restart_postgres(url, port, token, bodies[used:])
            used += fault["sent"] + 100
            results["faults"]["postgres_restart"] = fault

        if "kill" in args.faults:
            # kill -9 of the server under load (50 clients)
            lodging = children(server.pid)

            async def load_then_kill() -> dict:
                task = asyncio.create_task(_load(port, token, bodies[used:], 50, 6))
                await asyncio.sleep(3)
                os.kill(server.pid, signal.SIGKILL)
                return await task

            run = uvloop.run(load_then_kill())
            used += run["requests"] + 60
            server.wait(10)
            deadline = time.monotonic() + 10
            while any(alive(pid) for pid in lodging) and time.monotonic() < deadline:
                time.sleep(0.1)
            fault = {"answered_before_kill": len(run["answered"]),
                     "workers_left": sum(alive(pid) for pid in lodging), "before_restart": check(url, run["answered"])}
            server = start_server(url, port)  # a restart: its startup opens the chains left unopened
            fault["after_restart"] = check(url, run["answered"])
            results["faults"]["server_kill9"] = fault

        if "import" in args.faults:
            # kill -9 of an import in the middle of its batches
            big = folder / "import.jsonl"
            big.write_bytes(b"\n".join(bodies[used:used + args.import_size]) + b"\n")
            env = {**os.environ, "SMARTCUSTOMS_DATABASE_URL": url, "SMARTCUSTOMS_IMPORT_BATCH_SIZE": "500"}
            script = str(Path(sys.executable).parent / "smartcustoms")
            importer = subprocess.Popen([script, "import", str(big)], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
            from sqlalchemy import text

            from smartcustoms.store.db import make_engine

            db = make_engine(url)
            deadline = time.monotonic() + 120
            stored_before = 0
            with db.connect() as conn:
                stored_before = conn.execute(text("SELECT count(*) FROM declarations")).scalar()
            while time.monotonic() < deadline and importer.poll() is None:  # kill once some batches are stored
                with db.connect() as conn:
                    if conn.execute(text("SELECT count(*) FROM declarations")).scalar() > stored_before:
                        break
                time.sleep(0.05)
            time.sleep(0.3)
            if importer.poll() is not None:  # a faster machine than the file's size assumed: no kill to check
                raise SystemExit(f"the import of {args.import_size} declarations ended before it could be killed: "
                                 f"give a larger --import-size")
            os.killpg(importer.pid, signal.SIGKILL)
            importer.wait(10)
            with db.connect() as conn:
                stored_now = conn.execute(text("SELECT count(*) FROM declarations")).scalar()
            db.dispose()
            results["faults"]["import_kill9"] = {"declarations_in_file": args.import_size, "stored_when_killed":
                                                 stored_now - stored_before, **check(url, [])}
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        if drop:
            drop()

    if args.json:
        print(json.dumps(results))
    else:
        print(json.dumps(results, indent=1))
    if not args.no_doc:
        from report import machine, update_section

        lines = ["| clients | requests | per s | p50 ms | p99 ms | non-2xx | conn. errors | answered | stored | "
                 "with one decision |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in results["levels"]:
            c = r["check"]
            lines.append(f"| {r['clients']} | {r['requests']} | {r['per_second']:.0f} | {r['p50']:.0f} | "
                         f"{r['p99']:.0f} | {r['non2xx']} | {r['connection_errors']} | {c['answered']} | "
                         f"{c['stored']} | {c['with_one_decision']} |")
        update_section(f"faults-{args.database}", f"faults: load and kill -9 ({args.database})", "\n".join([
            f"`.venv/bin/python benchmarks/bench_faults.py --clients {' '.join(map(str, args.clients))} "
            f"--duration {args.duration:g} --database {args.database}` ({machine()}):", "", *lines, "",
            "```json", json.dumps(results["faults"], indent=1), "```"]))


if __name__ == "__main__":
    main()
