"""The rostering solver core: model, travel sources, search, evaluator, benchmark I/O.

Independent of Django: it neither imports Django nor reads the database, so the dispatch
board, the benchmark and the tests drive the same code.
"""

from yiyang.scheduling.solver.evaluator import Evaluation, evaluate
from yiyang.scheduling.solver.model import Problem, ProblemError, Solution
from yiyang.scheduling.solver.search import SearchResult, solve

__all__ = ["Evaluation", "Problem", "ProblemError", "SearchResult", "Solution", "evaluate", "solve"]
