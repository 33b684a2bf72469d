"""The demo runs on the runtime dependencies alone (scripts/demo installs no extra and no dev group)."""

from __future__ import annotations

import subprocess
import sys

# numpy arrives with the extras (pyspark, matplotlib) and the dev tools, never with the core: block it, as
# a fresh `scripts/demo` environment lacks it.
_DEMO = """
import sys
sys.modules["numpy"] = None
from liqscope.cli import main
main(["demo", "--data-dir", sys.argv[1]])
"""


def test_the_demo_needs_no_numpy(tmp_path):
    done = subprocess.run([sys.executable, "-c", _DEMO, str(tmp_path / "lake")], capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b"2,051,029.33" in done.stdout
