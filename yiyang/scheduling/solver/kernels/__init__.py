"""The search's inner loops over flat arrays: one source, compiled or interpreted.

Imported as ``yiyang.scheduling.solver.kernels`` every function is compiled by Numba
(``njit``, cached on disk); loaded a second time under names ending in ``_reference`` (see
``search.kernels``) the same source runs in plain CPython. The two are the same algorithm
step for step, with the same random numbers (a xorshift128 generator on 32-bit words, exact
in both), so they reach the same costs for the same seed and iteration count; the test suite
checks that.

The algorithm is the adaptive large neighbourhood search described in ``search.py``: routes
are rows of ``R`` (caregiver k serves ``R[k, :L[k]]`` in order); start times are never part
of the search state but computed by ``schedule.sched_run`` (earliest feasible schedule, with
synchronised pairs scheduled when both caregivers reach them, and a longest-path relaxation
when they wait for each other in a circle).

The modules, each importing only those before it (``MODULES``, the order in which
``search.kernels("python")`` loads them again):

- ``base``: how the kernels are compiled, the constants, the problem and state tuples, the
  random numbers, and the small helpers of routes, the schedule and the insertion;
- ``schedule``: the earliest schedule of given routes and its figures, and the relaxation;
- ``insertion``: one insertion tried incrementally, and committed;
- ``repair``: the positions estimated for a visit, its best insertion, the repair;
- ``destroy``: the four removal operators;
- ``run``: the entry points: the first plan, chunks of iterations, adopting a plan.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from yiyang.scheduling.solver.kernels.base import (
    FP_KICK,
    FP_LOOKBACK,
    FP_NOISE_SCALE,
    FP_NOISE_SHARE,
    FP_QSHARE,
    FP_TFACTOR,
    FS_BEST_COST,
    FS_CUR_COST,
    FS_NOISE,
    FS_TEMP0,
    INF,
    IP_CANDIDATES,
    IP_CYCLE,
    IP_EXACT,
    IP_HAS_BREAKS,
    IP_HAS_LIMITS,
    IP_HAS_PREF,
    IP_ORDER,
    IP_QCAP,
    IV_BEST_NUNS,
    IV_BNS_N,
    IV_CUR_NUNS,
    IV_ITER,
    IV_LAST_BEST,
    IV_LAST_OK,
    IV_NS_FULL,
    IV_NS_N,
    IV_NTRACE,
    IV_NUNS,
    IV_QMAX,
    IV_QMIN,
    IV_RUNS,
    IV_STAMP,
    MODULES,
    SIMULTANEOUS,
    Prob,
    State,
    after_breaks,
    copy_plan,
    extension_cost,
    fill,
    inline,
    jit,
    ns_get,
    ns_set,
    refresh_all,
    refresh_slack,
    rng_below,
    rng_random,
    route_insert,
    route_pop,
    sched_fail,
    set_last,
    stable_order,
    unowned,
)
from yiyang.scheduling.solver.kernels.destroy import destroy
from yiyang.scheduling.solver.kernels.insertion import commit, try_insert
from yiyang.scheduling.solver.kernels.repair import insert_visit, positions, repair
from yiyang.scheduling.solver.kernels.run import adopt, search_chunk, search_init
from yiyang.scheduling.solver.kernels.schedule import relax, sched_run, schedule

__all__ = [
    "FP_KICK",
    "FP_LOOKBACK",
    "FP_NOISE_SCALE",
    "FP_NOISE_SHARE",
    "FP_QSHARE",
    "FP_TFACTOR",
    "FS_BEST_COST",
    "FS_CUR_COST",
    "FS_NOISE",
    "FS_TEMP0",
    "INF",
    "IP_CANDIDATES",
    "IP_CYCLE",
    "IP_EXACT",
    "IP_HAS_BREAKS",
    "IP_HAS_LIMITS",
    "IP_HAS_PREF",
    "IP_ORDER",
    "IP_QCAP",
    "IV_BEST_NUNS",
    "IV_BNS_N",
    "IV_CUR_NUNS",
    "IV_ITER",
    "IV_LAST_BEST",
    "IV_LAST_OK",
    "IV_NS_FULL",
    "IV_NS_N",
    "IV_NTRACE",
    "IV_NUNS",
    "IV_QMAX",
    "IV_QMIN",
    "IV_RUNS",
    "IV_STAMP",
    "MODULES",
    "SIMULTANEOUS",
    "Prob",
    "State",
    "adopt",
    "after_breaks",
    "commit",
    "copy_plan",
    "destroy",
    "extension_cost",
    "fill",
    "inline",
    "insert_visit",
    "jit",
    "load_reference",
    "ns_get",
    "ns_set",
    "positions",
    "refresh_all",
    "refresh_slack",
    "relax",
    "repair",
    "rng_below",
    "rng_random",
    "route_insert",
    "route_pop",
    "sched_fail",
    "sched_run",
    "schedule",
    "search_chunk",
    "search_init",
    "set_last",
    "stable_order",
    "try_insert",
    "unowned",
]


def load_reference() -> ModuleType:
    """This package's modules loaded again, in order, as ``<name>_reference``: plain Python.
    While they load, each stands in ``sys.modules`` for the compiled one, so that the next
    ones import it; the compiled modules are put back after."""
    where = Path(__file__).parent
    saved = {f"{__name__}.{stem}": sys.modules.get(f"{__name__}.{stem}") for stem in MODULES}
    try:
        for stem in MODULES:
            sys.modules[f"{__name__}.{stem}"] = _load_plain(
                f"{__name__}.{stem}", where / f"{stem}.py"
            )
        return _load_plain(__name__, where / "__init__.py")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _load_plain(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{name}_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
