"""Shared by the benchmarks: describe the machine and rewrite one section of docs/benchmarks.md."""

import os
import platform
from datetime import date
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
INTRO = (
    "# Benchmarks\n\nMeasured figures, each with the command that produced it and the machine. "
    "`make bench` reruns them.\n"
)


def machine() -> str:
    return (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), Python "
            f"{platform.python_version()}, {platform.system()}, measured {date.today().isoformat()}")


def update_section(key: str, title: str, body: str) -> None:
    """Replace the text between <!-- key:start --> and <!-- key:end --> (append the section if new)."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else INTRO
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    section = f"{start}\n## {title}\n\n{body}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
