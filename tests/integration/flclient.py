#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A minimal protocol v1 client for the integration tests.

It speaks raw lines so that tests can send garbage as easily as valid requests.
Every wait is bounded in time.
"""
import json
import os
import socket
import sys
import time


class Client:
    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.next_id = 1

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_message(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message within %.1fs" % timeout)
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the injector closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def read_reply(self, timeout=5.0):
        """The next reply; events seen meanwhile are kept in self.events."""
        while True:
            msg = self.read_message(timeout)
            if "event" in msg:
                self.events.append(msg)
                continue
            return msg

    def wait_event(self, name, timeout=5.0):
        for e in self.events:
            if e["event"] == name:
                self.events.remove(e)
                return e
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.read_message(deadline - time.monotonic())
            if msg.get("event") == name:
                return msg
            if "event" in msg:
                self.events.append(msg)
        raise TimeoutError("no %s event" % name)

    def call(self, op, **fields):
        req = {"id": self.next_id, "op": op}
        self.next_id += 1
        req.update(fields)
        self.send_raw((json.dumps(req) + "\n").encode())
        reply = self.read_reply()
        if reply.get("id") != req["id"]:
            raise AssertionError("reply id %r for request %r" % (reply.get("id"), req["id"]))
        return reply

    def hello(self, heartbeat_ms=1000):
        return self.call("hello", versions=[1], client="flclient", heartbeat_ms=heartbeat_ms)

    def apply_pause(self, pid, duration_ms, name="pause"):
        return self.call("apply", fault={"name": name, "kind": "process.pause",
                                          "duration_ms": duration_ms,
                                          "params": {"target": {"pid": pid}}})


def wait_for_socket(path, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            try:
                Client(path, 1.0).sock.close()
                return
            except OSError:
                pass
        time.sleep(0.05)
    raise TimeoutError("no injector listening on " + path)


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def wait_state(pid, want, timeout=2.0):
    """Polls /proc until the state is want; returns whether it got there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc_state(pid) == want:
            return True
        time.sleep(0.01)
    return proc_state(pid) == want


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "wait-socket":
        wait_for_socket(sys.argv[2])
    else:
        sys.exit("usage: flclient.py wait-socket PATH")
