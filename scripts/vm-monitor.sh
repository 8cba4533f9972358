#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Send one command to the QEMU monitor of a VM started by vm.sh --monitor SOCK,
# waiting up to 60 s for the socket to appear, and print the reply. Usage:
# vm-monitor.sh SOCK 'nmi'. SOCK may be longer than a socket address allows
# (108 bytes): vm.sh then makes it a symlink to a short path, followed here.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: vm-monitor.sh SOCK COMMAND" >&2; exit 2; }
exec python3 - "$1" "$2" <<'PY'
import os, socket, sys, time
path, command = sys.argv[1], sys.argv[2]
deadline = time.time() + 60
while not os.path.exists(path):
    if time.time() > deadline:
        sys.exit(f"vm-monitor: no monitor socket at {path}")
    time.sleep(0.2)
real = os.path.realpath(path)
if len(os.fsencode(real)) >= 108:
    # Still too long (not made by vm.sh): connect relative to its directory.
    os.chdir(os.path.dirname(real))
    real = os.path.basename(real)
s = socket.socket(socket.AF_UNIX)
s.connect(real)
# QEMU reads the command only when its main loop gets to the socket, which
# under TCG on a loaded host can take seconds: wait for the monitor's prompt
# before sending, and for the reply (the next prompt, or the socket closing
# on "quit") before closing. A command sent and the socket closed at once
# could be dropped unread.
s.settimeout(1)
def read_until_prompt(buf, limit):
    end = time.time() + limit
    while b"(qemu)" not in buf and time.time() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            return buf, True
        buf += d
    return buf, False
greeting, closed = read_until_prompt(b"", 60)
if closed or b"(qemu)" not in greeting:
    sys.exit("vm-monitor: no monitor prompt")
s.sendall(command.encode() + b"\n")
reply, _ = read_until_prompt(b"", 60)
print(reply.decode(errors="replace").replace("(qemu)", "").strip())
PY
