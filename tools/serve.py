"""Serve the built book on 127.0.0.1, so that its chapters can run in the browser.

Usage: python tools/serve.py [PORT]   (default 8000; `make serve`)

The pages themselves open from the file system as well; the in-browser
notebooks (JupyterLite) need an http:// address, which this gives without
sending anything off the machine.
"""

from __future__ import annotations

import functools
import http.server
import pathlib
import sys
import threading

HTML = pathlib.Path(__file__).resolve().parent.parent / "_build" / "html"


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, with the types WebAssembly and ES modules need."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".json": "application/json",
        ".ipynb": "application/json",
    }


class QuietHandler(Handler):
    def log_message(self, *args):
        pass


def serve_in_thread(folder: pathlib.Path = HTML, port: int = 0, quiet: bool = True):
    """Start a server of `folder` on 127.0.0.1 in a daemon thread; return (server, url)."""
    handler = functools.partial(QuietHandler if quiet else Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main(argv: list[str]) -> None:
    port = int(argv[0]) if argv else 8000
    if not (HTML / "index.html").exists():
        sys.exit("The book is not built yet: run `make book` first.")
    handler = functools.partial(Handler, directory=str(HTML))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"The book is at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops the server)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
