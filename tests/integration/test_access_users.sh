#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Control access with real users (docs/security.md, "Who may ask"). The test
# creates a group and three users of its own: two members and one outsider. The
# outsider is refused at connect and the refusal is logged; a member applies and
# reverts its own pause; another member can neither revert it one by one nor with
# revert_all (which reverts only the caller's own); root can. The journal and the
# audit log record each session's uid. Users and group are removed afterwards.
source "$(dirname "$0")/lib.sh"
require_root
for tool in useradd groupadd userdel groupdel; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done

suffix=$$
group="flgrp$suffix"
member_a="flmema$suffix"
member_b="flmemb$suffix"
outsider="flout$suffix"

cleanup_users() {
	local u
	for u in "$member_a" "$member_b" "$outsider"; do
		userdel "$u" 2>/dev/null
	done
	groupdel "$group" 2>/dev/null
	cleanup
}
trap 'set +e; cleanup_users' EXIT

groupadd --system "$group"
useradd --system --no-create-home --shell /usr/sbin/nologin -G "$group" "$member_a"
useradd --system --no-create-home --shell /usr/sbin/nologin -G "$group" "$member_b"
useradd --system --no-create-home --shell /usr/sbin/nologin "$outsider"

start_target
target=$TARGET
# The members must reach the socket: the state directory is 0710 root:group when
# the socket lives in it (as in production), and the test's temp dir above it is
# opened for traversal only.
chmod 0711 "$TEST_TMP"
mkdir -m 0700 "$STATE_DIR"
sock="$STATE_DIR/faultlined.sock"
"$FAULTLINED_BIN" --socket "$sock" --state-dir "$STATE_DIR" --group "$group" \
	2>"$TEST_TMP/daemon.log" &
daemon=$!
track_pid "$daemon"
$FLCLIENT wait-socket "$sock"
check "the socket is 0660 root:$group" \
	test "$(stat -c '%a %U %G' "$sock")" = "660 root $group"
check "the state directory is 0710 root:$group" \
	test "$(stat -c '%a %U %G' "$STATE_DIR")" = "710 root $group"

cp "$FAULTLINE_SOURCE_DIR/tests/integration/flclient.py" "$TEST_TMP/"
cat >"$TEST_TMP/users.py" <<'PY'
import json, os, pwd, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flclient import Client, proc_state, wait_state

sock, target, who = sys.argv[1], int(sys.argv[2]), sys.argv[3]
failures = []
def expect(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures.append(what)

def as_user(name):
    """A child process that runs fn as the user name, with its groups, and
    talks to the parent over a socketpair: it returns a Client-like proxy."""
    pw = pwd.getpwnam(name)
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        parent.close()
        os.initgroups(name, pw.pw_gid)
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
        f = child.makefile("rw")
        try:
            c = Client(sock)
            f.write(json.dumps({"connected": True}) + "\n"); f.flush()
            for line in f:
                op, fields = json.loads(line)
                f.write(json.dumps(c.call(op, **fields)) + "\n"); f.flush()
        except Exception as e:
            f.write(json.dumps({"connected": False, "error": repr(e)}) + "\n"); f.flush()
        os._exit(0)
    child.close()
    f = parent.makefile("rw")
    first = json.loads(f.readline())
    class Proxy:
        connected = first.get("connected")
        def call(self, op, **fields):
            f.write(json.dumps([op, fields]) + "\n"); f.flush()
            return json.loads(f.readline())
    return Proxy()

if who == "outsider":
    pw = pwd.getpwnam(sys.argv[4])
    os.setgid(pw.pw_gid); os.setuid(pw.pw_uid)
    try:
        c = Client(sock)
        m = c.read_reply(2.0)
        errno = m.get("error", {}).get("errno")
    except PermissionError:
        errno = "EACCES(socket mode)"
    except EOFError:
        errno = "closed without a reply"
    print("   outsider:", errno)
    sys.exit(0 if errno and errno.startswith("EACCES") else 1)

a, b = as_user(sys.argv[4]), as_user(sys.argv[5])
expect(a.connected and b.connected, "both members connect")
expect(a.call("hello", versions=[1], client="a", heartbeat_ms=60000)["ok"], "member a: hello")
expect(b.call("hello", versions=[1], client="b", heartbeat_ms=60000)["ok"], "member b: hello")
r = a.call("apply", fault={"name": "p", "kind": "process.pause", "duration_ms": 60000,
                           "params": {"target": {"pid": target}}})
expect(r.get("ok") is True, "member a pauses the target")
fid = r.get("result", {}).get("fault", "")
expect(wait_state(target, "T"), "the target is in state T")
uid_a = pwd.getpwnam(sys.argv[4]).pw_uid
records = []
for name in os.listdir(sys.argv[6]):
    if name.startswith("journal.") and name.endswith(".jsonl"):
        with open(os.path.join(sys.argv[6], name)) as j:
            records += [json.loads(l) for l in j if l.strip()]
expect(any(rec.get("uid") == uid_a and rec.get("fault") == fid for rec in records),
       "the journal records the fault with member a's uid %d" % uid_a)
r = b.call("revert", fault=fid)
expect(r.get("ok") is False and r["error"]["errno"] == "EPERM",
       "member b cannot revert a's fault (%s)" % r.get("error", {}).get("errno"))
r = b.call("revert_all")
expect(r.get("ok") is True and r["result"]["all_sessions"] is False and r["result"]["reverted"] == 0,
       "member b's revert_all reverts only b's own faults (none)")
time.sleep(0.2)
expect(proc_state(target) == "T", "a's pause is still in place")
r = a.call("revert", fault=fid)
expect(r.get("ok") is True, "member a reverts its own fault")
expect(wait_state(target, "S"), "the target runs again")

# Root may revert any session's fault.
r = a.call("apply", fault={"name": "p2", "kind": "process.pause", "duration_ms": 60000,
                           "params": {"target": {"pid": target}}})
fid2 = r.get("result", {}).get("fault", "")
expect(wait_state(target, "T"), "member a pauses it again")
root = Client(sock)
root.hello(heartbeat_ms=60000)
r = root.call("revert", fault=fid2)
expect(r.get("ok") is True, "root reverts member a's fault")
expect(wait_state(target, "S"), "the target runs again")
sys.exit(1 if failures else 0)
PY
chmod 0644 "$TEST_TMP/users.py" "$TEST_TMP/flclient.py"

check "an outsider (not root, not in $group) is refused with EACCES" \
	"$PYTHON" "$TEST_TMP/users.py" "$sock" "$target" outsider "$outsider"
check "members own their faults; root may revert any" \
	"$PYTHON" "$TEST_TMP/users.py" "$sock" "$target" members "$member_a" "$member_b" "$STATE_DIR"
uid_a=$(id -u "$member_a")
check "the audit log records the member's uid on apply" \
	grep -qE "applied: .*uid $uid_a\)" "$TEST_TMP/daemon.log"
# Past the socket's and the directory's modes (opened up for this check only),
# SO_PEERCRED refuses
# the outsider too, and the daemon logs it.
chmod 0666 "$sock"
chmod 0711 "$STATE_DIR"
check "past the socket mode, the daemon refuses the outsider with EACCES" \
	"$PYTHON" "$TEST_TMP/users.py" "$sock" "$target" outsider "$outsider"
chmod 0660 "$sock"
chmod 0710 "$STATE_DIR"
check "and logs the refusal with the outsider's uid" \
	grep -q "refused a connection from pid [0-9]* uid $(id -u "$outsider")" "$TEST_TMP/daemon.log"
check "the daemon is still running" kill -0 "$daemon"
kill -TERM "$daemon"
check "the daemon exits on SIGTERM" wait_gone "$daemon" 5
finish
