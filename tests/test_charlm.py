"""The character-level language model: library functions and the command line."""

import os
import subprocess
import sys

import numpy as np
import pytest

import rnnlib
from rnnlib import charlm

TEXT = "the cat sat on the mat. the dog sat on the log.\n" * 30
SMALL = dict(hidden=16, seq_length=8, batch=4, lr=0.01, clip=5.0, seed=3)


def test_codes_are_platform_indices():
    # under Pyodide intp is 32-bit and np.bincount refuses int64 input; np.intp works everywhere
    codes = charlm.Vocabulary.from_text(TEXT).encode(TEXT)
    assert codes.dtype == np.intp
    assert charlm.streams(codes, N=4, T=5).dtype == np.intp
    assert np.bincount(codes).sum() == len(TEXT)


def test_training_stops_when_it_diverges():
    state = charlm.start(TEXT, charlm.Settings(**{**SMALL, "lr": 1e308}))
    with np.errstate(all="ignore"), pytest.raises(charlm.Diverged, match="at step [0-9]+: training diverged") as info:
        charlm.train(state, TEXT, 50)
    assert 1 <= info.value.step <= 50
    assert isinstance(info.value, FloatingPointError)  # like rnnlib.train.Diverged


def test_vocabulary_round_trip():
    vocab = charlm.Vocabulary.from_text(TEXT)
    assert vocab.chars == "".join(sorted(set(TEXT)))
    codes = vocab.encode("the dog")
    assert vocab.decode(codes) == "the dog"
    assert vocab.one_hot(codes).shape == (7, vocab.size)
    with pytest.raises(charlm.CharLMError, match="characters not in the vocabulary: 'QZ'"):
        vocab.encode("QZ")
    with pytest.raises(charlm.CharLMError, match="the text is empty"):
        charlm.Vocabulary.from_text("")


def test_streams():
    data = charlm.streams(np.arange(103), N=4, T=5)
    assert data.shape == (4, 25) and data[1, 0] == 25
    with pytest.raises(charlm.CharLMError, match=r"^indices: expected at least N \(T \+ 1\) = 24 codes .* got 20$"):
        charlm.streams(np.arange(20), N=4, T=5)
    with pytest.raises(charlm.CharLMError, match="the text has 20 characters, too few for one chunk: 4 streams .* at least 24"):
        charlm.start("ab" * 10, charlm.Settings(hidden=3, seq_length=5, batch=4))
    with pytest.raises(TypeError, match=r"^indices: expected a 1-D array of integer codes, got 1-D float64$"):
        charlm.streams(np.arange(30.0), N=4, T=5)  # it was cut into streams of floats


def test_save_appends_npz_as_load_expects(tmp_path):
    """save("model") wrote a file "model" that load("model") could not find (it looks for model.npz)."""
    state = charlm.start("abcab" * 8, charlm.Settings(hidden=3, seq_length=2, batch=2))
    charlm.save(tmp_path / "model", state)
    assert (tmp_path / "model.npz").exists() and not (tmp_path / "model").exists()
    assert charlm.load(tmp_path / "model").step == 0


def test_training_lowers_the_loss():
    state = charlm.start(TEXT, charlm.Settings(**SMALL))
    state = charlm.train(state, TEXT, 150)
    assert state.step == 150 and len(state.losses) == 150
    assert np.mean(state.losses[-10:]) < 0.5 * np.mean(state.losses[:10])


def test_resume_is_exact(tmp_path):
    settings = charlm.Settings(**SMALL)
    straight = charlm.train(charlm.start(TEXT, settings), TEXT, 10)
    half = charlm.train(charlm.start(TEXT, settings), TEXT, 6)
    charlm.save(tmp_path / "ckpt.npz", half)
    resumed = charlm.train(charlm.load(tmp_path / "ckpt.npz"), TEXT, 4)
    assert resumed.step == 10 and resumed.losses == straight.losses
    for a, b in zip(resumed.params, straight.params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(resumed.h, straight.h)


@pytest.mark.parametrize("optimizer", ["adam", "adagrad"])
def test_checkpoint_round_trip(tmp_path, optimizer):
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**SMALL, optimizer=optimizer)), TEXT, 3)
    charlm.save(tmp_path / "c.npz", state)
    back = charlm.load(tmp_path / "c.npz")
    assert back.settings == state.settings and back.vocab == state.vocab and back.step == 3
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically


def test_evaluate_is_the_cost_per_character():
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**SMALL)), TEXT, 50)
    piece = TEXT[:60]
    codes = state.vocab.encode(piece)
    cache = rnnlib.forward(state.params, state.vocab.one_hot(codes[:-1]))
    C = rnnlib.cost(cache, state.vocab.one_hot(codes[1:]), loss="cross_entropy")
    assert charlm.evaluate(state.params, state.vocab, piece) == pytest.approx(C / 59, rel=1e-12)
    untrained = charlm.start(TEXT, charlm.Settings(**SMALL))
    assert charlm.evaluate(untrained.params, untrained.vocab, piece) == pytest.approx(np.log(untrained.vocab.size), rel=0.1)


def test_evaluate_in_chunks_is_evaluate_in_one_go():
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**SMALL)), TEXT, 30)
    whole = charlm.evaluate(state.params, state.vocab, TEXT)
    codes = state.vocab.encode(TEXT)
    log_probs = rnnlib.log_softmax(rnnlib.forward(state.params, state.vocab.one_hot(codes[:-1])).o)
    assert whole == float(-np.mean(log_probs[np.arange(len(codes) - 1), codes[1:]]))  # one chunk: bit for bit
    # chunk=1 reads one character per forward call: only a carried h_t can make it agree
    for chunk in (1, 7, 100, len(TEXT) - 2):
        assert charlm.evaluate(state.params, state.vocab, TEXT, chunk=chunk) == pytest.approx(whole, rel=1e-13)
    reset = np.mean([charlm.evaluate(state.params, state.vocab, TEXT[i : i + 2]) for i in range(len(TEXT) - 1)])
    assert abs(reset - whole) > 0.01  # what chunk=1 would give if h_0 = 0 at every chunk


def test_training_on_part_of_the_vocabulary():
    state = charlm.start(TEXT + "XYZ", charlm.Settings(**SMALL))
    state = charlm.train(state, TEXT, 5)  # the text lacks X, Y, Z: that is fine
    with pytest.raises(charlm.CharLMError, match="characters the model has never seen, 'Q'"):
        charlm.train(state, TEXT + "Q", 1)


def test_sampling():
    state = charlm.train(charlm.start(TEXT, charlm.Settings(**SMALL)), TEXT, 200)
    a = charlm.sample(state.params, state.vocab, length=50, temperature=0.5, rng=1)
    b = charlm.sample(state.params, state.vocab, length=50, temperature=0.5, rng=1)
    assert a == b and len(a) == 50 and set(a) <= set(TEXT)
    assert charlm.sample(state.params, state.vocab, length=40, prime="the ", temperature=0.5, rng=2) != a
    with pytest.raises(ValueError, match="temperature: expected a finite number > 0, got 0.0"):
        charlm.sample(state.params, state.vocab, length=5, temperature=0.0)


def test_cli_end_to_end(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    model = tmp_path / "model.npz"
    args = ["train", str(corpus), "--out", str(model), "--steps", "20", "--save-every", "10", "--hidden", "16",
            "--seq-length", "8", "--batch", "4"]
    assert charlm.main(args) == 0
    assert charlm.load(model).step == 20
    assert charlm.main(["train", str(corpus), "--resume", str(model), "--steps", "5"]) == 0
    assert charlm.load(model).step == 25
    capsys.readouterr()
    assert charlm.main(["sample", str(model), "--length", "30", "--seed", "4", "--prime", "the"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("the") and len(out.rstrip("\n")) == 33


def test_module_runs_as_a_program(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "rnnlib.charlm", "train", str(corpus), "--out", str(tmp_path / "m.npz"), "--steps", "3",
         "--hidden", "8", "--seq-length", "5", "--batch", "2"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )
    assert run.returncode == 0, run.stderr
    assert "m.npz at step 3; training loss" in run.stderr
    bad = subprocess.run([sys.executable, "-m", "rnnlib.charlm", "sample", str(tmp_path / "nope.npz")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: None, "corpus '.*missing.txt' does not exist"),
        (lambda d: (d / "missing.txt").write_text(""), "is empty"),
        (lambda d: (d / "missing.txt").write_text("short text"), "too few for one chunk"),
        (lambda d: (d / "missing.txt").write_bytes(b"\xff\xfe\x00bad"), "is not UTF-8 text"),
        (lambda d: (d / "missing.txt").mkdir(), "is a directory"),
    ],
)
def test_cli_bad_corpus(tmp_path, capsys, setup, message):
    setup(tmp_path)
    assert charlm.main(["train", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert "error:" in err
    assert __import__("re").search(message, err), err
    assert not (tmp_path / "m.npz").exists()


def test_cli_bad_checkpoints(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    model = tmp_path / "model.npz"
    assert charlm.main(["train", str(corpus), "--out", str(model), "--steps", "2", "--hidden", "8",
                        "--seq-length", "5", "--batch", "2"]) == 0
    other = tmp_path / "other.txt"
    other.write_text("A completely different TEXT, with NEW letters! " * 20, encoding="utf-8")
    cases = {
        "other vocabulary": (["train", str(other), "--resume", str(model), "--steps", "1"], "does not fit the model's vocabulary: it has characters the model has never seen"),
        "garbage": (["sample", str(tmp_path / "garbage.npz")], "is not a valid checkpoint .*not a zip archive"),
        "truncated": (["sample", str(tmp_path / "truncated.npz")], "is not a valid checkpoint"),
        "not a checkpoint": (["sample", str(tmp_path / "plain.npz")], "is not a valid checkpoint"),
        "bad prime": (["sample", str(model), "--prime", "QQ"], "--prime: characters not in the vocabulary"),
    }
    (tmp_path / "garbage.npz").write_text("not a zip file")
    (tmp_path / "truncated.npz").write_bytes(model.read_bytes()[:200])
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    for name, (args, message) in cases.items():
        capsys.readouterr()
        assert charlm.main(args) == 1, name
        err = capsys.readouterr().err
        assert __import__("re").search(message, err), (name, err)
    assert charlm.load(model).step == 2  # the failed resume did not touch the checkpoint


@pytest.mark.parametrize("args", [["sample", "x.npz", "--temperature", "0"], ["train", "c.txt", "--steps", "-3"],
                                  ["train", "c.txt", "--lr", "nan"], ["sample", "x.npz", "--seed", "-1"]])
def test_cli_rejects_bad_numbers(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        charlm.main(args)
    assert exit_info.value.code == 2
    assert "expected" in capsys.readouterr().err
