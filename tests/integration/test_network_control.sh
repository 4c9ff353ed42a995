#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Never cut our own control path (injector/net_control.h): a faultlined --stdio
# whose stdin and stdout are a TCP connection refuses a network fault in its own
# namespace that could cut that connection, and accepts one that keeps the peer
# out. In a throwaway namespace (the injector's own, with lo only), through the
# plan op, which validates exactly as apply does and changes nothing.
source "$(dirname "$0")/lib.sh"
require_root
command -v ip >/dev/null || { echo "SKIP: iproute2 is missing"; exit 77; }

ns="flctl-$$"
cleanup_netns() {
	ip netns del "$ns" 2>/dev/null || true
	cleanup
}
trap 'set +e; cleanup_netns' EXIT
ip netns add "$ns" || { echo "SKIP: cannot create network namespaces"; exit 77; }
ip -n "$ns" link set lo up
mkdir -p "$STATE_DIR"

out=$(ip netns exec "$ns" timeout 30 "$PYTHON" - "$FAULTLINED_BIN" "$STATE_DIR" <<'PY'
import json, socket, subprocess, sys, time
lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lst.bind(("127.0.0.1", 0))
lst.listen(1)
cli = socket.create_connection(lst.getsockname(), timeout=5)
srv, _ = lst.accept()
inj = subprocess.Popen([sys.argv[1], "--stdio", "--state-dir", sys.argv[2]],
                       stdin=srv, stdout=srv, close_fds=True)
srv.close()
buf = b""
def call(req):
    global buf
    cli.sendall((json.dumps(req) + "\n").encode())
    deadline = time.monotonic() + 10
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            if msg.get("id") == req["id"]:
                return msg
        if time.monotonic() > deadline:
            raise TimeoutError("no reply")
        chunk = cli.recv(65536)
        if not chunk:
            raise EOFError("injector closed")
        buf += chunk
call({"id": 1, "op": "hello", "versions": [1], "client": "test", "heartbeat_ms": 1000})
base = {"interface": "lo", "netem": {"delay_ns": 10000000}}
for i, extra in enumerate([{}, {"filter": {"dport": [80]}},
                           {"filter": {"exclude": {"dst": ["127.0.0.1/32"]}}},
                           {"filter": {"dst": ["10.0.0.0/8"]}}]):
    params = dict(base, **extra)
    r = call({"id": 2 + i, "op": "plan",
              "fault": {"name": "f%d" % i, "kind": "network", "duration_ms": 1000,
                        "params": params}})
    print("case%d %s" % (i, json.dumps(r)))
cli.close()
inj.wait(timeout=10)
PY
) || true
echo "$out"
check "unfiltered on lo: refused, naming the TCP peer" \
	grep -q '^case0 .*control connection is tcp stdin from 127.0.0.1' <<<"$out"
check "a port filter still matches the peer: refused" \
	grep -q '^case1 .*control connection is tcp stdin from 127.0.0.1' <<<"$out"
check "exclude dst 127.0.0.1/32: accepted (the plan names lo)" \
	grep -qE '^case2 .*"ifname": "lo"' <<<"$out"
check "dst 10.0.0.0/8, which the peer is outside: accepted" \
	grep -qE '^case3 .*"ifname": "lo"' <<<"$out"
check "nothing of ours on lo" test -z "$(ip -n "$ns" link show lo | grep fa17 || true; tc -n "$ns" qdisc show dev lo 2>/dev/null | grep fa17 || true)"
finish
