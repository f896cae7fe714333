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


#: what must fit its column, by kind: display equations, tables, code and cell outputs
WIDE_BLOCKS = {
    "equation": "mjx-container[display]",
    "table": "table",
    "code": "div.highlight pre, .cell_output pre, .output pre",
}


def open_dropdowns(page) -> None:
    """Open every exercise solution and dropdown, so that their contents are laid out and measured."""
    buttons = page.locator(".dropdown button.toggle-button")
    for i in range(buttons.count()):
        buttons.nth(i).click()
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    if buttons.count():  # sphinx-togglebutton shows a dropdown by removing its class toggle-hidden
        page.wait_for_function("() => !document.querySelector('.dropdown.toggle-hidden')", timeout=5000)


def overflowing_blocks(page, tolerance: int = 1) -> list[str]:
    """Display equations, tables and code blocks wider than their column; an empty list if none is.

    A block overflows when its content is wider than the box the page gives
    it: ``scrollWidth > clientWidth + tolerance`` (1 px for rounding).  A table
    is measured against the scrolling box that holds it (the theme wraps each
    table in one), since a table grows to fit its content.  Call
    :func:`open_dropdowns` first, or hidden solutions are not measured.
    Each problem names the kind of block, its widths and its first characters.
    """
    found = page.evaluate(
        """([kinds, tolerance]) => {
            const root = document.querySelector('article') || document.body;
            const seen = new Set(), out = [];
            for (const [kind, selector] of Object.entries(kinds)) {
                for (const el of root.querySelectorAll(selector)) {
                    if (seen.has(el)) continue;
                    seen.add(el);
                    const box = kind === 'table'
                        ? (el.closest('.pst-scrollable-table-container') || el.parentElement) : el;
                    const content = Math.max(box.scrollWidth, kind === 'table' ? el.offsetWidth : 0);
                    if (content > box.clientWidth + tolerance) {
                        const text = el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60);
                        out.push([kind, content, box.clientWidth, text]);
                    }
                }
            }
            return out;
        }""",
        [WIDE_BLOCKS, tolerance],
    )
    return [f"{kind} {content} px in a {column} px column: {text!r}" for kind, content, column, text in found]


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
