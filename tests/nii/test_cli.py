"""`smartcustoms nii`: a synthetic scan file, a scan stored through the CLI, and bad files refused with exit status
2 and nothing stored."""

import io

import numpy as np
from sqlalchemy import func, select

from cli_runner import invoke
from smartcustoms.nii.tables import nii_analyses, nii_findings, nii_scans
from smartcustoms.store.db import make_engine


def environment(tmp_path):
    return {"SMARTCUSTOMS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "SMARTCUSTOMS_VAR_DIR": str(tmp_path / "var"), "COLUMNS": "200"}


def stored(tmp_path) -> list[int]:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.connect() as conn:
        out = [conn.execute(select(func.count()).select_from(t)).scalar_one()
               for t in (nii_scans, nii_analyses, nii_findings)]
    engine.dispose()
    return out


def test_bad_scan_files_exit_2_and_store_nothing_and_a_good_one_is_stored(tmp_path, quiet_model):
    env = environment(tmp_path)
    assert invoke(["db", "upgrade"], env, tmp_path).returncode == 0
    missing = io.BytesIO()
    np.savez(missing, low=np.zeros((64, 64), np.uint16))
    (tmp_path / "missing.npz").write_bytes(missing.getvalue())
    (tmp_path / "text.npz").write_text("not a scan")
    for name, code in (("missing.npz", "nii_scan_missing_channel"), ("text.npz", "nii_scan_not_npz")):
        done = invoke(["nii", "scan", name, "--container", "ABCU1234567", "--model", quiet_model], env, tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr
        assert code in done.stderr
    assert stored(tmp_path) == [0, 0, 0]
    made = invoke(["nii", "synth", "scan.npz", "--kind", "parcel", "--threat", "--container", "ZZZU1"], env,
                  tmp_path)
    assert made.returncode == 0, made.stderr
    done = invoke(["nii", "scan", "scan.npz", "--container", "ZZZU1", "--model", quiet_model], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "unmatched scan" in done.stdout
    assert stored(tmp_path) == [1, 1, 1]
