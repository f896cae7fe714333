"""Write a screenshot of the first screen of every page of the built book.

Usage: python tools/screenshots.py [OUT]   (default OUT: docs/screenshots)

Needs the built book (make book) and Chromium (see the README).  A reviewer
can look at the screenshots without building anything.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser import CHROMIUM, LAUNCH_ARGS, rendered  # noqa: E402
from test_browser import PAGES, serve  # noqa: E402


def main(argv):
    out = pathlib.Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    html = ROOT / "_build" / "html"
    if CHROMIUM is None:
        sys.exit("Chromium is not installed (Debian/Ubuntu: apt-get install -y chromium)")
    if not (html / "index.html").exists():
        sys.exit("the book is not built: run `make book` first")
    out.mkdir(parents=True, exist_ok=True)
    server, site = serve(html)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        for path in PAGES:
            page.goto(f"{site}/{path}")
            rendered(page)
            target = out / (pathlib.Path(path).stem + ".png")
            page.screenshot(path=str(target))
            print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
        browser.close()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
