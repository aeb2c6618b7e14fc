"""Importing GE without the libraries it loads for expectations canary's suites rarely use.

GE 1.24 imports ``scipy.stats`` and ``altair`` when it loads, for the KL-divergence and KS
expectations, which call them only inside their functions (to compute and to draw). They
cost every run 0.9 s and 75 MB (importing ``canary.cli`` and GE: 3.1 s and 314 MB with
them, 2.2 s and 239 MB without; ``python -X importtime``, ``VmHWM``); a run validating
none of those expectations never touches them. ``import_ge`` defers them:
each is a module that imports the real one on the first read of any of its attributes
(thread-safe), so a suite that does use them still works.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

#: What GE imports at load time and uses only inside expectations' functions.
DEFERRED = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """Module ``name``, imported on the first read of one of its attributes."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lock"] = threading.Lock()
        self.__dict__["_module"] = None

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)

    def _load(self) -> types.ModuleType:
        with self._lock:
            if self._module is None:
                if sys.modules.get(self.__name__) is self:
                    del sys.modules[self.__name__]
                self.__dict__["_module"] = importlib.import_module(self.__name__)
        module: types.ModuleType = self._module
        return module


def defer(name: str) -> None:
    """Make ``name``'s next imports return a ``_Deferred`` (unless it is imported already)."""
    if name in sys.modules:
        return
    try:
        found = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # its package is not installed
        return
    if found is not None:
        sys.modules[name] = _Deferred(name)


def import_ge() -> types.ModuleType:
    """``great_expectations``, imported with ``DEFERRED`` deferred."""
    for name in DEFERRED:
        defer(name)
    import great_expectations

    return great_expectations
