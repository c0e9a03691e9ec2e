"""What ps and /proc tell of a running process: its children, its state, its CPU time.
Shared by the tests and bench/."""
import os
import subprocess
from pathlib import Path


def child_pids(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def stat_fields(pid):
    """/proc/<pid>/stat's fields from the third (the state) on; the name before may hold spaces."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid, children=False):
    """User + system CPU time of a process (or of its finished children: the queue workers'
    forked work horses), from /proc: unlike wall time, barely moved by other load on the host."""
    fields = stat_fields(pid)  # utime, stime, cutime, cstime: fields 14 to 17 of stat
    ticks = sum(int(v) for v in (fields[13:15] if children else fields[11:13]))
    return ticks / os.sysconf("SC_CLK_TCK")
