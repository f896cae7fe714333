"""A "Run in your browser" button on every chapter notebook of the book.

The button opens the chapter's notebook in the book's own JupyterLite site
(``lite/`` beside the pages), whose Python kernel is Pyodide served from the
book's files: nothing to install, no server, no network. It appears only when
``tools/lite.py prepare`` has staged Pyodide in ``_build/lite`` (``make book``
does); otherwise the book is built without it.
"""

from __future__ import annotations

import pathlib

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
LITE_APP = "lite/notebooks/index.html"


def lite_staged(app: Sphinx) -> bool:
    return (pathlib.Path(app.srcdir) / "_build" / "lite" / "static" / "pyodide" / "pyodide.js").exists()


def add_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if not app.config.run_in_browser_enabled or not context.get("page_source_suffix", "").endswith(".ipynb"):
        return
    notebook = f"{pagename}.ipynb"  # the same path inside the JupyterLite site's files
    url = f"{context['pathto'](LITE_APP, 1)}?path={notebook}"
    context.setdefault("header_buttons", []).insert(
        0,
        {
            "type": "link",
            "url": url,
            "tooltip": "Run this chapter in your browser (Python in WebAssembly; nothing to install)",
            "icon": "fas fa-play",
            "text": "Run in your browser",
            "label": "run-in-browser-button",
        },
    )


def decide(app: Sphinx, config) -> None:
    config.run_in_browser_enabled = lite_staged(app)
    if not config.run_in_browser_enabled:
        LOGGER.info("run_in_browser: Pyodide is not staged, so the chapters get no 'Run in your browser' button")


def setup(app: Sphinx) -> dict:
    app.add_config_value("run_in_browser_enabled", False, "html")
    app.connect("config-inited", decide)
    app.connect("html-page-context", add_button, priority=502)  # after the theme has made header_buttons
    return {"parallel_read_safe": True, "parallel_write_safe": True}
