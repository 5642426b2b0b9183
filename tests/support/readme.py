"""The README's Python examples, run as written against a running platform: found by a marker
they contain (within one section, if given), pointed at the platform, with its key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer


def readme_example(marker: str, section: str | None = None) -> str:
    """The one Python example holding `marker` (in `section`, a `## ` heading, if given)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    if section is not None:
        readme = readme.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    [example] = [
        code for code in re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
        if marker in code
    ]  # fmt: skip
    return example


def run_readme_example(
    server: RunningServer,
    marker: str,
    *,
    section: str | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run that example against `server` (its key in SWITCHBOARD_API_KEY); it must exit 0."""
    code = readme_example(marker, section).replace("http://127.0.0.1:8000", server.base_url)
    env = ORIGINAL_ENV | {"SWITCHBOARD_API_KEY": server.api_key}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=timeout, check=False, cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result
