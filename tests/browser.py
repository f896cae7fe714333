"""Helpers for looking at the built book in headless Chromium (used by test_browser.py and tools/screenshots.py)."""

from __future__ import annotations

import os
import re
import shutil
import urllib.parse

#: Debian's Chromium, or None when it is not installed
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

#: Chromium's background services try to reach Google; on a machine without internet they only add noise
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# visible text that looks like TeX MathJax should have turned into formulas
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\(?:frac|mathbf|partial|sum|hat|boldsymbol|operatorname)\b")


def rendered(page, timeout: float = 30_000) -> None:
    """Wait until the page, its images and its mathematics are fully rendered."""
    page.wait_for_load_state("load")
    if page.evaluate("() => typeof window.MathJax !== 'undefined'"):
        page.wait_for_function("() => window.MathJax.startup && window.MathJax.startup.promise", timeout=timeout)
        page.evaluate("() => window.MathJax.startup.promise")


def math_problems(page, source_html: str) -> list[str]:
    """What is wrong with the page's mathematics; an empty list if nothing is.

    Every formula of the page source (Sphinx marks each with the class
    ``math``) must have become a MathJax container, none may be a MathJax
    error, and no TeX may be left in the visible text outside code.
    """
    problems = []
    expected = len(re.findall(r'class="math notranslate nohighlight"', source_html))
    containers = page.locator("mjx-container").count()
    if containers != expected:
        problems.append(f"{containers} formulas rendered, {expected} in the source")
    for error in page.locator("mjx-merror").evaluate_all("els => els.map(e => e.getAttribute('data-mjx-error') || e.textContent)"):
        problems.append(f"MathJax error: {error}")
    text = page.evaluate(
        """() => {
            const root = (document.querySelector('article') || document.body).cloneNode(true);
            root.querySelectorAll('pre, code, script, style, mjx-container, .cell_output, .output').forEach(e => e.remove());
            return root.textContent;
        }"""
    )
    for match in RAW_TEX.finditer(text):
        problems.append(f"raw TeX in the text: ...{text[max(0, match.start() - 30):match.end() + 30]!r}...")
    return problems


def image_problems(page) -> list[str]:
    """Images that did not load (natural width 0); an empty list if all did."""
    images = page.locator("img").evaluate_all(
        "els => els.map(e => ({src: e.getAttribute('src'), complete: e.complete, width: e.naturalWidth}))"
    )
    return [f"image not loaded: {img['src']}" for img in images if not (img["complete"] and img["width"] > 0)]


def external_requests(urls, site: str) -> list[str]:
    """The requested URLs that leave the local server (data: and blob: URLs stay in the page)."""
    local = urllib.parse.urlparse(site).netloc
    outside = []
    for url in urls:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            continue
        if parsed.netloc != local:
            outside.append(url)
    return outside
