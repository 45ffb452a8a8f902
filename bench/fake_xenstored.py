#!/usr/bin/env python3
# bench/fake_xenstored.py: a minimal stand-in for xenstored on a UNIX socket,
# for counting the agent's system calls and XenStore round trips on a host
# without Xen (bench/agent_syscalls.sh).  It keeps a flat key -> value map,
# answers every request, fires no watches beyond the XS_WATCH reply, and
# counts requests by type.  Not a XenStore: measurement only.
import os, socket, struct, sys, threading, signal

XS = {0: "CONTROL", 1: "DIRECTORY", 2: "READ", 3: "GET_PERMS", 4: "WATCH",
      5: "UNWATCH", 6: "TRANSACTION_START", 7: "TRANSACTION_END",
      11: "WRITE", 12: "MKDIR", 13: "RM", 16: "ERROR", 15: "WATCH_EVENT"}
path = sys.argv[1]
domid = sys.argv[2] if len(sys.argv) > 2 else "7"
store = {"domid": domid}
counts = {}
lock = threading.Lock()

def reply(c, hdr, body):
    t, rid, tx, _ = hdr
    c.sendall(struct.pack("<IIII", t, rid, tx, len(body)) + body)

def serve(c):
    buf = b""
    while True:
        while len(buf) < 16:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        t, rid, tx, ln = struct.unpack("<IIII", buf[:16])
        while len(buf) < 16 + ln:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        body, buf = buf[16:16 + ln], buf[16 + ln:]
        with lock:
            counts[XS.get(t, str(t))] = counts.get(XS.get(t, str(t)), 0) + 1
        parts = body.split(b"\0")
        if t == 2:
            v = store.get(parts[0].decode())
            if v is None:
                reply(c, (16, rid, tx, 0), b"ENOENT\0")
            else:
                reply(c, (t, rid, tx, 0), v.encode())
        elif t == 11:
            k = parts[0].decode()
            store[k] = body[len(parts[0]) + 1:].decode(errors="replace")
            reply(c, (t, rid, tx, 0), b"OK\0")
        elif t == 1:
            reply(c, (t, rid, tx, 0), b"")
        elif t == 6:
            reply(c, (t, rid, tx, 0), b"1\0")
        else:
            reply(c, (t, rid, tx, 0), b"OK\0")

def dump(*_):
    with lock:
        print(" ".join("%s=%d" % kv for kv in sorted(counts.items())), flush=True)

signal.signal(signal.SIGUSR1, dump)
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
