"""Screenshots of the dashboard on the bundled demo lake, desktop (1440 px) and phone (390 px) wide.

    .venv/bin/python scripts/dashboard_screenshots.py docs/img/dashboard-after

writes ``<prefix>-desktop.png`` and ``<prefix>-390.png``. It builds the demo lake in a temporary
directory, serves it with uvicorn on loopback and drives Debian's headless Chromium (``/usr/bin/chromium``)
through Playwright. It prints the page's scroll width at 390 px (more than 390: the page scrolls sideways).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from liqscope._demo import build_demo_lake
from liqscope.api import create_app


def main(prefix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        build_demo_lake(root)
        app = create_app(root, poll_s=0.5)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
                for name, width in (("desktop", 1440), ("390", 390)):
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.on("pageerror", lambda e: print("page error:", e))
                    page.on("console", lambda m: print("console:", m.text) if m.type == "error" else None)
                    page.goto(base + "/")
                    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=120_000)
                    page.wait_for_timeout(1500)
                    page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=120_000)
                    print(name, "scrollWidth", page.evaluate("() => document.documentElement.scrollWidth"))
                    page.screenshot(path=f"{prefix}-{name}.png", full_page=True)
                    page.close()
                browser.close()
        finally:
            app.state.stopping.set()
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1])
