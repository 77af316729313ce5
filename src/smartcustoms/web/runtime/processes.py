"""Several server processes on one port. Each process listens on a socket of its own (SO_REUSEPORT) and the
kernel spreads new connections among them. With one shared socket (uvicorn's --workers), whichever process
wakes first accepts a whole burst: under the load benchmark one process often held all 50 connections while
the other idled."""

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time

log = logging.getLogger(__name__)


def available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def serve_processes(app: str, *, host: str, port: int, processes: int, **uvicorn_options) -> int:
    """Run `processes` uvicorn servers of the application factory `app` ("module:function") on host:port
    until SIGINT or SIGTERM (then each finishes its requests and stops). Returns 0 after a stop asked for,
    1 when a process ended by itself (the others are stopped too)."""
    _check_free(host, port)
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_serve_one, args=(app, host, port, uvicorn_options),
                                name=f"smartcustoms-web-{n}") for n in range(processes)]
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            child.start()
        while not stop.is_set() and all(child.is_alive() for child in children):
            stop.wait(0.5)
        if not stop.is_set():
            log.error("a server process ended by itself: stopping the others")
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: uvicorn's graceful shutdown
        for child in children:
            child.join(30)
            if child.is_alive():
                child.kill()
                child.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stop.is_set() else 1


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(poll: float = 0.5) -> None:
    """Call first thing in a worker process: it ends when the process that started it dies, even by SIGKILL
    (a `kill -9` of the server left its lodging process alive under PID 1, the database open). On Linux the
    kernel sends SIGTERM at the parent's death (prctl PR_SET_PDEATHSIG); everywhere, a daemon thread also
    watches the parent's PID and exits at once when the process was handed to another parent."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the watch alone
            log.warning("prctl(PR_SET_PDEATHSIG) is unavailable: watching the parent's PID only")
    if os.getppid() != parent or parent == 1:  # it died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(poll)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _check_free(host: str, port: int) -> None:
    """Refuse a port another program listens on (bound sockets with SO_REUSEPORT would share it silently)."""
    with socket.socket(_family(host)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _serve_one(app: str, host: str, port: int, options: dict) -> None:
    import uvicorn

    die_with_parent()

    sock = socket.socket(_family(host))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the parent decides
    uvicorn.Server(uvicorn.Config(app, factory=True, host=host, port=port, proxy_headers=False,  # see TrustedProxies
                                  **options)).run(sockets=[sock])
