// rnnlib's unit tests under Pyodide (CPython in WebAssembly), in Node, from the book's own files.
//
// Usage: node tools/pyodide_tests.mjs [pytest arguments ...]
//
// Loads the Pyodide that `python tools/lite.py prepare` staged in _build/lite
// (the same runtime, numpy and rnnlib wheel the in-browser notebooks use),
// installs pytest and hypothesis from the staged pure-Python wheels, mounts
// the checkout (for its tests/ and the files they read) and runs pytest
// there; rnnlib itself is imported from the wheel, not from the checkout.
// numpy's index type is 32-bit under Pyodide, so this catches what a 64-bit
// machine cannot.
// Exits with pytest's exit status.
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pyodideDir = path.join(root, "_build", "lite", "static", "pyodide");
const wheelDir = path.join(root, "_build", "lite", "test-wheels");
if (!fs.existsSync(path.join(pyodideDir, "pyodide.mjs"))) {
  console.error("Pyodide is not staged: run `python tools/lite.py prepare` (make book does).");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep, stdout: console.log, stderr: console.error });
await pyodide.loadPackage(["numpy", "rnnlib", "micropip", "packaging", "pygments", "matplotlib"], { messageCallback: () => {} });

pyodide.FS.mkdirTree("/checkout");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root }, "/checkout");
pyodide.FS.mkdirTree("/wheels");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: wheelDir }, "/wheels");

const args = process.argv.slice(2);
pyodide.globals.set("pytest_args", pyodide.toPy(args));
const status = await pyodide.runPythonAsync(`
import os, sys, micropip
await micropip.install(["emfs:/wheels/" + w for w in sorted(os.listdir("/wheels"))], deps=False)
import numpy as np, pytest, rnnlib
assert "site-packages" in rnnlib.__file__, rnnlib.__file__
print(f"Pyodide: Python {sys.version.split()[0]}, numpy {np.__version__} (intp is {np.dtype(np.intp).itemsize * 8}-bit), rnnlib from {os.path.dirname(rnnlib.__file__)}")
with open("/tmp/pytest.ini", "w") as f:  # not the checkout's configuration, which loads nbval
    f.write("[pytest]\\nfilterwarnings = error\\n")
os.chdir("/checkout")
int(pytest.main(["-c", "/tmp/pytest.ini", "--rootdir", "/checkout", "-p", "no:cacheprovider", "-p", "no:faulthandler", "--capture=sys", "-q", *pytest_args]))
`);
process.exit(status);
