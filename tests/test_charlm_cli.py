"""The language model's command line as a user meets it: progress, validation, resume, Ctrl-C, bad files."""

import argparse
import math
import os
import pathlib
import re
import shlex
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from rnnlib import charlm
from rnnlib.charlm import cli

TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 30
TINY = ["--hidden", "8", "--seq-length", "5", "--batch", "2"]
ENV = {**os.environ, "COLUMNS": "200"}  # wide: the tests read whole messages, not wrapped ones


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def run(capsys, *args):
    """main() in this process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    status = charlm.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def flat(text: str) -> str:
    """Messages with the terminal-width wrapping undone."""
    return " ".join(text.split())


def one_line_error(err: str, command: str) -> str:
    """The error: one line, the last one, no traceback."""
    lines = err.splitlines()
    assert "Traceback" not in err and sum("error:" in line for line in lines) == 1, err
    assert lines[-1].startswith(f"python -m rnnlib.charlm {command}: error: "), err
    return lines[-1]


def run_in_pty(args, columns=80, cwd=None):
    """Run a command on a pseudo-terminal of the given width; (status, everything it wrote, seconds)."""
    if sys.platform == "emscripten":
        pytest.skip("Pyodide has no terminals or processes")
    import fcntl  # POSIX only
    import pty
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    began = time.perf_counter()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    status = proc.wait(timeout=120)
    os.close(master)
    return status, b"".join(chunks).decode(), time.perf_counter() - began


# --- what is displayed ----------------------------------------------------------------


@pytest.mark.parametrize("loss", [0.0, 1.0, 11.6, 700.0, 709.78, 710.0, 1234.5, 1e6, 1e300, math.inf, math.nan])
def test_perplexity_is_displayed_for_any_loss(loss):
    text = cli.perplexity_text(loss)
    assert len(text) <= 12, text
    if loss <= 709:
        assert float(text) == pytest.approx(math.exp(loss), rel=5e-3)


def test_perplexity_of_a_large_loss_needs_the_guard():
    with pytest.raises(OverflowError):  # what the display used to call
        math.exp(710.0)
    assert cli.perplexity_text(710.0) == "e^710"
    assert len(f"{math.exp(700.0):.2f}") > 300  # and the 300-digit perplexity it printed below that


def test_smoothed_loss_continues_across_a_resume():
    losses = list(np.linspace(4.0, 1.0, 300))
    assert cli.smoothed_loss(losses[150:], cli.smoothed_loss(losses[:150])) == cli.smoothed_loss(losses)
    assert cli.smoothed_loss(losses) > losses[-1]  # it lags the falling loss, as an average of ~50 steps does


def _train_on_a_terminal(tmp_path, corpus, columns=80):
    status, screen, seconds = run_in_pty(
        [sys.executable, "-m", "rnnlib.charlm", "train", str(corpus), "--steps", "600", "--eval-every", "200",
         *TINY], columns=columns, cwd=tmp_path,
    )
    assert status == 0, screen
    return re.split(r"[\r\n]+", screen), seconds


def test_progress_fits_an_80_column_terminal(tmp_path, corpus):
    pieces, seconds = _train_on_a_terminal(tmp_path, corpus)
    assert max(len(p) for p in pieces) <= 80, max(pieces, key=len)
    updates = [p for p in pieces if re.match(r"\d+/600 \|", p)]
    shows = r"steps/s, eta [0-9:?]+, loss \d+\.\d{3}, ppl \d"
    assert updates and all(re.search(shows, p) for p in updates[1:]), updates
    # at most four redraws a second, plus one after each of the 3 validation lines and the last one
    assert len(updates) <= 4 * seconds + 3 + 4, (len(updates), seconds)
    assert updates[-1].startswith("600/600 |")
    screen = flat(" ".join(pieces))
    assert "validation loss" in screen and "(smoothed)" in screen


def test_the_width_check_catches_a_bar_too_wide(tmp_path, corpus):
    pieces, _ = _train_on_a_terminal(tmp_path, corpus, columns=120)  # the bar takes the width it is given
    assert 80 < max(len(p) for p in pieces) <= 120


def test_a_loss_worse_than_uniform_guessing_is_announced(capsys, tmp_path, corpus):
    status, _, err = run(capsys, "train", corpus, "--out", tmp_path / "m.npz", "--steps", "40", "--lr", "30",
                         "--hidden", "32", "--seq-length", "5", "--batch", "2")
    assert status == 0
    log_V = math.log(len(set(TEXT)))
    assert f"is above log V = {log_V:.3f}: worse than guessing uniformly" in flat(err)
    status, _, err = run(capsys, "train", corpus, "--out", tmp_path / "n.npz", "--steps", "40", *TINY)
    assert status == 0 and "worse than guessing" not in err


def test_the_final_message_reports_smoothed_training_loss_and_validation_loss(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", corpus, "--out", model, "--steps", "30", "--eval-every", "10", *TINY)
    assert status == 0
    state = charlm.load(model)
    train_loss = cli.smoothed_loss(state.losses)
    assert abs(train_loss - state.losses[-1]) > 1e-3  # the smoothed loss is not the last minibatch's
    err = flat(err)
    assert f"at step 30; training loss {train_loss:.3f} nats/char (smoothed)" in err
    val_text = TEXT[len(TEXT) - round(0.1 * len(TEXT)) :]
    val = charlm.evaluate(state.params, state.vocab, val_text)
    assert f"validation loss {val:.3f} nats/char, perplexity {math.exp(val):.2f}; best" in err


def test_help_shows_every_default_once(capsys):
    sub = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    for command, p in sub.choices.items():
        with pytest.raises(SystemExit):
            charlm.main([command, "--help"])
        text = capsys.readouterr().out
        for action in p._actions:
            if not action.option_strings or action.dest == "help":
                continue
            flag = re.escape(action.option_strings[0])
            entry = re.search(rf"\n  {flag}\b(.*?)(?=\n  -|\n\n|\Z)", text, re.S).group(1)
            if action.dest == "resume":
                assert "default" not in entry
            else:
                assert entry.count("default") == 1, (command, action.dest, entry)
                if action.default not in (None, ""):
                    assert f"(default: {action.default})" in " ".join(entry.split())


# --- validation and early stopping ------------------------------------------------------


def test_validation_is_the_end_of_the_text():
    assert cli._split("abcdefghij", 0.2) == ("abcdefgh", "ij")
    assert cli._split("abcdefghij", 0.0) == ("abcdefghij", "")
    with pytest.raises(charlm.CharLMError, match="--val-fraction 0.01 holds out 0 of 10 characters"):
        cli._split("abcdefghij", 0.01)


def test_best_checkpoint_beside_the_latest(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", corpus, "--out", model, "--steps", "40", "--eval-every", "10",
                         "--val-fraction", "0.2", "--patience", "0", *TINY)
    assert status == 0
    vals = [float(v) for v in re.findall(r"step \d+: validation loss (\d+\.\d+)", flat(err))]
    assert len(vals) == 4
    best = charlm.load(tmp_path / "m.best.npz")
    val_text = TEXT[len(TEXT) - round(0.2 * len(TEXT)) :]
    assert best.extra["best_val"] == charlm.evaluate(best.params, best.vocab, val_text)
    assert round(best.extra["best_val"], 3) == min(vals)
    assert best.step == 10 * (1 + int(np.argmin(vals)))
    assert charlm.load(model).step == 40


def test_patience_stops_training(capsys, tmp_path, corpus, monkeypatch):
    values = iter([3.0, 2.0, 2.5, 2.1, 2.2, 1.0])  # best at the 2nd evaluation, then three without a new best
    monkeypatch.setattr(cli, "evaluate", lambda params, vocab, text: next(values))
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", corpus, "--out", model, "--steps", "100", "--eval-every", "5",
                         "--patience", "3", *TINY)
    assert status == 0
    assert "stopped early at step 25: 3 evaluations without a new best validation loss" in flat(err)
    assert charlm.load(model).step == 25 and charlm.load(tmp_path / "m.best.npz").step == 10


def test_evaluate_command(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", corpus, "--out", model, "--steps", "20", *TINY)[0] == 0
    piece = tmp_path / "piece.txt"
    piece.write_text(TEXT[:200], encoding="utf-8")
    status, out, _ = run(capsys, "evaluate", model, piece)
    state = charlm.load(model)
    loss = charlm.evaluate(state.params, state.vocab, TEXT[:200])
    assert status == 0 and f"loss {loss:.3f} nats/char, perplexity {math.exp(loss):.2f}" in out
    piece.write_text("the QUICK cat", encoding="utf-8")
    status, _, err = run(capsys, "evaluate", model, piece)
    assert status == 1
    assert "has characters the model has never seen, 'CIKQU'" in one_line_error(err, "evaluate")


# --- resume ---------------------------------------------------------------------------


def test_resume_refuses_a_flag_that_contradicts_the_model(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", corpus, "--out", model, "--steps", "5", *TINY)[0] == 0
    before = model.read_bytes()
    for flag, value, saved in (("--hidden", "64", "hidden 8"), ("--seq-length", "7", "seq_length 5"),
                               ("--batch", "3", "batch 2"), ("--optimizer", "adagrad", "optimizer adam")):
        status, _, err = run(capsys, "train", corpus, "--resume", model, flag, value)
        assert status == 1
        assert f"{flag} {value} contradicts the checkpoint '{model}' ({saved})" in one_line_error(err, "train")
    assert model.read_bytes() == before
    status, _, err = run(capsys, "train", corpus, "--resume", model, "--steps", "2", "--hidden", "8")  # agrees: fine
    assert status == 0 and "settings as saved in the checkpoint" in flat(err)


def test_resume_overrides_training_settings_and_says_so(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", corpus, "--out", model, "--steps", "5", "--lr", "0.01", *TINY)[0] == 0
    status, _, err = run(capsys, "train", corpus, "--resume", model, "--steps", "5", "--lr", "0.1", "--clip", "5",
                         "--eval-every", "50")
    assert status == 0
    # --clip 5 is the saved value: not listed
    assert "overridden: --lr 0.01 -> 0.1, --eval-every 200 -> 50" in flat(err)
    state = charlm.load(model)
    assert state.settings.lr == 0.1 and state.extra["eval_every"] == 50 and state.step == 10


@pytest.mark.parametrize("optimizer", ["adam", "adagrad"])
def test_resume_through_the_command_line_is_exact(capsys, tmp_path, corpus, optimizer):
    args = ["--steps", "12", "--save-every", "4", "--eval-every", "6", "--optimizer", optimizer, *TINY]
    assert run(capsys, "train", corpus, "--out", tmp_path / "straight.npz", *args)[0] == 0
    assert run(capsys, "train", corpus, "--out", tmp_path / "half.npz", *args[:1], "6", *args[2:])[0] == 0
    assert run(capsys, "train", corpus, "--resume", tmp_path / "half.npz", "--steps", "6")[0] == 0
    with np.load(tmp_path / "straight.npz") as a, np.load(tmp_path / "half.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


# --- stopping: divergence, Ctrl-C ------------------------------------------------------------


def test_divergence_stops_with_the_last_good_checkpoint(capsys, tmp_path, corpus, monkeypatch):
    real = charlm.model.loss_grad_and_state
    calls = iter(range(1000))

    def poisoned(*args, **kwargs):  # the 8th step's loss is NaN
        C, grads, h = real(*args, **kwargs)
        return (math.nan if next(calls) == 7 else C), grads, h

    monkeypatch.setattr(charlm.model, "loss_grad_and_state", poisoned)
    model = tmp_path / "m.npz"
    status, _, err = run(capsys, "train", corpus, "--out", model, "--steps", "20", "--save-every", "5", *TINY)
    assert status == 1
    assert "the loss became nan at step 8: training diverged" in one_line_error(err, "train")
    assert f"{model} holds step 5" in err
    assert charlm.load(model).step == 5  # the last good one, and it loads


def test_divergence_on_resume_keeps_the_checkpoint(tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert charlm.main(["train", str(corpus), "--out", str(model), "--steps", "5", *TINY]) == 0
    before = model.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "rnnlib.charlm", "train", str(corpus), "--resume", str(model),
                           "--lr", "1e308"], capture_output=True, text=True, timeout=120, env=ENV)
    assert proc.returncode == 1
    err = one_line_error(proc.stderr, "train")
    assert "training diverged" in err and f"{model} is unchanged (step 5)" in err
    assert model.read_bytes() == before


def _interrupt(tmp_path, corpus, *extra, wait_for=lambda: True):
    """Start training, wait for its header and for ``wait_for()``, press Ctrl-C; (status, stderr)."""
    # SIGINT back to its default in the child: a test run started in the background (nohup, `&` without job
    # control) ignores SIGINT, the child would inherit that, and Python then installs no KeyboardInterrupt handler
    proc = subprocess.Popen([sys.executable, "-m", "rnnlib.charlm", "train", str(corpus), "--out",
                             str(tmp_path / "m.npz"), "--steps", "1000000", *TINY, *extra],
                            stderr=subprocess.PIPE, text=True, env=ENV,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    header = []
    for line in proc.stderr:  # the header's last line comes just before training starts
        header.append(line)
        if line.startswith("text:"):
            break
    deadline = time.monotonic() + 300  # generous: a loaded machine trains slowly
    while not wait_for() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    try:
        err = "".join(header) + proc.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        proc.kill()  # the test fails, but leaves no process behind for the next ones
        proc.communicate()
        raise
    return proc.returncode, err


def test_ctrl_c_before_the_first_save_says_no_checkpoint_exists(tmp_path, corpus):
    status, err = _interrupt(tmp_path, corpus, "--save-every", "1000000", "--eval-every", "1000000")
    assert status == 130, err
    assert re.search(r"interrupted after step \d+: no checkpoint was written\n\Z", err), err
    assert "Traceback" not in err and not list(tmp_path.glob("m*.npz"))


def test_ctrl_c_names_the_checkpoint_that_exists(tmp_path, corpus):
    model, best = tmp_path / "m.npz", tmp_path / "m.best.npz"
    status, err = _interrupt(tmp_path, corpus, "--save-every", "20", "--eval-every", "40",
                             wait_for=lambda: model.exists() and best.exists())
    assert status == 130, err
    found = re.search(rf"interrupted after step (\d+): {re.escape(str(model))} holds step (\d+); "
                      rf"{re.escape(str(best))} holds step (\d+)\n\Z", err)
    assert found, err
    reached, latest, best_step = (int(g) for g in found.groups())
    assert charlm.load(model).step == latest and latest % 20 == 0 and reached >= latest
    assert charlm.load(best).step == best_step and best_step % 40 == 0
    assert not list(tmp_path.glob("*.tmp*"))


# --- corrupted checkpoints ------------------------------------------------------------


@pytest.mark.parametrize("name, value", [("W_hh", np.nan), ("b_y", np.inf), ("adam_v_W_xh", -np.inf), ("h", np.nan),
                                         ("losses", np.nan), ("setting_lr", np.nan), ("W_hy", "shape")])
def test_corrupted_checkpoints_give_one_line(capsys, tmp_path, corpus, name, value):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", corpus, "--out", model, "--steps", "5", *TINY)[0] == 0
    with np.load(model) as data:
        arrays = {key: data[key] for key in data.files}
    if value == "shape":
        arrays[name] = arrays[name][:, :-1]
    else:
        arrays[name] = arrays[name].astype(np.float64)
        arrays[name].flat[0] = value
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    for command in (["sample", bad], ["evaluate", bad, corpus], ["train", corpus, "--resume", bad]):
        status, _, err = run(capsys, *command)
        assert status == 1
        assert f"'{bad}' is not a valid checkpoint ({name}" in one_line_error(err, command[0]), err


def test_a_nan_checkpoint_in_a_real_process(tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert charlm.main(["train", str(corpus), "--out", str(model), "--steps", "5", *TINY]) == 0
    with np.load(model) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["W_hh"][1, 2] = np.nan
    np.savez(model, **arrays)
    proc = subprocess.run([sys.executable, "-m", "rnnlib.charlm", "sample", str(model)], capture_output=True,
                          text=True, timeout=120, env=ENV)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    # the reason comes from rnnlib._checks.check_finite: it names the array and the value
    assert re.search(r"is not a valid checkpoint \(W_hh\b.*\bnan\b", proc.stderr), proc.stderr


# --- sampling and the optional dependency --------------------------------------------------------


def test_sampling_is_reproducible(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", corpus, "--out", model, "--steps", "30", *TINY)[0] == 0
    first = run(capsys, "sample", model, "--seed", "3", "--length", "60", "--prime", "the ")
    again = run(capsys, "sample", model, "--seed", "3", "--length", "60", "--prime", "the ")
    other = run(capsys, "sample", model, "--seed", "4", "--length", "60", "--prime", "the ")
    cold = run(capsys, "sample", model, "--seed", "3", "--length", "60", "--prime", "the ", "--temperature", "0.2")
    assert first == again and first[1].startswith("the ") and len(first[1]) == 4 + 60 + 1
    assert other[1] != first[1] and cold[1] != first[1]
    status, _, err = run(capsys, "sample", model, "--prime", "the Zebra!")
    assert status == 1 and "--prime: characters not in the vocabulary: '!Zbr'" in one_line_error(err, "sample")


def test_training_without_tqdm_says_how_to_install_it(capsys, tmp_path, corpus, monkeypatch):
    monkeypatch.setattr(cli, "tqdm", None)
    status, _, err = run(capsys, "train", corpus, "--out", tmp_path / "m.npz", *TINY)
    assert status == 1
    assert "the progress bar needs tqdm: pip install 'rnnlib[cli]'" in one_line_error(err, "train")
    assert not (tmp_path / "m.npz").exists()


def test_the_readme_commands_run(capsys, tmp_path, monkeypatch):
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A language model on any text") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1).replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert [c[3] for c in commands] == ["train", "train", "evaluate", "sample"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mytext.txt").write_text("The end.\n" + TEXT, encoding="utf-8")
    (tmp_path / "other.txt").write_text(TEXT[:300], encoding="utf-8")
    for command in commands:
        assert command[:3] == [".venv/bin/python", "-m", "rnnlib.charlm"]
        args = command[3:]
        if "--steps" in args:  # the same commands, a hundred times shorter, on a tiny model
            i = args.index("--steps") + 1
            args[i] = str(int(args[i]) // 100)
        if args[0] == "train" and "--resume" not in args:
            args += TINY
        status, out, err = run(capsys, *args)
        assert status == 0, err
    assert charlm.load(tmp_path / "model.npz").step == 40
    assert charlm.load(tmp_path / "model.npz").settings.lr == 0.001
    assert out.startswith("The ") and len(out) == 4 + 500 + 1


def test_an_unwritable_out_is_refused_before_training(capsys, tmp_path, corpus):
    for out, message in ((tmp_path, "is a directory; give a file name"), (tmp_path / "no" / "m.npz", "does not exist")):
        status, _, err = run(capsys, "train", corpus, "--out", out, *TINY)
        assert status == 1 and message in one_line_error(err, "train")
    assert not list(tmp_path.rglob("*.npz"))


def test_training_over_an_existing_model_says_so(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", corpus, "--out", model, "--steps", "3", *TINY)[0] == 0
    status, _, err = run(capsys, "train", corpus, "--out", model, "--steps", "3", *TINY)
    assert status == 0 and f"note: {model} exists and will be replaced; --resume {model} would continue it" in flat(err)


def test_ctrl_c_does_not_pass_off_an_old_file_as_this_runs(tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert charlm.main(["train", str(corpus), "--out", str(model), "--steps", "3", "--val-fraction", "0", *TINY]) == 0
    status, err = _interrupt(tmp_path, corpus, "--save-every", "1000000", "--eval-every", "1000000")
    assert status == 130, err
    assert re.search(rf"interrupted after step \d+: no checkpoint written in this run; {re.escape(str(model))} is from "
                     rf"before this run, untouched \(step 3\)\n\Z", err), err


def test_the_default_learning_rate_follows_the_optimizer(capsys, tmp_path, corpus):
    # Adagrad at Adam's 2e-3 barely learns; its default is min-char-rnn's 0.1
    for optimizer, lr in (("adam", 2e-3), ("adagrad", 0.1)):
        model = tmp_path / f"{optimizer}.npz"
        assert run(capsys, "train", corpus, "--out", model, "--steps", "2", "--optimizer", optimizer, *TINY)[0] == 0
        assert charlm.load(model).settings.lr == lr
    assert run(capsys, "train", corpus, "--out", model, "--steps", "2", "--optimizer", "adagrad", "--lr", "0.5",
               *TINY)[0] == 0
    assert charlm.load(model).settings.lr == 0.5


def test_the_package_imports_without_tqdm(tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert charlm.main(["train", str(corpus), "--out", str(model), "--steps", "2", *TINY]) == 0
    code = ("import sys; sys.modules['tqdm'] = None\n"  # makes `import tqdm` fail as if it were not installed
            "from rnnlib import charlm\n"
            f"assert charlm.main(['sample', {str(model)!r}, '--length', '5']) == 0\n"
            f"sys.exit(charlm.main(['train', {str(corpus)!r}, '--out', {str(tmp_path / 'n.npz')!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=ENV)
    assert proc.returncode == 1 and "needs tqdm" in one_line_error(proc.stderr, "train")
    assert len(proc.stdout) == 6  # the sample: five characters and a newline


# --- the LSTM cell (--cell lstm) ----------------------------------------------------------------


def test_train_an_lstm_from_the_command_line_and_sample_from_it(capsys, tmp_path, corpus):
    model = tmp_path / "lstm.npz"
    status, _, err = run(capsys, "train", corpus, "--cell", "lstm", "--out", model, "--steps", "20", "--eval-every",
                         "10", *TINY)
    assert status == 0, err
    assert "new model: LSTM, " in flat(err) and "validation loss" in flat(err)
    state = charlm.load(model)
    assert state.settings.cell == "lstm" and isinstance(state.params, charlm.model.lstm.LSTMParams)
    assert state.c.shape == state.h.shape == (2, 8) and state.step == 20
    first = run(capsys, "sample", model, "--seed", "3", "--length", "30", "--prime", "the ")  # the cell from the file
    assert first[0] == 0 and first == run(capsys, "sample", model, "--seed", "3", "--length", "30", "--prime", "the ")
    expected = charlm.sample(state.params, state.vocab, length=30, prime="the ", rng=3)
    assert first[1] == "the " + expected + "\n"
    status, out, _ = run(capsys, "evaluate", model, corpus)
    assert status == 0 and f"loss {charlm.evaluate(state.params, state.vocab, TEXT):.3f} nats/char" in out
    rnn = tmp_path / "rnn.npz"
    assert run(capsys, "train", corpus, "--out", rnn, "--steps", "20", *TINY)[0] == 0
    assert "LSTM" not in flat(capsys.readouterr().err) and charlm.load(rnn).settings.cell == "rnn"  # the default


def test_lstm_resume_through_the_command_line_is_exact(capsys, tmp_path, corpus):
    args = ["--cell", "lstm", "--steps", "12", "--save-every", "4", "--eval-every", "6", *TINY]
    assert run(capsys, "train", corpus, "--out", tmp_path / "straight.npz", *args)[0] == 0
    assert run(capsys, "train", corpus, "--out", tmp_path / "half.npz", *args[:3], "6", *args[4:])[0] == 0
    status, _, err = run(capsys, "train", corpus, "--resume", tmp_path / "half.npz", "--steps", "6")
    assert status == 0 and "resuming" in err and "LSTM" in err
    with np.load(tmp_path / "straight.npz") as a, np.load(tmp_path / "half.npz") as b:
        assert sorted(a.files) == sorted(b.files) and "c" in a.files and "W_hf" in a.files
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_resume_refuses_another_cell(capsys, tmp_path, corpus):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", corpus, "--out", model, "--steps", "5", "--cell", "lstm", *TINY)[0] == 0
    before = model.read_bytes()
    status, _, err = run(capsys, "train", corpus, "--resume", model, "--cell", "rnn")
    assert status == 1
    assert f"--cell rnn contradicts the checkpoint '{model}' (cell lstm)" in one_line_error(err, "train")
    assert model.read_bytes() == before
    status, _, err = run(capsys, "train", corpus, "--resume", model, "--steps", "2", "--cell", "lstm")  # agrees
    assert status == 0 and "settings as saved in the checkpoint" in flat(err)


def test_an_unknown_cell_is_refused_as_argparse_refuses_a_choice(capsys, tmp_path, corpus):
    with pytest.raises(SystemExit) as info:
        charlm.main(["train", str(corpus), "--cell", "gru", "--out", str(tmp_path / "m.npz")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --cell: invalid choice: 'gru'" in err and "rnn" in err and "lstm" in err
    assert not (tmp_path / "m.npz").exists()
