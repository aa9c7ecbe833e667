"""Modules loaded when first used: for parts of the site that most processes never touch (the
Content sync page's sync, git and file status; the admin's search; the webhook's run queue),
so that every command, server worker and task worker does not pay their import at start-up.

    status = lazy_module("catalog.repository.status")   # loaded at the first status.x

The standard library's LazyLoader: the module object is there at once, and its code runs at
the first attribute access. Imports still run one way (file format ← models ← write side ←
pipeline/site/admin); this changes when, never what.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys


def lazy_module(name):
    """The module ``name``, whose code runs at its first attribute access (at once if it is
    loaded already)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:  # as an import does: ``package.module`` names it
        setattr(importlib.import_module(parent), child, module)
    return module
