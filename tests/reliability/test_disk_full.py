"""Issue 14 (7): the evidence store's disk full. A file that does not fit leaves nothing behind (no stored file,
no temporary one), and the web answers a clean refusal, 507 `storage_full`, not a 500 (test_rel_disk_full.py).

The store's disk is made full two ways: a tmpfs of 256 KiB mounted for the test (when it may mount: root), and,
everywhere on Linux, a child process whose files may not grow past 64 KiB (RLIMIT_FSIZE: the write fails with
EFBIG, as ENOSPC on a full disk)."""

import errno
import os
import subprocess
import sys

import pytest

from smartcustoms.control.evidence import EvidenceLimits, write_file

PDF = b"%PDF-1.4\n" + b"0" * 400_000  # larger than either store's room

CHILD = """
import resource, signal, sys
from pathlib import Path
from smartcustoms.control.evidence import EvidenceLimits, write_file
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    write_file(Path(sys.argv[1]), b"%PDF-1.4\\n" + b"0" * 400_000, "application/pdf", EvidenceLimits())
except OSError as exc:
    print("OSError", exc.errno)
else:
    print("stored")
"""


def _left(folder) -> list[str]:
    """Every file under the store's folder (directories are not files)."""
    return sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names)


def test_a_file_larger_than_the_room_left_leaves_nothing_behind(tmp_path):
    store = tmp_path / "evidence"
    answer = subprocess.run([sys.executable, "-c", CHILD, str(store)], capture_output=True, text=True, timeout=120)
    assert answer.stdout.split() == ["OSError", str(errno.EFBIG)], answer.stderr
    assert _left(store) == []
    assert write_file(store, b"%PDF-1.4\n small", "application/pdf", EvidenceLimits())[2] > 0  # room again


@pytest.fixture
def tiny_disk(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                                           capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_tmpfs_store_refuses_and_keeps_what_it_had(tiny_disk):
    kept = write_file(tiny_disk, b"%PDF-1.4\n first", "application/pdf", EvidenceLimits())
    with pytest.raises(OSError) as full:
        write_file(tiny_disk, PDF, "application/pdf", EvidenceLimits())
    assert full.value.errno == errno.ENOSPC
    assert _left(tiny_disk) == [str(tiny_disk / kept[0])]
