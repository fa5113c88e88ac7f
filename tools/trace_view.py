#!/usr/bin/env python3
"""trace_view: open a trace's Chrome JSON in speedscope, headless, and
keep a screenshot (`make trace-view`).

    python3 tools/trace_view.py build/trace.json build/trace-speedscope.png [THREAD]

speedscope shows one track at a time, the first of the file; THREAD
(a thread name's start, e.g. "tw0") keeps only the track so named, so
the screenshot shows it: a task's nested local maps and its
kmap_atomic sections, say.

speedscope (the npm package, installed by `make trace-view` under
build/speedscope, never committed) is a static web page that runs
offline. Its command-line tool hands it a profile by writing a script
that calls speedscope.loadFileFromBase64(name, data) and naming that
script in the page's #localProfilePath; this does the same, then has
headless Chromium load the page and save what it drew.
"""

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "build/speedscope/node_modules/speedscope/dist/release/"
        "index.html")


def only_thread(doc, prefix):
    """doc with only the events of the first thread named prefix*."""
    named = [e for e in doc["traceEvents"] if e.get("ph") == "M" and
             e.get("name") == "thread_name" and
             e["args"]["name"].startswith(prefix)]
    if not named:
        return None
    track = (named[0]["pid"], named[0]["tid"])
    return {"traceEvents": [e for e in doc["traceEvents"]
                            if (e.get("pid"), e.get("tid")) == track]}


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.split("\n\n")[1])
        return 2
    src, png = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    raw = src.read_bytes()
    if len(sys.argv) == 4:
        doc = only_thread(json.loads(raw), sys.argv[3])
        if doc is None:
            print(f"trace_view: no thread named {sys.argv[3]}* in {src}")
            return 1
        raw = json.dumps(doc).encode()
    if not PAGE.exists():
        print(f"trace_view: no speedscope at {PAGE} (make trace-view "
              f"installs it)")
        return 1
    browser = next((b for b in ("chromium", "chromium-browser",
                                "google-chrome") if shutil.which(b)), None)
    if not browser:
        print("trace_view: no Chromium to draw it with")
        return 1
    loader = png.with_suffix(".load.js")
    data = base64.b64encode(raw).decode()
    loader.write_text(f"speedscope.loadFileFromBase64("
                      f"{json.dumps(src.name)}, {json.dumps(data)})\n")
    url = f"file://{PAGE}#localProfilePath={loader}"
    png.unlink(missing_ok=True)
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
           "--allow-file-access-from-files", "--hide-scrollbars",
           "--window-size=1400,900", "--virtual-time-budget=8000",
           f"--screenshot={png}", url]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if not png.exists():
        print(f"trace_view: Chromium wrote no screenshot (exit "
              f"{run.returncode}):\n{run.stderr[-2000:]}")
        return 1
    print(f"trace_view: {src} in speedscope -> {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
