#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The daemon socket under hostile input. One session holds a pause; another sends
# garbage, oversized lines, half messages, wrong types and unknown ops. Each gets
# an error reply with an errno name, the daemon keeps serving, and the first
# session's fault stays in place (the process stays in state T). A peer that is
# neither root nor in the group is refused. The socket is mode 0660.
source "$(dirname "$0")/lib.sh"
require_root

start_target
target=$TARGET
sock="$TEST_TMP/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" 2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"

check "the socket is mode 0660" test "$(stat -c %a "$sock")" = 660
check "the socket is owned by root" test "$(stat -c %u "$sock")" = 0
# Least privilege once serving: kill, net_admin, sys_admin, sys_ptrace, dac_override
# permitted; all but sys_admin effective (only the setns thread raises it).
check "the daemon keeps only its five capabilities" \
	test "$(awk '/^CapPrm:/ {print $2}' "/proc/$daemon/status")" = 0000000000281022
check "and CAP_SYS_ADMIN is not effective" \
	test "$(awk '/^CapEff:/ {print $2}' "/proc/$daemon/status")" = 0000000000081022
check "and its bounding set is just as small" \
	test "$(awk '/^CapBnd:/ {print $2}' "/proc/$daemon/status")" = 0000000000281022
check "no_new_privs is set" test "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$daemon/status")" = 1
check "a seccomp filter is loaded (mode 2)" test "$(awk '/^Seccomp:/ {print $2}' "/proc/$daemon/status")" = 2
"$FAULTLINED_BIN" --print-seccomp >"$TEST_TMP/seccomp.txt"
check "--print-seccomp shows the allow-list" grep -q 'filter for syscall "pidfd_send_signal"' "$TEST_TMP/seccomp.txt"
check "socket() is allowed for AF_UNIX and AF_NETLINK only" \
	test "$(grep -A6 'syscall "socket"' "$TEST_TMP/seccomp.txt" | grep -cE 'a0(\.lo32)? == (1|16)\)')" = 2
check "execve is not on the list" bash -c "! grep -q 'syscall \"execve\"' '$TEST_TMP/seccomp.txt'"

cat >"$TEST_TMP/hostile.py" <<'PY'
import json, os, sys, time
sys.path.insert(0, os.environ["FLDIR"])
from flclient import Client, proc_state, wait_state

sock, target = sys.argv[1], int(sys.argv[2])
failures = []
def expect(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures.append(what)

holder = Client(sock)
expect(holder.hello(heartbeat_ms=60000)["ok"], "holder: hello")
r = holder.apply_pause(target, 120000)
expect(r["ok"], "holder: pause applied")
expect(wait_state(target, "T"), "target is stopped")

bad = Client(sock)
def error_of(raw):
    bad.send_raw(raw)
    m = bad.read_reply()
    return m.get("ok"), m.get("error", {}).get("errno"), m.get("id", "missing")

ok, err, rid = error_of(b"{\"id\":1,\"op\":\"status\"}\n")
expect(ok is False and err == "EPROTO", "status before hello is refused with EPROTO (%s)" % err)
ok, err, rid = error_of(b"garbage\n")
expect(ok is False and err == "EBADMSG" and rid is None, "garbage gets EBADMSG with id null")
ok, err, rid = error_of(b"\x00\xff\xfe binary \x01\n")
expect(ok is False and err == "EBADMSG", "binary garbage gets EBADMSG")
ok, err, rid = error_of(b"[1,2,3]\n")
expect(ok is False and err == "EBADMSG", "a JSON array gets EBADMSG")
ok, err, rid = error_of(b"{\"id\":\"seven\",\"op\":\"hello\"}\n")
expect(ok is False and err == "EBADMSG", "a string id gets EBADMSG")
ok, err, rid = error_of(b"{\"id\":5,\"op\":\"hello\",\"id\":6}\n")
expect(ok is False and err == "EBADMSG", "duplicate keys get EBADMSG")
ok, err, rid = error_of(b"{\"id\":2,\"op\":" + b"\n")
expect(ok is False and err == "EBADMSG", "a half message then newline gets EBADMSG")
big = b"{\"id\":3,\"op\":\"hello\",\"pad\":\"" + b"x" * 200000 + b"\"}\n"
ok, err, rid = error_of(big)
expect(ok is False and err == "EMSGSIZE", "a 200 KB line gets EMSGSIZE (%s)" % err)
expect(bad.hello()["ok"], "hello still works on the same connection after garbage")
ok, err, rid = error_of(b"{\"id\":7,\"op\":\"frobnicate\"}\n")
expect(ok is False and err == "EOPNOTSUPP" and rid == 7, "an unknown op gets EOPNOTSUPP with its id")
ok, err, rid = error_of(b"{\"id\":8,\"op\":\"apply\",\"fault\":{\"kind\":\"process.pause\",\"duration_ms\":\"10s\",\"params\":{}}}\n")
expect(ok is False and err == "EINVAL", "a string duration gets EINVAL")
ok, err, rid = error_of(b"{\"id\":9,\"op\":\"apply\",\"fault\":{\"kind\":\"process.pause\",\"duration_ms\":1000,\"params\":{\"target\":{\"pid\":1}}}}\n")
expect(ok is False and err == "EPERM", "pid 1 is refused with EPERM")
ok, err, rid = error_of(b"{\"id\":11,\"op\":\"apply\",\"fault\":{\"kind\":\"network\",\"duration_ms\":1000,\"params\":{}}}\n")
expect(ok is False and err == "EINVAL", "an unknown kind gets EINVAL")
ok, err, rid = error_of(b"{\"id\":12,\"op\":\"revert\",\"fault\":\"f1-1\"}\n")
expect(ok is False and err == "ENOENT", "reverting an unknown fault gets ENOENT")
fault_id = r["result"]["fault"]
# a half message left hanging when the connection closes
bad.send_raw(b"{\"id\":13,\"op\":\"rev")
bad.sock.close()
time.sleep(0.3)

expect(proc_state(target) == "T", "after all that the target is still stopped")
third = Client(sock)
third.hello()
st = third.call("status")["result"]
expect([f["fault"] for f in st["faults"]] == [fault_id], "status still lists the holder's fault")
third.sock.close()

holder.sock.close()
deadline = time.time() + 3
while time.time() < deadline and proc_state(target) == "T":
    time.sleep(0.05)
expect(proc_state(target) not in ("T", "gone"), "closing the holder's session resumes the target")
sys.exit(1 if failures else 0)
PY
if FLDIR="$FAULTLINE_SOURCE_DIR/tests/integration" "$PYTHON" "$TEST_TMP/hostile.py" "$sock" "$target"; then
	pass "hostile input: every check above"
else
	fail "hostile input: see the not ok lines above"
fi
check "the daemon is still running" kill -0 "$daemon"

# A peer that is neither root nor in the group: refused after SO_PEERCRED. The
# socket's mode already keeps it out, so open it up for this check only.
chmod 0777 "$TEST_TMP" "$STATE_DIR" 2>/dev/null || true
chmod 0666 "$sock"
cat >"$TEST_TMP/nobody.py" <<'PY'
import os, sys
os.setgid(65534); os.setuid(65534)
sys.path.insert(0, os.environ["FLDIR"])
from flclient import Client
c = Client(sys.argv[1])
try:
    m = c.read_reply(2.0)
    print("refused with", m.get("error", {}).get("errno"))
    sys.exit(0 if m.get("error", {}).get("errno") == "EACCES" else 1)
except EOFError:
    sys.exit(1)
PY
# The checkout may not be readable by nobody: give it a copy of the client.
cp "$FAULTLINE_SOURCE_DIR/tests/integration/flclient.py" "$TEST_TMP/"
chmod 0644 "$TEST_TMP/flclient.py" "$TEST_TMP/nobody.py"
check "a peer that is not root and not in the group gets EACCES" \
	env FLDIR="$TEST_TMP" "$PYTHON" "$TEST_TMP/nobody.py" "$sock"
chmod 0700 "$TEST_TMP"
check "the daemon is still running after the refusal" kill -0 "$daemon"

kill -TERM "$daemon"
check "the daemon exits on SIGTERM" wait_gone "$daemon" 5
check "the journal holds nothing" journal_empty
finish
