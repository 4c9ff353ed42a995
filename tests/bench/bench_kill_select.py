#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Driver and process spawner for bench_kill_select.sh. Run it through that script.

Two modes:

  spawner CGROUP_PROCS SLEEP_LINK
      Joins the cgroup, then spawns sleeping processes on request and reaps them
      as they die, noting the CLOCK_MONOTONIC time of each reap. Commands on
      stdin, one JSON reply per line on stdout:
        spawn PREFIX FIRST COUNT  -> {"pids": [...]}   argv[0] = PREFIX<n>
        wait TIMEOUT_MS PID...    -> {"reaped": [[pid, t_ns], ...], "timed_out": b}
                                     blocks until every PID is reaped (bounded),
                                     then returns, and forgets, every reap since
                                     the last wait
        quit (or end of input)    -> kills and reaps every child, exits
      Being the parent, it knows exactly which processes died: that is how the
      driver checks that the victims, and only they, were killed.

  driver OPTIONS
      Spawns the decoys once, then per round respawns the victims and times
      faultlined (apply -> reply, over --stdio) and pkill -f (spawn -> exit) for
      the same regex, each followed by "all victims reaped". Prints a report and
      writes JSON. Any wrong kill is fatal (exit 1).

Every wait is bounded.
"""
import argparse
import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import threading
import time


def now_ns():
    # The driver's start times and the spawner's reap times are compared: both
    # come from this clock.
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


# --------------------------------------------------------------------------
# spawner


def spawner_main(cgroup_procs, sleep_link):
    # Join the benchmark's cgroup before the first child exists, so that every
    # child is in it and the shell script can kill whatever is left.
    with open(cgroup_procs, "w") as f:
        f.write(str(os.getpid()))
    lock = threading.Condition()
    live = set()
    reaped = []  # (pid, t_ns) since the last wait
    reaped_set = set()

    def reaper():
        while True:
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                time.sleep(0.001)
                continue
            except InterruptedError:
                continue
            t = now_ns()
            with lock:
                live.discard(pid)
                reaped.append((pid, t))
                reaped_set.add(pid)
                lock.notify_all()

    threading.Thread(target=reaper, daemon=True).start()
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    out = sys.stdout

    def quit_all():
        with lock:
            pids = list(live)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        with lock:
            while live and time.monotonic() < deadline:
                lock.wait(0.1)
        os._exit(0 if not live else 1)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "spawn":
            prefix, first, count = words[1], int(words[2]), int(words[3])
            pids = []
            for n in range(first, first + count):
                # The driver waits for the new cmdline (see wait_cmdline).
                pid = os.posix_spawn(sleep_link, [prefix + str(n), "infinity"], env)
                with lock:
                    live.add(pid)
                pids.append(pid)
            out.write(json.dumps({"pids": pids}) + "\n")
        elif words[0] == "wait":
            timeout = int(words[1]) / 1000.0
            want = set(int(w) for w in words[2:])
            deadline = time.monotonic() + timeout
            with lock:
                while not want <= reaped_set and time.monotonic() < deadline:
                    lock.wait(max(0.0, min(0.05, deadline - time.monotonic())))
                timed_out = not want <= reaped_set
                got = list(reaped)
                reaped.clear()
                reaped_set.clear()
            out.write(json.dumps({"reaped": got, "timed_out": timed_out}) + "\n")
        elif words[0] == "quit":
            quit_all()
        else:
            out.write(json.dumps({"error": "unknown command " + words[0]}) + "\n")
        out.flush()
    quit_all()


# --------------------------------------------------------------------------
# driver


class Fatal(Exception):
    pass


class LineChannel:
    """Lines over a pair of pipes, every read bounded in time."""

    def __init__(self, proc, what):
        self.proc = proc
        self.what = what
        self.rfd = proc.stdout.fileno()
        self.wfd = proc.stdin.fileno()
        self.buf = b""

    def send(self, text):
        data = (text + "\n").encode()
        while data:
            n = os.write(self.wfd, data)
            data = data[n:]

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fatal("%s: no answer within %.0f s" % (self.what, timeout))
            r, _, _ = select.select([self.rfd], [], [], left)
            if not r:
                continue
            chunk = os.read(self.rfd, 1 << 16)
            if not chunk:
                raise Fatal("%s closed its output (exit status %s)" % (self.what, self.proc.poll()))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


class Injector:
    """A faultlined --stdio session: one request at a time, events set aside."""

    def __init__(self, path, log):
        self.proc = subprocess.Popen([path, "--stdio", "--log-level", "warning"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log)
        self.ch = LineChannel(self.proc, "faultlined")
        self.next_id = 1

    def send(self, op, **fields):
        req = {"id": self.next_id, "op": op}
        self.next_id += 1
        req.update(fields)
        self.ch.send(json.dumps(req, separators=(",", ":")))
        return req["id"]

    def reply(self, want_id, timeout=30.0):
        while True:
            msg = self.ch.recv(timeout)
            if "event" in msg:
                continue
            if msg.get("id") != want_id:
                raise Fatal("faultlined answered id %r, expected %r: %r" % (msg.get("id"), want_id, msg))
            return msg

    def call(self, op, **fields):
        return self.reply(self.send(op, **fields))

    def cpu_ns(self):
        """CPU time the injector has used so far, user and kernel, in ns."""
        with open("/proc/%d/schedstat" % self.proc.pid) as f:
            return int(f.read().split()[0])

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)


def count_proc():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def read_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return None


def wait_cmdline(pid, want, timeout=5.0):
    """Waits until argv[0] of pid reads want; returns what it last read.

    posix_spawn returns once the child has replaced its memory, but the kernel
    writes the new argument strings a moment later: until then the cmdline reads
    empty, and neither tool could match the process."""
    deadline = time.monotonic() + timeout
    while True:
        got = read_cmdline(pid)
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.001)


def spawn_and_wait(argv, timeout=30.0):
    """Runs argv with its stdout on /dev/null (no other fd but 0 and 2 is
    inherited: the driver's are all close-on-exec); returns (exit code, wall ns,
    CPU ns in user and kernel mode)."""
    devnull = [(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)]
    t0 = now_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=devnull)
    pfd = os.pidfd_open(pid)
    try:
        p = select.poll()
        p.register(pfd, select.POLLIN)
        if not p.poll(timeout * 1000):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise Fatal("%s did not finish within %.0f s" % (argv[0], timeout))
        _, status, ru = os.wait4(pid, 0)
        t1 = now_ns()
    finally:
        os.close(pfd)
    cpu_ns = int((ru.ru_utime + ru.ru_stime) * 1e9)
    return os.waitstatus_to_exitcode(status), t1 - t0, cpu_ns


def median(xs):
    return statistics.median(xs)


def fmt_ms(ns):
    return "%.2f" % (ns / 1e6)


class Bench:
    def __init__(self, a):
        self.a = a
        self.tag = a.tag
        self.regex = "flbench-%s-victim-[0-9]+" % self.tag
        self.victim_prefix = "flbench-%s-victim-" % self.tag
        self.decoy_prefix = "flbench-%s-victim-d" % self.tag
        self.serial = 0
        self.spawner = None
        self.injector = None
        self.decoys = set()

    # -- processes ----------------------------------------------------------

    def start_spawner(self):
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "spawner",
                                 self.a.cgroup_procs, self.a.sleep_link],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.spawner = LineChannel(proc, "spawner")

    def spawn(self, prefix, count):
        pids = []
        while count > 0:
            n = min(count, 500)
            self.spawner.send("spawn %s %d %d" % (prefix, self.serial, n))
            pids += self.spawner.recv(120)["pids"]
            self.serial += n
            count -= n
        return pids

    def wait_reaped(self, pids, timeout_ms):
        self.spawner.send("wait %d %s" % (timeout_ms, " ".join(str(p) for p in pids)))
        return self.spawner.recv(timeout_ms / 1000.0 + 30)

    def check_nothing_died(self, when):
        r = self.wait_reaped([], 0)
        if r["reaped"]:
            dead = sorted(p for p, _ in r["reaped"])
            raise Fatal("%s: %d of the benchmark's processes died unexpectedly "
                        "(decoys among them: %d): %s" %
                        (when, len(dead), len(self.decoys.intersection(dead)), dead[:20]))

    def spawn_victims(self):
        self.check_nothing_died("before spawning victims")
        first = self.serial
        victims = self.spawn(self.victim_prefix, self.a.victims)
        for i, pid in enumerate(victims):
            want = self.victim_prefix + str(first + i)
            got = wait_cmdline(pid, want)
            if got != want:
                raise Fatal("victim %d has argv[0] %r, expected %r" % (pid, got, want))
        return victims

    def kill_check(self, tool, victims, t0):
        """Waits until every victim is reaped; checks that nothing else of ours
        died. Returns the ns from t0 to the last reap."""
        r = self.wait_reaped(victims, 10000)
        dead = {p: t for p, t in r["reaped"]}
        missing = set(victims) - set(dead)
        extra = set(dead) - set(victims)
        if missing or extra or r["timed_out"]:
            raise Fatal("%s: %d of %d victims died within 10 s; %d other processes of the "
                        "benchmark died (decoys: %d)" %
                        (tool, len(victims) - len(missing), len(victims), len(extra),
                         len(extra & self.decoys)))
        for p in victims:
            # A reaped pid may already name a new process, but not one of ours.
            if (read_cmdline(p) or "").startswith(self.victim_prefix):
                raise Fatal("%s: victim %d is reaped but still in /proc" % (tool, p))
        return max(dead.values()) - t0

    # -- the two tools --------------------------------------------------------

    def round_faultline(self):
        victims = self.spawn_victims()
        self.injector.call("heartbeat")
        nproc = count_proc()
        time.sleep(self.a.settle)
        fault = {"name": "bench-kill", "kind": "process.kill", "duration_ms": 0,
                 "params": {"target": {"cmdline": self.regex, "max": len(victims)},
                            "signal": "KILL"}}
        line = json.dumps({"id": self.injector.next_id, "op": "apply", "fault": fault},
                          separators=(",", ":"))
        want = self.injector.next_id
        self.injector.next_id += 1
        cpu0 = self.injector.cpu_ns()
        t0 = now_ns()
        self.injector.ch.send(line)
        reply = self.injector.reply(want)
        t1 = now_ns()
        cpu1 = self.injector.cpu_ns()
        if not reply.get("ok"):
            raise Fatal("faultlined refused the kill: %r" % reply)
        if reply["result"].get("targets") != len(victims):
            raise Fatal("faultlined selected %r processes, expected %d: %r" %
                        (reply["result"].get("targets"), len(victims), reply))
        gone = self.kill_check("faultline", victims, t0)
        return {"run_ns": t1 - t0, "gone_ns": gone, "cpu_ns": cpu1 - cpu0, "procs": nproc}

    def round_pkill(self):
        victims = self.spawn_victims()
        nproc = count_proc()
        time.sleep(self.a.settle)
        t0 = now_ns()
        rc, run_ns, cpu_ns = spawn_and_wait([self.a.pkill, "-KILL", "-f", self.regex])
        if rc != 0:
            raise Fatal("pkill exited %d" % rc)
        gone = self.kill_check("pkill", victims, t0)
        return {"run_ns": run_ns, "gone_ns": gone, "cpu_ns": cpu_ns, "procs": nproc}

    def pkill_startup(self):
        rc, ns, cpu = spawn_and_wait([self.a.pkill, "-V"])
        if rc != 0:
            raise Fatal("pkill -V exited %d" % rc)
        return ns, cpu

    def scenario_check(self):
        """The same kill written as a scenario and run by `faultline run`, which
        spawns its own faultlined --stdio. Not timed for the comparison: the kill
        is watched for its default 5 s window."""
        path = os.path.join(self.a.workdir, "kill-select.yaml")
        with open(path, "w") as f:
            f.write("version: 1\nname: bench-kill-select\nfaults:\n"
                    "  - name: kill-victims\n    type: process.kill\n"
                    "    target: {cmdline: '%s', max: %d}\n    signal: KILL\n"
                    % (self.regex, self.a.victims))
        r = subprocess.run([self.a.faultline, "validate", path], capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise Fatal("faultline validate failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
        victims = self.spawn_victims()
        t0 = now_ns()
        try:
            r = subprocess.run([self.a.faultline, "run", path], capture_output=True, text=True,
                               timeout=60)
        except subprocess.TimeoutExpired:
            raise Fatal("faultline run did not finish within 60 s")
        wall = now_ns() - t0
        if r.returncode != 0:
            tail = "\n".join((r.stdout + r.stderr).splitlines()[-8:])
            raise Fatal("faultline run exited %d; its last lines:\n%s" % (r.returncode, tail))
        gone = self.kill_check("faultline run", victims, t0)
        with open(os.path.join(self.a.workdir, "scenario-run.out"), "w") as f:
            f.write(r.stdout + r.stderr)
        return {"path": path, "wall_ns": wall, "gone_ns": gone,
                "output_lines": len((r.stdout + r.stderr).splitlines())}

    # -- the run --------------------------------------------------------------

    def run(self):
        a = self.a
        self.start_spawner()
        t = time.monotonic()
        n_decoys = a.procs - a.victims
        decoys = self.spawn(self.decoy_prefix, n_decoys)
        self.decoys = set(decoys)
        spawn_s = time.monotonic() - t
        first = self.serial - n_decoys
        bad = [p for i, p in enumerate(decoys)
               if wait_cmdline(p, self.decoy_prefix + str(first + i)) !=
               self.decoy_prefix + str(first + i)]
        if bad:
            raise Fatal("decoys with an unexpected cmdline: %r" % bad)
        print("spawned %d decoys in %.1f s; %d processes in /proc" %
              (n_decoys, spawn_s, count_proc()), flush=True)

        scenario = None
        if a.scenario_check:
            scenario = self.scenario_check()
            print("scenario check: `faultline run` killed all %d victims and no decoy "
                  "(run %.0f ms including the 5 s watch window; last victim reaped after %.1f ms)"
                  % (a.victims, scenario["wall_ns"] / 1e6, scenario["gone_ns"] / 1e6), flush=True)

        with open(os.path.join(a.workdir, "faultlined.log"), "wb") as log:
            self.injector = Injector(a.faultlined, log)
            hello = self.injector.call("hello", versions=[1], client="bench_kill_select",
                                       heartbeat_ms=60000)
            if not hello.get("ok"):
                raise Fatal("hello refused: %r" % hello)
            rounds = []
            for r in range(a.rounds + 1):  # round 0 warms the caches and is dropped
                order = ["faultline", "pkill"] if r % 2 == 0 else ["pkill", "faultline"]
                res = {"round": r, "order": order}
                for tool in order:
                    res[tool] = self.round_faultline() if tool == "faultline" else self.round_pkill()
                res["pkill_startup_ns"], res["pkill_startup_cpu_ns"] = self.pkill_startup()
                self.check_nothing_died("after round %d" % r)
                label = "warm-up" if r == 0 else "round %d" % r
                fl, pk = res["faultline"], res["pkill"]
                print("%-8s faultline: apply %s, reaped %s, cpu %s | pkill: run %s, reaped %s, "
                      "cpu %s | ms, %d procs" %
                      (label, fmt_ms(fl["run_ns"]), fmt_ms(fl["gone_ns"]), fmt_ms(fl["cpu_ns"]),
                       fmt_ms(pk["run_ns"]), fmt_ms(pk["gone_ns"]), fmt_ms(pk["cpu_ns"]),
                       fl["procs"]), flush=True)
                if r > 0:
                    rounds.append(res)
            self.injector.close()
        self.check_nothing_died("at the end")
        alive = sum(1 for p in decoys if os.path.exists("/proc/%d" % p))
        if alive != n_decoys:
            raise Fatal("%d of %d decoys are alive at the end" % (alive, n_decoys))
        self.spawner.send("quit")
        self.spawner.proc.wait(timeout=30)
        return self.report(rounds, scenario)

    def report(self, rounds, scenario):
        a = self.a

        def stats(tool, key):
            xs = [r[tool][key] for r in rounds]
            return {"median": median(xs), "min": min(xs), "max": max(xs)}

        s = {t: {k: stats(t, k) for k in ("run_ns", "gone_ns", "cpu_ns")}
             for t in ("faultline", "pkill")}
        startup = [r["pkill_startup_ns"] for r in rounds]
        startup_cpu = [r["pkill_startup_cpu_ns"] for r in rounds]
        procs = [r[t]["procs"] for r in rounds for t in ("faultline", "pkill")]
        ratio_run = s["faultline"]["run_ns"]["median"] / s["pkill"]["run_ns"]["median"]
        ratio_gone = s["faultline"]["gone_ns"]["median"] / s["pkill"]["gone_ns"]["median"]
        ratio_cpu = s["faultline"]["cpu_ns"]["median"] / s["pkill"]["cpu_ns"]["median"]
        # Per-round ratios: the two tools ran back to back in every round, so the
        # spread of these says more than comparing the two medians alone.
        rr_run = [r["faultline"]["run_ns"] / r["pkill"]["run_ns"] for r in rounds]
        rr_gone = [r["faultline"]["gone_ns"] / r["pkill"]["gone_ns"] for r in rounds]
        machine = {
            "nproc": os.cpu_count(),
            "kernel": platform.release(),
            "procs_in_proc_median": median(procs),
            "procs_in_proc_min": min(procs),
            "procs_in_proc_max": max(procs),
            "pkill": a.pkill_version,
            "faultlined": a.faultlined_version,
        }
        out = {"regex": self.regex, "procs": a.procs, "victims": a.victims, "rounds": a.rounds,
               "machine": machine, "stats": s, "pkill_startup_ns": {
                   "median": median(startup), "min": min(startup), "max": max(startup)},
               "pkill_startup_cpu_ns": {"median": median(startup_cpu), "min": min(startup_cpu),
                                        "max": max(startup_cpu)},
               "ratio_run": ratio_run, "ratio_gone": ratio_gone, "ratio_cpu": ratio_cpu,
               "round_ratio_run": {"median": median(rr_run), "min": min(rr_run), "max": max(rr_run)},
               "round_ratio_gone": {"median": median(rr_gone), "min": min(rr_gone), "max": max(rr_gone)},
               "rounds_raw": rounds, "scenario": scenario}
        with open(a.results, "w") as f:
            json.dump(out, f, indent=1)

        def row(name, tool, key):
            st = s[tool][key]
            return "| %s | %s | %s | %s |" % (name, fmt_ms(st["median"]), fmt_ms(st["min"]),
                                             fmt_ms(st["max"]))

        print()
        print("Kill selected by cmdline regex: %d victims among %d spawned processes "
              "(%d rounds after a warm-up, interleaved)" % (a.victims, a.procs, a.rounds))
        print("machine: %d CPUs, kernel %s; processes in /proc during the kills: median %d "
              "(%d to %d)" % (machine["nproc"], machine["kernel"], machine["procs_in_proc_median"],
                              machine["procs_in_proc_min"], machine["procs_in_proc_max"]))
        print("%s; %s" % (a.faultlined_version, a.pkill_version))
        print("regex: %s" % self.regex)
        print()
        print("| measure (ms) | median | min | max |")
        print("| --- | ---: | ---: | ---: |")
        print(row("faultlined: `apply` sent → reply received", "faultline", "run_ns"))
        print(row("`pkill -KILL -f`: spawned → exited", "pkill", "run_ns"))
        print(row("faultlined: `apply` sent → last victim reaped", "faultline", "gone_ns"))
        print(row("`pkill -KILL -f`: spawned → last victim reaped", "pkill", "gone_ns"))
        print(row("faultlined: CPU time of the `apply` (user + kernel)", "faultline", "cpu_ns"))
        print(row("`pkill -KILL -f`: CPU time (user + kernel, start-up included)", "pkill",
                  "cpu_ns"))
        print("| `pkill -V`: spawned → exited (its start-up cost alone) | %s | %s | %s |" %
              (fmt_ms(median(startup)), fmt_ms(min(startup)), fmt_ms(max(startup))))
        print("| `pkill -V`: CPU time | %s | %s | %s |" %
              (fmt_ms(median(startup_cpu)), fmt_ms(min(startup_cpu)), fmt_ms(max(startup_cpu))))
        print()
        print("| ratio faultline / pkill | of the medians | per round: median (min to max) |")
        print("| --- | ---: | ---: |")
        print("| run time | %.2f | %.2f (%.2f to %.2f) |" % (ratio_run, median(rr_run), min(rr_run),
                                                          max(rr_run)))
        print("| until every victim is reaped | %.2f | %.2f (%.2f to %.2f) |" %
              (ratio_gone, median(rr_gone), min(rr_gone), max(rr_gone)))
        print("| CPU time | %.2f | |" % ratio_cpu)
        print()
        print("results: %s" % a.results)
        return 0


def driver_main(argv):
    p = argparse.ArgumentParser(prog="bench_kill_select.py driver")
    p.add_argument("--faultlined", required=True)
    p.add_argument("--faultline", required=True)
    p.add_argument("--no-scenario-check", dest="scenario_check", action="store_false")
    p.add_argument("--pkill", default="/usr/bin/pkill")
    p.add_argument("--sleep-link", required=True)
    p.add_argument("--cgroup-procs", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--procs", type=int, default=5000)
    p.add_argument("--victims", type=int, default=100)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--settle", type=float, default=0.3)
    a = p.parse_args(argv)
    if not 0 < a.victims < a.procs or a.rounds < 1:
        p.error("need 0 < victims < procs and at least one round")
    a.pkill_version = subprocess.run([a.pkill, "-V"], capture_output=True, text=True,
                                     timeout=10).stdout.strip()
    a.faultlined_version = subprocess.run([a.faultlined, "--version"], capture_output=True,
                                          text=True, timeout=10).stdout.strip()
    bench = Bench(a)
    try:
        return bench.run()
    except Fatal as e:
        print("FAIL: %s" % e, file=sys.stderr, flush=True)
        return 1
    finally:
        if bench.injector and bench.injector.proc.poll() is None:
            bench.injector.proc.kill()
            bench.injector.proc.wait(timeout=10)
        if bench.spawner and bench.spawner.proc.poll() is None:
            try:
                bench.spawner.send("quit")
                bench.spawner.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                bench.spawner.proc.kill()


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "spawner" and len(sys.argv) == 4:
        spawner_main(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) >= 2 and sys.argv[1] == "driver":
        return driver_main(sys.argv[2:])
    sys.exit("usage: bench_kill_select.py spawner CGROUP_PROCS SLEEP_LINK | driver OPTIONS")


if __name__ == "__main__":
    sys.exit(main())
