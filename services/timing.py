"""Per-request phase timings, sent back as a Server-Timing header (used by bench/)."""
import time
from contextlib import contextmanager
from contextvars import ContextVar

_phases: ContextVar[dict | None] = ContextVar("phases", default=None)


def start():
    _phases.set({})


def collected():
    return _phases.get() or {}


@contextmanager
def phase(name):
    began = time.perf_counter()
    try:
        yield
    finally:
        phases = _phases.get()
        if phases is not None:
            phases[name] = phases.get(name, 0.0) + (time.perf_counter() - began) * 1000


def add(phases):
    """Adds phases timed elsewhere (the face process) to the current request's."""
    current = _phases.get()
    if current is not None:
        for name, ms in phases.items():
            current[name] = current.get(name, 0.0) + ms


def header():
    return ", ".join(f"{name};dur={ms:.1f}" for name, ms in collected().items())
