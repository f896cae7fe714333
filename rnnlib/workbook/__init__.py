"""The workbook: the learner writes the notes' RNN, and a checker names the mistake.

- :data:`EXERCISES`: the exercises in order (:mod:`rnnlib.workbook.exercises`),
  each with its signature, the shapes in and out and the equations of the
  notes it implements (``EXERCISES[name].doc``).
- :func:`check`: ``check(name, fn)`` runs the learner's ``fn`` on random
  problems, compares it with the library and returns a :class:`Report`
  (:mod:`rnnlib.workbook.checker`).
- :data:`MISTAKES`: the catalogue of mistakes it can name
  (:mod:`rnnlib.workbook.mistakes`), each with a reference implementation in
  :mod:`rnnlib.workbook.variants`.
"""

from .checker import Report, check
from .exercises import EXERCISES, Exercise
from .mistakes import MISTAKES, Mistake

__all__ = ["EXERCISES", "MISTAKES", "Exercise", "Mistake", "Report", "check"]
