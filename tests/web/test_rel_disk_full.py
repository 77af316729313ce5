"""Issue 14 (7): a full disk (no space, a quota, a file size limit) anywhere under a request is a clean refusal,
507 `storage_full` with nothing stored, not a 500 (the evidence store itself: tests/reliability/test_disk_full.py);
a database that went away (PostgreSQL restarting) is a 503 to retry."""

import errno
import os

import pytest


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG, errno.EDQUOT])
def test_the_web_answers_a_full_disk_with_a_clean_refusal(app, client, code):
    def full():
        raise OSError(code, os.strerror(code))

    app.add_api_route("/api/v1/test-full", full, methods=["POST"])
    app.add_api_route("/test-full", full, methods=["GET"])
    answer = client.post("/api/v1/test-full")
    assert answer.status_code == 507
    assert answer.json()["detail"][0]["type"] == "storage_full"
    page = client.get("/test-full")
    assert page.status_code == 507 and "storage is full" in page.text


def test_any_other_os_error_stays_a_server_error(app, client):
    def broken():
        raise OSError(errno.EIO, "input/output error")

    app.add_api_route("/api/v1/test-broken", broken, methods=["POST"])
    assert client.post("/api/v1/test-broken").status_code == 500



def test_a_database_that_went_away_is_a_503_to_retry(app, client):
    from sqlalchemy.exc import OperationalError

    def away():
        raise OperationalError("SELECT 1", {}, Exception("the database system is shutting down"))

    app.add_api_route("/api/v1/test-away", away, methods=["POST"])
    answer = client.post("/api/v1/test-away")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert answer.json()["detail"][0]["type"] == "database_unavailable"
