#!/usr/bin/env bash
# A file download whose client takes no byte for longer than control's idle
# timeout (15 s) must finish (issue 16: in punt mode 3 of 600 downloads died
# with curl 18/56 "transfer closed"/reset after the tap's drops stalled TCP),
# while the slowloris limits stay: a client that reads nothing for longer
# than HTTP_SEND_TIMEOUT_S (60 s) is still cut, and an idle keep-alive
# connection after a completed file is still closed after 15 s.
# The stall is a SIGSTOPped curl (its TCP advertises a zero window, the
# server's sendfile makes no progress: what a path that loses the server's
# segments looks like to the server).  Loopback only, ~75 s.
source "$(dirname "$0")/../data/control/e2e-lib.sh"
ctl_setup
f=$W/repo/centos7/Packages/stall.img
head -c $((16 << 20)) /dev/urandom >"$f"
ctl_start

t0=$SECONDS
# A: 1 MB/s, takes nothing from 2 s to 27 s: must complete
curl -sS --limit-rate 1M -o "$W/a.out" "$URL/repo/centos7/Packages/stall.img" 2>"$W/a.err" &
a=$!
PIDS+=("$a")
# B: 1 MB/s, takes nothing from 2 s to 70 s: must be cut by the server
curl -sS --limit-rate 1M -o "$W/b.out" "$URL/repo/centos7/Packages/stall.img" 2>"$W/b.err" &
b=$!
PIDS+=("$b")
# C: a keep-alive connection that got a whole file, then sends nothing:
# closed after the idle timeout, not the send one
python3 - "$PORT" >"$W/c.out" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=90)
s.sendall(b"GET /repo/centos7/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
buf = b""
while b"hello repo" not in buf:
    d = s.recv(4096)
    if not d:
        print("closed before the response"); sys.exit(1)
    buf += d
t = time.monotonic()
while s.recv(4096):
    pass
print("idle_close_s %.1f" % (time.monotonic() - t))
PY
c=$!
PIDS+=("$c")
sleep 2
kill -STOP "$a" "$b"
sleep 25
kill -CONT "$a"

rc=0; wait "$a" || rc=$?
echo "A: curl exit $rc after $((SECONDS - t0)) s $(cat "$W/a.err")"
[ "$rc" -eq 0 ] || fail "download stalled 25 s was cut (curl exit $rc)"
cmp -s "$W/a.out" "$f" || fail "stalled download differs"
ok "16 MiB download stalled 25 s completed, bytes equal"

wait "$c" || fail "keep-alive probe: $(cat "$W/c.out")"
idle=$(awk '/idle_close_s/ {print int($2)}' "$W/c.out")
[ -n "$idle" ] && [ "$idle" -ge 13 ] && [ "$idle" -le 25 ] \
	|| fail "idle keep-alive after a file: $(cat "$W/c.out"), want the 15 s idle timeout"
ok "idle keep-alive after a file closed after ${idle} s (idle timeout back in force)"

while [ $((SECONDS - t0)) -lt 70 ]; do sleep 1; done
kill -CONT "$b"
for _ in $(seq 60); do kill -0 "$b" 2>/dev/null || break; sleep 1; done
kill -0 "$b" 2>/dev/null && fail "curl B still running 60 s after SIGCONT"
rc=0; wait "$b" || rc=$?
got=$(stat -c %s "$W/b.out" 2>/dev/null || echo 0)
echo "B: curl exit $rc, $got of $((16 << 20)) bytes $(cat "$W/b.err")"
[ "$rc" -ne 0 ] && [ "$got" -lt $((16 << 20)) ] || fail "a client that took nothing for 68 s was not cut"
ok "a client that took nothing for 68 s was cut by the send timeout"
kill -0 "$SERVE_PID" || fail "server died"
echo "PASS: t_http_stall ($((SECONDS - t0)) s)"
