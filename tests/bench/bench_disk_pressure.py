#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Driver of bench_disk_pressure.sh: disk.pressure against fio's io_uring engine.

Not meant to be run alone: the shell script checks the prerequisites, prepares
the file and the private injector, and passes everything here.

Both tools are measured with the same yardstick, over the same middle window of
each run (rate-limited runs on a file in a loop device that only the benchmark
uses, so that the completions counted are the tool's alone): the read completions the kernel counts on the disk
(/sys/block/DISK/stat) and the CPU time (utime + stime, /proc/PID/stat) of the
tool's processes and threads (faultlined's whole process: its event loop and
its workers; fio's main process and its job processes).
"""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import flclient  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def reads(disk):
    with open("/sys/block/%s/stat" % disk) as f:
        return int(f.read().split()[0])


def cpu_ticks(pid):
    """utime + stime of pid (all its threads), plus its live descendants."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            for task in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, task)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def window(disk, pid, seconds):
    r0, c0, t0 = reads(disk), cpu_ticks(pid), time.monotonic()
    time.sleep(seconds)
    r1, c1, t1 = reads(disk), cpu_ticks(pid), time.monotonic()
    ios = r1 - r0
    return {
        "iops": ios / (t1 - t0),
        "cpu_us_per_io": (c1 - c0) / TICK * 1e6 / ios if ios else float("inf"),
        "cpu_pct": (c1 - c0) / TICK / (t1 - t0) * 100,
    }


def run_ours(cfg, client, daemon_pid, rate=None):
    params = {"path": cfg["rate_file"] if rate else cfg["file"], "mode": "read", "pattern": "random",
              "block_size": cfg["bs"], "queue_depth": cfg["qd"], "workers": 1,
              "direct": True}
    if rate:
        params["rate_iops"] = rate
    reply = client.call("apply", fault={"name": "bench", "kind": "disk.pressure",
                                        "duration_ms": int((cfg["window"] + 10) * 1000),
                                        "params": params})
    if not reply["ok"]:
        raise SystemExit("FAIL: apply: %s" % reply)
    fault = reply["result"]["fault"]
    time.sleep(cfg["warmup"])
    m = window(cfg["rate_disk"] if rate else cfg["disk"], daemon_pid, cfg["window"])
    t0 = time.monotonic()
    reply = client.call("revert", fault=fault)
    m["stop_ms"] = (time.monotonic() - t0) * 1000
    if not reply["ok"]:
        raise SystemExit("FAIL: revert: %s" % reply)
    m["own_ios"] = reply["result"].get("report", {}).get("ios")
    # The daemon's threads are gone once the revert is answered.
    m["threads_after"] = len(os.listdir("/proc/%d/task" % daemon_pid))
    if m["threads_after"] != 1:
        raise SystemExit("FAIL: %d threads left after the revert" % m["threads_after"])
    return m


def run_fio(cfg, extra, rate=None):
    argv = ["fio", "--name=bench", "--filename=" + (cfg["rate_file"] if rate else cfg["file"]),
            "--rw=randread",
            "--bs=%d" % cfg["bs"], "--iodepth=%d" % cfg["qd"], "--ioengine=io_uring",
            "--direct=1", "--numjobs=1", "--time_based",
            "--runtime=%d" % int(cfg["warmup"] + cfg["window"] + 2),
            "--output-format=json"] + extra
    if rate:
        argv.append("--rate_iops=%d" % rate)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    time.sleep(cfg["warmup"])
    m = window(cfg["rate_disk"] if rate else cfg["disk"], p.pid, cfg["window"])
    out, _ = p.communicate(timeout=cfg["window"] + 60)
    if p.returncode != 0:
        raise SystemExit("FAIL: fio exited %d" % p.returncode)
    job = json.loads(out)["jobs"][0]
    m["own_iops"] = job["read"]["iops"]
    if job["error"]:
        raise SystemExit("FAIL: fio reported error %d" % job["error"])
    return m


def med(xs):
    return statistics.median(xs)


def main():
    cfg = json.loads(sys.argv[1])
    client = flclient.Client(cfg["socket"], timeout=30)
    client.hello(heartbeat_ms=60000)
    daemon = cfg["daemon_pid"]
    tools = {
        "faultline": lambda rate=None: run_ours(cfg, client, daemon, rate),
        "fio": lambda rate=None: run_fio(cfg, [], rate),
        "fio-fixed": lambda rate=None: run_fio(cfg, ["--fixedbufs", "--registerfiles"], rate),
    }
    order = list(tools)
    results = {t: [] for t in tools}
    print("# warm-up round")
    for t in order:
        tools[t]()
    for r in range(cfg["rounds"]):
        rot = order[r % len(order):] + order[:r % len(order)]
        for t in rot:
            m = tools[t]()
            results[t].append(m)
            print("round %d %-9s %8.0f IOPS  %5.2f us CPU/IO  %5.1f%% CPU%s" % (
                r + 1, t, m["iops"], m["cpu_us_per_io"], m["cpu_pct"],
                "  stop %.1f ms" % m["stop_ms"] if "stop_ms" in m else ""), flush=True)

    rated = {}
    for rate in cfg["rates"]:
        rated[rate] = {"faultline": [], "fio": []}
        for r in range(cfg["rate_rounds"]):
            for t in (("faultline", "fio") if r % 2 == 0 else ("fio", "faultline")):
                m = tools[t](rate)
                rated[rate][t].append(m["iops"] / rate)
                print("rate %d round %d %-9s %8.1f IOPS (%.4f of asked)" % (
                    rate, r + 1, t, m["iops"], m["iops"] / rate), flush=True)

    print()
    print("| tool | IOPS (median) | min | max | CPU µs per I/O (median) | CPU % (median) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for t in order:
        xs = [m["iops"] for m in results[t]]
        print("| %s | %.0f | %.0f | %.0f | %.2f | %.1f |" % (
            t, med(xs), min(xs), max(xs), med([m["cpu_us_per_io"] for m in results[t]]),
            med([m["cpu_pct"] for m in results[t]])))
    print()
    print("| ratio faultline / | IOPS | CPU per I/O |")
    print("| --- | --- | --- |")
    for t in order[1:]:
        ri = [a["iops"] / b["iops"] for a, b in zip(results["faultline"], results[t])]
        rc = [a["cpu_us_per_io"] / b["cpu_us_per_io"] for a, b in zip(results["faultline"], results[t])]
        print("| %s | %.2f (min %.2f, max %.2f) | %.2f (min %.2f, max %.2f) |" % (
            t, med(ri), min(ri), max(ri), med(rc), min(rc), max(rc)))
    stops = [m["stop_ms"] for m in results["faultline"]]
    print()
    print("faultline revert (stop the I/O, join the worker, answer): median %.1f ms, max %.1f ms"
          % (med(stops), max(stops)))
    if rated:
        print()
        print("| asked IOPS | faultline achieved / asked (median, min, max) | fio --rate_iops achieved / asked |")
        print("| --- | --- | --- |")
        for rate, d in rated.items():
            f, g = d["faultline"], d["fio"]
            print("| %d | %.4f (%.4f, %.4f) | %.4f (%.4f, %.4f) |" % (
                rate, med(f), min(f), max(f), med(g), min(g), max(g)))
    if cfg.get("results"):
        with open(cfg["results"], "w") as f:
            json.dump({"cfg": cfg, "results": results, "rated": rated}, f, indent=1)


if __name__ == "__main__":
    main()
