"""The profile preview as a background job: the replay takes seconds to minutes (the screens are fitted as of the
period's first day), so the editor starts it in a thread and answers at once with a page that follows it (it
reloads itself every second, no script: the elapsed time and, after a first run, the expected share done) until
the figures are there. Jobs live in the server's memory, belong to the user who started them and are forgotten
after KEEP (the newest first) or an hour."""

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

KEEP = 32
MAX_AGE_S = 3600


@dataclass
class PreviewJob:
    job_id: str
    username: str
    values: dict  # the editor's values (yaml, since, until), shown again with the figures
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    figures: dict | None = None
    problems: list | None = None  # the text's problems (ProfileError), as the editor shows them
    notice: str | None = None
    error: str | None = None
    expected_s: float | None = None  # how long the last preview of this server took
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return self.finished is None

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def share_done(self) -> float | None:
        """Elapsed against the last run's duration (at most 95 % while running); None without an earlier run."""
        if not self.running:
            return 1.0
        if not self.expected_s:
            return None
        return min(0.95, self.elapsed_s / self.expected_s)


class PreviewJobs:
    def __init__(self):
        self._jobs: OrderedDict[str, PreviewJob] = OrderedDict()
        self._lock = threading.Lock()
        self._last_s: float | None = None

    def start(self, username: str, values: dict, work) -> PreviewJob:
        """Run `work(job)` in a thread; it fills the job's figures, problems or notice."""
        job = PreviewJob(uuid.uuid4().hex, username, dict(values), expected_s=self._last_s)
        with self._lock:
            self._jobs[job.job_id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)

        def run() -> None:
            try:
                work(job)
            except Exception as exc:  # noqa: BLE001 - shown on the job's page, not lost in a thread
                job.error = f"{type(exc).__name__}: {exc}"
            finally:
                job.finished = time.monotonic()
                if job.error is None:
                    self._last_s = job.finished - job.started
                job.done.set()

        threading.Thread(target=run, name=f"preview-{job.job_id[:8]}", daemon=True).start()
        return job

    def get(self, job_id: str, username: str) -> PreviewJob | None:
        """The user's job (None for another user's, an unknown or an expired one)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.username != username or time.monotonic() - job.started > MAX_AGE_S:
            return None
        return job


def jobs_of(app) -> PreviewJobs:
    with _create_lock:
        if getattr(app.state, "preview_jobs", None) is None:
            app.state.preview_jobs = PreviewJobs()
    return app.state.preview_jobs


_create_lock = threading.Lock()
