#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a test boot's time goes under TCG: boots the kernel ROUNDS times
# (default 3) with vm.sh and each set of extra vm.sh options given as an
# argument (e.g. '' '--no-uefi' '--cpus 1'), timing each phase on the host
# clock from the console as it is written:
#
#   firmware   QEMU start to the kernel's first line (QEMU, OVMF or SeaBIOS)
#   kernel     kernel start to its "Run /..." line (the init it starts)
#   init       virtme-ng's init, until the guest command starts
#   command    the guest command (here: load lw_efi_pstore, read pstore)
#   shutdown   the command's end to QEMU's exit
#
# Prints one table row per option set, medians of the rounds, in seconds.
# Usage: scripts/boot-profile.sh [-n ROUNDS] [OPTIONS...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

rounds=3
if [ "${1:-}" = -n ]; then
	rounds=$2
	shift 2
fi
[ $# -gt 0 ] || set -- ''
out=${LW_PROFILE_DIR:-$LW_LOGS/boot-profile-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

cmd='echo lw-profile: command start >/dev/kmsg
	insmod ./lw_efi_pstore.ko 2>/dev/null
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore
	ls /sys/fs/pstore >/dev/null
	echo lw-profile: command end >/dev/kmsg'

printf '%-24s %8s %8s %8s %8s %8s %8s\n' options firmware kernel init command shutdown total
for opts in "$@"; do
	for ((r = 1; r <= rounds; r++)); do
		d=$out/${opts//[^a-z0-9]/_}-$r
		mkdir -p "$d"
		t0=$(date +%s.%N)
		# shellcheck disable=SC2086 # the options are words
		"$here/scripts/vm.sh" --log "$d" $opts -- "$cmd" >/dev/null 2>&1 &
		vm=$!
		python3 - "$d/console.log" "$t0" "$vm" >"$d/phases" <<'PY'
import os, re, sys, time
path, t0, vm = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
# The serial console starts late in the kernel's boot and replays the log:
# the kernel's start on the host clock is when its "Run /init" line shows,
# less that line's own timestamp (TCG's guest clock follows the host's).
marks = [("init", re.compile(r"\[\s*(\d+\.\d+)\] Run /\S+ as init process")),
         ("cmd_start", re.compile(r"lw-profile: command start")),
         ("cmd_end", re.compile(r"lw-profile: command end"))]
seen = {}
pos = 0
buf = ""
def alive():
    try:
        os.kill(vm, 0)
        with open(f"/proc/{vm}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False
while alive():
    try:
        with open(path, errors="replace") as f:
            f.seek(pos)
            chunk = f.read()
            pos = f.tell()
    except FileNotFoundError:
        chunk = ""
    now = time.time()
    buf += chunk
    for name, rx in marks:
        m = rx.search(buf) if name not in seen else None
        if m:
            seen[name] = now
            if name == "init":
                seen["kernel"] = now - float(m.group(1))
    buf = buf[-4096:]
    time.sleep(0.01)
end = time.time()
prev, row = t0, []
for name in ("kernel", "init", "cmd_start", "cmd_end"):
    t = seen.get(name)
    row.append(f"{t - prev:.2f}" if t else "-")
    prev = t or prev
row.append(f"{end - prev:.2f}")
row.append(f"{end - t0:.2f}")
print(" ".join(row))
PY
		wait "$vm" || true
	done
	# Medians per column over the rounds.
	cat "$out/${opts//[^a-z0-9]/_}"-*/phases | python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
cols = list(zip(*rows))
med = []
for c in cols:
    v = [float(x) for x in c if x != "-"]
    med.append(f"{statistics.median(v):.1f}" if v else "-")
print(" ".join(med))' | {
		read -r fw kern init cmdt shut total
		printf '%-24s %8s %8s %8s %8s %8s %8s\n' "${opts:-(default)}" "$fw" "$kern" "$init" "$cmdt" "$shut" "$total"
	}
done
echo "logs: $out"
