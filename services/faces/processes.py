"""Face work in a process of its own, so the threads of a web worker that answer reads never
wait for the GIL that dlib's detector and encoder hold.

A server process calls start() once while it has a single thread (gunicorn's post_fork, or
`python app.py` before it serves): that forks one face process, which shares the models
already in memory. From then on run() hands each call to it, in order of arrival, and
waits; waiting releases the GIL. A process that never called start() (tests, the CLI, a
queue worker, whose jobs already run apart from any web thread) runs the call itself.

The face process runs at the lowest priority (nice 19): when the cores are busy the reads get
them first, and face work still gets every cycle they leave, so on idle cores a check-in is as
fast as ever (docs/performance.md measures the difference).
"""
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from services import timing
from services.errors import Unavailable

FACE_PROCESS_NICENESS = 19
PARENT_CHECK_SECONDS = 2.0

_executor = None


def start():
    """Forks this process's face process now. Call it while this process has one thread and has
    not yet detected faces itself: a fork copies no threads, so a thread pool or a lock that other
    threads were using (OpenCV's, the detection threads') would be left broken in the face process."""
    global _executor
    _executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                    initializer=_prepare_face_process, initargs=(os.getpid(),))
    _executor.submit(os.getpid).result()  # forked here, before the executor starts its threads


def stop():
    """Ends this process's face process, if it has one; calls then run here again."""
    global _executor
    if _executor is not None:
        _executor.shutdown()
        _executor = None


def run(function, *args):
    """``function(*args)`` in this process's face process (here when there is none); its timing
    phases are added to the current request's."""
    if _executor is None:
        return function(*args)
    try:
        result, phases = _executor.submit(_timed, function, *args).result()
    except BrokenProcessPool:
        # The face process died (killed, out of memory): this call is lost, the next gets a new one.
        # That fork happens with the worker's threads running, unlike start()'s: the new process
        # only runs the pipeline, whose own lock detection.py renews at fork, and the worker
        # never detects faces itself, so OpenCV's pool is still unstarted.
        _executor.shutdown(wait=False)
        start()
        raise Unavailable("The face pipeline restarted; send the photo again.", code="face_pipeline_restarted") \
            from None
    timing.add(phases)
    return result


def per_process(make):
    """A function that returns this process's own ``make()``, made on its first call here: a pool's
    threads do not survive a fork, so a process forked from one that had used a pool makes its own.

    No lock: one that another thread holds at a fork stays held in the child (run() forks a new face
    process while the worker's threads run). Two first calls at once may each make one; only one is
    kept, and both get it, so ``make()`` must be cheap to drop unused (a pool starts no thread before
    its first task)."""
    made = {}

    def this_process():
        pid = os.getpid()
        if pid not in made:
            made.setdefault(pid, make())
        return made[pid]
    return this_process


def _timed(function, *args):
    timing.start()
    return function(*args), timing.collected()


def _prepare_face_process(parent):
    # The server's signal handlers are meant for the server: this process ends with its parent.
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                   signal.SIGWINCH, signal.SIGTTIN, signal.SIGTTOU, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops this
    os.nice(FACE_PROCESS_NICENESS)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="parent-watch").start()


def _exit_with(parent):
    """A parent killed outright (SIGKILL after a worker timeout) leaves no one to stop this
    process: it notices that it has been adopted, and ends."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)
