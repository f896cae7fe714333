"""The built book as a reader sees it, in headless Chromium.

These tests serve _build/html on localhost and open every page of the book
in Debian's Chromium, driven by Playwright.  They check that the mathematics
is rendered by MathJax (and all of it), that every figure loads, that no
display equation, table or code block is wider than its column at 1280 px, that no
request leaves localhost, that navigation and search work, that exercise
solutions stay hidden until clicked, and that a chapter's .ipynb download is
the notebook.  Without Chromium they are skipped (see the report header).
"""

from __future__ import annotations

import functools
import http.server
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse

import pytest
import yaml

from browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    external_requests,
    image_problems,
    math_problems,
    open_dropdowns,
    overflowing_blocks,
    rendered,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)")


def book_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return [f"{f}.html" for f in files]


PAGES = book_pages()
CHAPTERS = [p for p in PAGES if re.match(r"book/\d\d_", p)]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: pathlib.Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def site():
    """The built book on a localhost server (built first if `make test` has not built it)."""
    if not (HTML / "index.html").exists():
        subprocess.run([sys.executable, "-m", "jupyter_book", "build", str(ROOT), "--all"], check=True, cwd=ROOT)
    server, url = serve(HTML)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(page, site, path):
    response = page.goto(f"{site}/{path}")
    assert response.ok, (path, response.status)
    rendered(page)
    source = (HTML / path).read_text(encoding="utf-8")
    problems = math_problems(page, source) + image_problems(page)
    assert not problems, (path, problems)
    assert not external_requests(page.requests, site), path


@pytest.mark.parametrize("path", PAGES)
def test_every_block_fits_its_column(browser, site, path):
    """At 1280 x 800 no display equation, table or code block scrolls sideways."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{site}/{path}")
        rendered(page)
        open_dropdowns(page)  # solutions too
        problems = overflowing_blocks(page)
    finally:
        context.close()
    assert not problems, f"{path}: {len(problems)} blocks wider than their column:\n" + "\n".join(problems)


def test_the_fit_check_catches_a_wide_equation_table_and_code_block(page, site, tmp_path):
    """Add one too-wide block of each kind to a copy of a page: the check must name all three."""
    copy = tmp_path / "html"
    shutil.copytree(HTML, copy)
    target = copy / "book" / "intro.html"  # a page that loads MathJax
    source = target.read_text(encoding="utf-8")
    wide = (
        '<div class="math notranslate nohighlight">\\[' + " + ".join(f"x_{{{i}}}" for i in range(60)) + "\\]</div>"
        "<table><tr>" + "".join(f"<td>column_number_{i}</td>" for i in range(40)) + "</tr></table>"
        '<div class="highlight"><pre>wide_code = ' + " + ".join(f"term_{i}" for i in range(40)) + "</pre></div>"
        '<div class="highlight"><pre>narrow = 1</pre></div>'
    )
    heading = "<h1>Recurrent neural networks, derived and checked<a"  # the one in the article
    broken = source.replace(heading, wide + heading, 1)
    assert broken != source
    target.write_text(broken, encoding="utf-8")
    server, url = serve(copy)
    try:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{url}/book/intro.html")
        rendered(page)
        problems = overflowing_blocks(page)
    finally:
        server.shutdown()
        server.server_close()
    kinds = sorted(p.split()[0] for p in problems)
    assert kinds == ["code", "equation", "table"], problems
    assert any("wide_code = term_0" in p for p in problems), problems


def test_chapters_have_figures_and_math(page, site):
    """Not a vacuous pass: the chapters do contain the things the checks look at."""
    figures = formulas = 0
    for path in CHAPTERS:
        page.goto(f"{site}/{path}")
        rendered(page)
        figures += page.locator("article img").count()
        formulas += page.locator("mjx-container").count()
    assert figures >= 20 and formulas >= 500, (figures, formulas)


def test_table_of_contents_reaches_every_chapter(page, site):
    page.goto(f"{site}/index.html")  # redirects to the introduction
    page.wait_for_url("**/book/intro.html", timeout=10_000)
    links = page.locator("nav.bd-docs-nav a.reference").evaluate_all("els => els.map(e => e.href)")
    linked = {urllib.parse.urlparse(link).path.lstrip("/") for link in links}
    assert set(PAGES) - {"book/intro.html"} <= linked, set(PAGES) - linked
    for link in links:
        assert page.request.get(link).ok, link


def test_previous_and_next_links_follow_the_book(page, site):
    for before, after in zip(PAGES, PAGES[1:]):
        page.goto(f"{site}/{before}")
        page.locator("a.right-next").first.click()
        page.wait_for_load_state("load")
        assert page.url == f"{site}/{after}", (before, page.url)
        page.locator("a.left-prev").first.click()
        page.wait_for_load_state("load")
        assert page.url == f"{site}/{before}", (after, page.url)


@pytest.mark.parametrize("word, chapter", [("perplexity", "book/09_char_lm.html"), ("Jacobian", "book/05_bptt.html")])
def test_search_finds_a_chapter(page, site, word, chapter):
    page.goto(f"{site}/search.html?q={word}")
    page.wait_for_function("() => document.querySelectorAll('#search-results li').length > 0", timeout=30000)
    hits = page.locator("#search-results li a").evaluate_all("els => els.map(e => e.href)")
    assert any(urllib.parse.urlparse(h).path.lstrip("/") == chapter for h in hits), hits


def test_solutions_are_hidden_until_clicked(page, site):
    page.goto(f"{site}/book/01_why_recurrence.html")
    rendered(page)
    solution = page.locator(".solution.dropdown").first
    content = solution.locator("section").first
    assert content.count() == 1 and not content.is_visible()
    solution.locator("button.toggle-button").click()
    content.wait_for(state="visible", timeout=5000)
    assert content.is_visible() and "no delay" in content.inner_text()


@pytest.mark.parametrize("path", CHAPTERS[:1] + CHAPTERS[-1:])
def test_ipynb_download_is_the_notebook(page, site, path):
    page.goto(f"{site}/{path}")
    link = page.locator("a.btn-download-source-button[href$='.ipynb']").first.get_attribute("href")
    response = page.request.get(urllib.parse.urljoin(f"{site}/{path}", link))
    assert response.ok
    notebook = ROOT / path.replace(".html", ".ipynb")
    assert response.body() == notebook.read_bytes()


def test_the_checks_catch_a_broken_equation_and_a_missing_image(page, site, tmp_path):
    """Break one equation and one image in a copy of the book: the checks must say so."""
    copy = tmp_path / "html"
    shutil.copytree(HTML, copy)
    target = copy / "book" / "03_forward_pass.html"
    source = target.read_text(encoding="utf-8")
    broken = source.replace(r"\frac{e^{o_i}}", r"\frac{e^{o_i}", 1)  # unbalanced brace in the softmax
    broken = re.sub(r'src="(\.\./_images/[^"]+\.png)"', 'src="../_images/missing.png"', broken, count=1)
    assert broken.count("missing.png") == 1 and broken != source
    target.write_text(broken, encoding="utf-8")
    server, url = serve(copy)
    try:
        page.goto(f"{url}/book/03_forward_pass.html")
        rendered(page)
        problems = math_problems(page, broken) + image_problems(page)
    finally:
        server.shutdown()
        server.server_close()
    # MathJax leaves TeX it cannot parse on the page as it was: one formula fewer, and raw TeX in the text
    assert any("formulas rendered" in p for p in problems), problems
    assert any("raw TeX" in p and "e^{o_i}" in p for p in problems), problems
    assert any("missing.png" in p for p in problems), problems


def test_the_offline_check_catches_an_outside_request(site):
    assert external_requests([f"{site}/a.js", "data:image/png;base64,AAAA"], site) == []
    assert external_requests([f"{site}/a.js", "https://cdn.jsdelivr.net/npm/mathjax@3"], site) == [
        "https://cdn.jsdelivr.net/npm/mathjax@3"
    ]


def test_the_reference_code_cites_the_equation_numbers_the_page_shows(site):
    """rnnlib.reference's forward pass cites eqs. (3.1)-(3.10) as chapter 3 numbers them.

    Each line that computes z, h, o or y at step t must cite the number that
    the page gives the equation of that quantity (element-wise or matrix
    form), so that a reader can find it; renumbering the chapter breaks this.
    """
    import inspect

    from rnnlib.reference import forward_einsum, forward_matrix

    page = (HTML / "book" / "03_forward_pass.html").read_text(encoding="utf-8")
    label_of = {
        number: label
        for label, number in re.findall(r'id="equation-([\w-]+)">\s*<span class="eqno">\((\d+\.\d+)\)', page)
    }
    source = inspect.getsource(forward_matrix) + inspect.getsource(forward_einsum)
    cited = re.findall(r"^\s*(\w)\[t\] = .*# eq\. \((\d+\.\d+)\)", source, re.MULTILINE)
    cited += [("h0", n) for n in re.findall(r"^\s*h = np\.zeros.*eq\. \((\d+\.\d+)\)", source, re.MULTILINE)]
    assert len(cited) == 10, cited  # z, h, o, y and h_0 in each of the two forms
    for quantity, number in cited:
        assert label_of.get(number) in (f"fw-{quantity}", f"fw-{quantity}-elem"), (quantity, number, label_of)
