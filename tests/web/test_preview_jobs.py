"""The profile preview as a background job (web.analyst.preview_jobs): running, then done; the share done is
estimated from the last preview; a job belongs to the user who started it."""

import threading

from smartcustoms.web.analyst.preview_jobs import PreviewJobs


def test_a_job_runs_in_the_background_and_the_next_one_estimates_its_progress():
    jobs = PreviewJobs()
    release = threading.Event()

    def work(job):
        release.wait(5)
        job.figures = {"declarations": 3}

    first = jobs.start("anna", {"yaml": "x"}, work)
    assert first.running and first.share_done is None  # nothing to estimate from yet
    assert jobs.get(first.job_id, "anna") is first and jobs.get(first.job_id, "sam") is None
    release.set()
    assert first.done.wait(5) and not first.running and first.figures == {"declarations": 3}
    assert first.share_done == 1.0

    release.clear()
    second = jobs.start("anna", {"yaml": "x"}, work)
    assert second.expected_s is not None and 0 <= second.share_done <= 0.95
    release.set()
    assert second.done.wait(5)


def test_a_failing_job_says_why():
    jobs = PreviewJobs()
    job = jobs.start("anna", {}, lambda job: 1 / 0)
    assert job.done.wait(5) and job.error.startswith("ZeroDivisionError")
