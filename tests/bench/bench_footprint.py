#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Driver of bench_footprint.sh: the injector's memory with N active faults.

Usage: bench_footprint.py SOCKET DAEMON_PID N CGROUP_PROCS

Spawns N sleeping processes (each moved into the benchmark's cgroup through
CGROUP_PROCS, so the script's trap can kill them all), applies one
process.pause fault to each over one session, checks that every one is in
state T, reads the daemon's VmRSS and VmHWM, reverts them all, checks that every
one runs again, and reads the memory once more. Prints one JSON object.
Correctness is checked, time never is; every wait is bounded.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from flclient import Client, proc_state  # noqa: E402


def mem(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(val.split()[0])
    return out


def wait_all(pids, want, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(proc_state(p) == want for p in pids):
            return True
        time.sleep(0.05)
    return False


def main():
    sock, daemon, n, procs_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    result = {"faults": n, "idle": mem(daemon)}
    victims = []
    for _ in range(n):
        p = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(procs_file, "w") as f:
            f.write(str(p.pid))
        victims.append(p)
    pids = [p.pid for p in victims]
    c = Client(sock, timeout=30.0)
    if not c.hello(heartbeat_ms=60000).get("ok"):
        sys.exit("hello failed")
    faults = []
    for i, pid in enumerate(pids):
        r = c.call("apply", fault={"name": "p%d" % i, "kind": "process.pause",
                                   "duration_ms": 600000, "params": {"target": {"pid": pid}}})
        if not r.get("ok"):
            sys.exit("apply %d failed: %s" % (i, r))
        faults.append(r["result"]["fault"])
    if not wait_all(pids, "T", 10):
        sys.exit("not every target is stopped")
    result["active"] = mem(daemon)
    for f in faults:
        r = c.call("revert", fault=f)
        if not r.get("ok"):
            sys.exit("revert failed: %s" % r)
    if not wait_all(pids, "S", 10):
        sys.exit("not every target runs again")
    result["after"] = mem(daemon)
    for p in victims:
        p.kill()
        p.wait()
    print(json.dumps(result))


main()
