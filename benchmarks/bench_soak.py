"""Soak (issue 14, 7): submit and assess over HTTP at a steady rate for a long time, the memory of the server's
processes sampled every minute.

The server is bench_web.py's (`smartcustoms serve` as it runs: one process and its lodging process, default
settings) on a SQLite file (or PostgreSQL) holding a generated history. The load is paced, not a closed loop:
`--clients` keep-alive connections take turns on a schedule of `--rate` requests a second (a connection sends
its request at its slot's time, or as soon as it is free when late), each request a declaration not lodged
before (the pre-generated declarations again and again, each time under a new ID). Every minute it prints one
JSON line: requests answered, the rate achieved, p50/p99, non-2xx and connection errors, and the resident
memory (RSS) of the server and of its lodging process. At the end a table and the verdict on memory: flat
when the mean RSS of the last 10 minutes is within `--flat` (5 %) of minutes 10-20.

    .venv/bin/python benchmarks/bench_soak.py --soak 3600 [--rate 200] [--clients 50] [--database sqlite]
        [--out FILE.jsonl]
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_web import PATH, _free_port, _postgres_database, _wait_for, prepare  # noqa: E402

ID = re.compile(rb'"declaration_id":"([^"]*)"')


def tree_rss(root: int) -> dict[int, int]:
    """Resident memory in bytes of a process and each of its descendants, by PID."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        out[pid] = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024 if "VmRSS" in status else 0
        todo += [child for child, parent in parents.items() if parent == pid]
    return out


def percentile(ordered: list[float], q: float) -> float:
    """The q-th percentile of sorted seconds, in milliseconds."""
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000, 1) if ordered else 0.0


def renamed(body: bytes, n: int) -> bytes:
    """The body under a new declaration ID (at most 35 characters: the ID's first 24, then `S` and `n`)."""
    return ID.sub(lambda m: b'"declaration_id":"%s"' % (m.group(1)[:24] + b"S%010d" % n), body, count=1)


async def paced_load(port: int, token: str, bodies: list[bytes], clients: int, rate: float, seconds: float,
                     server_pid: int, minute: float = 60.0) -> None:
    """Send `rate` requests a second from `clients` connections for `seconds`; print a JSON line a minute."""
    state = {"ticket": 0, "stop": False}
    window = {"latencies": [], "non2xx": 0, "errors": 0}
    loop = asyncio.get_running_loop()
    start = loop.time()
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\n").encode()

    async def connection() -> None:
        reader = writer = None
        while not state["stop"]:
            n = state["ticket"]
            state["ticket"] += 1
            delay = start + n / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if state["stop"]:
                break
            body = renamed(bodies[n % len(bodies)], n)
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                sent = time.perf_counter()
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
                window["errors"] += 1
                writer = None
                await asyncio.sleep(0.5)
                continue
            window["latencies"].append(time.perf_counter() - sent)
            if not 200 <= int(status_line.split()[1]) < 300:
                window["non2xx"] += 1
        if writer is not None:
            writer.close()

    tasks = [asyncio.create_task(connection()) for _ in range(clients)]
    for index in range(1, int(seconds // minute) + 1):
        await asyncio.sleep(max(0.0, start + index * minute - loop.time()))
        latencies = sorted(window["latencies"])
        rss = tree_rss(server_pid)
        print("MINUTE " + json.dumps({
            "minute": index, "answered": len(latencies), "per_second": len(latencies) / minute,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99), "non2xx": window["non2xx"],
            "errors": window["errors"], "late_s": round(max(0.0, loop.time() - start - state["ticket"] / rate), 1),
            "rss_server_mb": round(rss.get(server_pid, 0) / 2**20, 1),
            "rss_workers_mb": round(sum(v for pid, v in rss.items() if pid != server_pid) / 2**20, 1),
            "processes": len(rss), "load1": round(os.getloadavg()[0], 1)}), flush=True)
        window.update(latencies=[], non2xx=0, errors=0)
    state["stop"] = True
    await asyncio.gather(*tasks, return_exceptions=True)


def lodged(url: str) -> int:
    """Declarations lodged through the web (each answered 201 is one; those answered after the last minute's
    line too)."""
    from sqlalchemy import text

    from smartcustoms.store.db import make_engine

    db = make_engine(url)
    with db.connect() as conn:
        count = conn.execute(text("SELECT count(DISTINCT declaration_id) FROM submissions")).scalar()
    db.dispose()
    return int(count)


def verdict(minutes: list[dict], flat: float) -> dict:
    """Memory flat: the mean RSS (server and workers) of the last 10 minutes against minutes 10-20 (a soak cut
    short to 15-29 minutes: the last 5 against minutes 5-10)."""
    total = [m["rss_server_mb"] + m["rss_workers_mb"] for m in minutes]
    if len(total) >= 30:
        first, last = (10, 20), 10
    elif len(total) >= 15:
        first, last = (5, 10), 5
    else:
        return {"flat": None, "why": "fewer than 15 minutes"}
    early = sum(total[first[0]:first[1]]) / (first[1] - first[0])
    late = sum(total[-last:]) / last
    return {f"minutes_{first[0]}_{first[1]}_mb": round(early, 1), f"last_{last}_mb": round(late, 1),
            "change": round(late / early - 1, 4), "flat": abs(late / early - 1) <= flat}


def _deadline(until: str) -> float:
    """The next HH:MM (UTC) as a Unix time."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    hour, minute = map(int, until.split(":"))
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return (at if at > now else at + timedelta(days=1)).timestamp()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--soak", type=float, default=3600, help="seconds of load")
    p.add_argument("--rate", type=float, default=200, help="requests a second offered")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--history", type=int, default=5000)
    p.add_argument("--bodies", type=int, default=20000, help="distinct declarations generated (sent again "
                   "under new IDs)")
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--flat", type=float, default=0.05, help="the largest change of memory called flat")
    p.add_argument("--out", type=Path, default=None, help="also write the minute lines here")
    p.add_argument("--until", default=None, help="end by this UTC time (HH:MM) at the latest: the load is cut short "
                   "to fit (a soak that waited for the machine)")
    p.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    p.add_argument("--bodies-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    import uvloop

    if args.client:
        bodies = args.bodies_file.read_bytes().splitlines()
        uvloop.run(paced_load(args.port, args.token, bodies, args.clients, args.rate, args.soak, args.server_pid))
        return

    deadline = _deadline(args.until) if args.until else None
    folder = Path(tempfile.mkdtemp(prefix="bench_soak_"))
    drop = None
    url = f"sqlite:///{folder / 'soak.db'}"
    if args.database == "postgresql":
        url, drop = _postgres_database()
    token, bodies = prepare(url, args.history, args.bodies, 5, folder)
    port = _free_port()
    env = {**os.environ, "SMARTCUSTOMS_DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, str(HERE / "bench_web.py"), "serve", "--port", str(port),
                               "--workers", "1"], env=env, start_new_session=True)
    minutes = []
    out = args.out.open("a", encoding="utf-8") if args.out else None
    started = time.time()
    try:
        _wait_for(port, server)
        if deadline is not None:  # room for the server's stop and the count after the load
            args.soak = max(60.0, min(args.soak, deadline - time.time() - 90))
        client = subprocess.Popen([sys.executable, __file__, "--client", "--port", str(port), "--token", token,
                                   "--bodies-file", str(bodies), "--clients", str(args.clients), "--rate",
                                   str(args.rate), "--soak", str(args.soak), "--server-pid", str(server.pid)],
                                  stdout=subprocess.PIPE, text=True)
        for line in client.stdout:
            if line.startswith("MINUTE "):
                minutes.append(json.loads(line.removeprefix("MINUTE ")))
                print(line.strip(), flush=True)
                if out:
                    out.write(line.removeprefix("MINUTE "))
                    out.flush()
        client.wait()
        server.terminate()
        server.wait(60)
        stored = lodged(url)
    finally:
        if server.poll() is None:
            server.kill()
        if drop:
            drop()
    answered = sum(m["answered"] for m in minutes)
    summary = {"database": args.database, "seconds": round(time.time() - started), "load_seconds": args.soak,
               "offered_rate": args.rate,
               "clients": args.clients, "answered": answered,
               "rate": round(answered / (60 * len(minutes)), 1) if minutes else 0.0,
               "non2xx": sum(m["non2xx"] for m in minutes), "errors": sum(m["errors"] for m in minutes),
               "answered_2xx": answered - sum(m["non2xx"] for m in minutes),
               "stored_through_the_web": stored,  # at least answered_2xx: the last minute's and those in flight
               "worst_minute_p99_ms": max((m["p99_ms"] for m in minutes), default=0.0),
               "memory": verdict(minutes, args.flat)}
    print("SUMMARY " + json.dumps(summary), flush=True)
    if out:
        out.write(json.dumps({"summary": summary}) + "\n")
        out.close()
    print("| minute | per s | p50 ms | p99 ms | non-2xx | errors | RSS server MB | RSS workers MB | load |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in minutes:
        print(f"| {m['minute']} | {m['per_second']:.0f} | {m['p50_ms']:.0f} | {m['p99_ms']:.0f} | {m['non2xx']} "
              f"| {m['errors']} | {m['rss_server_mb']:.0f} | {m['rss_workers_mb']:.0f} | {m['load1']} |")


if __name__ == "__main__":
    main()
