"""The NII area on the web: a scan sent through the API lands on the declaration (with the shipped model), a bad
file is refused with its code and nothing stored, and the officer's task page shows the analysis and its picture."""

import numpy as np
from conftest import as_user
from officer_support import app, lodge, open_tasks, set_lane, settings, staff  # noqa: F401 - fixtures
from sqlalchemy import func, select

from smartcustoms.nii import pipeline, scanfile, scenes
from smartcustoms.nii.tables import nii_scans


def scan_bytes(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    scene = scenes.generate(rng, threat_rate=1.0, kind="parcel")
    low, high = pipeline.render(scene, rng)
    return scanfile.from_scene(scene, low, high)


def test_a_scan_through_the_api_shows_on_the_officers_task_page(client, staff, engine):  # noqa: F811
    lodge(client, staff, "NII-W1")
    set_lane(engine, "NII-W1", "red")
    task_id = open_tasks(engine)["NII-W1"]
    api = as_user(client, None)
    refused = api.post("/api/v1/nii/scans", headers=staff["oscar"].bearer, data={"declaration_id": "NII-W1"},
                       files={"file": ("bad.npz", b"not a scan", "application/octet-stream")})
    assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "nii_scan_not_npz"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(nii_scans)).scalar_one() == 0
    trader = api.post("/api/v1/nii/scans", headers=staff["alice"].bearer, data={"declaration_id": "NII-W1"},
                      files={"file": ("scan.npz", scan_bytes(), "application/octet-stream")})
    assert trader.status_code == 403
    sent = api.post("/api/v1/nii/scans", headers=staff["oscar"].bearer, data={"declaration_id": "NII-W1"},
                    files={"file": ("scan.npz", scan_bytes(), "application/octet-stream")})
    assert sent.status_code == 201, sent.text
    analysis = sent.json()["analyses"][0]
    assert analysis["declaration_id"] == "NII-W1" and analysis["lane_before"] == "red"
    listed = api.get("/api/v1/nii/declarations/NII-W1/analyses", headers=staff["oscar"].bearer)
    assert [a["analysis_id"] for a in listed.json()] == [analysis["analysis_id"]]
    page = as_user(client, staff["oscar"]).get(f"/officer/tasks/{task_id}")
    assert page.status_code == 200
    assert "X-ray scans" in page.text and f"/officer/nii/analyses/{analysis['analysis_id']}.png" in page.text
    picture = client.get(f"/officer/nii/analyses/{analysis['analysis_id']}.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert as_user(client, staff["alice"]).get(f"/officer/nii/analyses/{analysis['analysis_id']}.png").status_code \
        in (302, 303, 403)
