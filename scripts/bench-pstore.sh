#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`'s pstore write path: lw_efi_pstore against the C efi_pstore,
# in one VM (fresh NVRAM), on kernel logs: each timed dump is one LOG's
# lines written to /dev/kmsg again at their own pace after the log was
# cleared, then one oops (scripts/bench-pstore-guest.sh): every round does
# the same work. Prints lw_bench's profile of a dump part's steps, a table
# per log (medians of 5 rounds), and a summary: the ratios ours/C of log
# bytes per NVRAM byte, time per dump and time per KiB of log, per log and
# their median over the real machines' logs. A benchmark: no threshold.
#
# Logs: LOG="FILE..." (any kernel logs as `dmesg` prints them: your own
# machines'), else the default set: this VM's own boot log ("vm") and the
# real machines' logs of samples/logs/ (the test split of the dictionary's
# corpus: none of them went into it; samples/logs/README).
#
# BASE=REV also times lw_efi_pstore as built from git revision REV (say, the
# last release, or main before a format change) in the same boots, against
# the same kernel tree: a third backend in the tables, and "ours/BASE"
# density per log.
#
# Usage: bench-pstore.sh [LOGDIR] (modules built; bench.sh builds them)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
log=${1:-$LW_LOGS/bench-$(date +%Y%m%d-%H%M%S)}
rounds=${LW_BENCH_ROUNDS:-5}
plog=$log-pstore
mkdir -p "$plog/logs"
# The guest sees the log directory at /tmp/lw-log: the logs go there, so
# that a LOG anywhere on the host (or in a directory the guest cannot see)
# can be used.
guest=()
if [ -n "${LOG:-}" ]; then
	for f in $LOG; do
		[ -r "$f" ] || lw_die "bench: LOG: cannot read $f"
		grep -qE '^\[ *[0-9]+\.[0-9]+\] ' "$f" ||
			lw_die "bench: LOG: $f has no dmesg lines (\"[    1.234567] text\")"
		cp "$f" "$plog/logs/$(basename "$f" .log).log"
		guest+=("/tmp/lw-log/logs/$(basename "$f" .log).log")
	done
else
	guest+=(vm)
	for f in "$here"/samples/logs/*.log; do
		cp "$f" "$plog/logs/"
		guest+=("/tmp/lw-log/logs/$(basename "$f")")
	done
fi
base_ko=
if [ -n "${BASE:-}" ]; then
	rev=$(git -C "$here" rev-parse --verify -q "${BASE}^{commit}") ||
		lw_die "bench: BASE=$BASE: no such git revision"
	# Built in the cache (the 7.3 chroot sees it), against this tree.
	src=$LW_CACHE/bench-base/$rev
	if [ ! -f "$src/lw_efi_pstore.ko" ]; then
		lw_say "bench: building lw_efi_pstore at $BASE ($rev)"
		rm -rf "$src" && mkdir -p "$src"
		git -C "$here" archive "$rev" | tar -x -C "$src"
		kdir=$("$here/scripts/kernel.sh")
		run=()
		! lw_chroot_kernel || run=("$here/scripts/chroot.sh" run)
		# Its modules.sh against this tree (KDIR), not its make targets:
		# those would run its setup (in the chroot, for 7.3).
		(cd "$src" && "${run[@]}" env KDIR="$kdir" scripts/modules.sh) >"$plog/base-build.log" 2>&1 ||
			lw_die "bench: building lw_efi_pstore at $BASE failed (log: $plog/base-build.log)"
	fi
	base_ko=$src/lw_efi_pstore.ko
fi
lw_say "bench: pstore write path, C efi_pstore vs lw_efi_pstore${BASE:+ vs lw_efi_pstore at $BASE}, ${#guest[@]} logs x $rounds rounds"
# One boot per log, each on a fresh NVRAM: EDK2 reclaims the space of
# deleted variables only at boot, and one log's 18 dumps fill a good part
# of OVMF's store. Two boots at a time (each VM is one host thread); the
# ratios compare the backends within one boot, where rounds interleave.
pids=()
for i in "${!guest[@]}"; do
	d=$plog/vm-$i
	mkdir -p "$d"
	cp -r "$plog/logs" "$d/" 2>/dev/null || true
	[ -z "$base_ko" ] || { mkdir -p "$d/base" && cp "$base_ko" "$d/base/"; }
	# The guest sees $d at /tmp/lw-log, the logs in it.
	"$here/scripts/vm.sh" --log "$d" --timeout 1800 -- \
		"bash scripts/bench-pstore-guest.sh $rounds ${guest[i]}" >/dev/null 2>&1 &
	pids+=($!)
	if [ ${#pids[@]} -ge "${LW_BENCH_VMS:-2}" ]; then
		wait "${pids[0]}" || { tail -30 "$plog/vm-$((i - 1))/console.log"; lw_die "bench VM failed (logs: $plog)"; }
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do
	wait "$p" || lw_die "bench VM failed (logs: $plog)"
done
for i in "${!guest[@]}"; do
	cat "$plog/vm-$i/out.log"
done >"$plog/out.log"
python3 - "$plog/out.log" "$rounds" "${BASE:-}" <<'PY'
import re, statistics, sys
path, rounds, base_rev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s, p, logs, memory = {}, {}, {}, "?"
for line in open(path, errors="replace"):
    line = line.strip()
    m = re.match(r"sample (\S+) (\S+) (\d+) (\d+) (\d+) (-?\d+)$", line)
    if m and m[1] != "warmup":
        s.setdefault(m[1], {}).setdefault(m[2], []).append(tuple(int(m[i]) for i in range(3, 7)))
    m = re.match(r"profile (\S+) (\d+)(?: (\d+))?$", line)
    if m:
        p.setdefault(m[1], []).append((int(m[2]), int(m[3] or 0)))
    m = re.match(r"memory (.+)$", line)
    if m:
        memory = m[1]
    m = re.match(r"log (\S+) (\d+) (\d+)$", line)
    if m:
        logs[m[1]] = (int(m[2]), int(m[3]))
if p:
    print(f"\nwhere a dump part's time goes (median of {len(next(iter(p.values())))}):\n")
what = {
    "fetch_all": "kmsg_dump_get_buffer() of {} bytes, whole log walked (pstore's core)",
    "fetch_window": "kmsg_dump_get_buffer() of {} bytes, newest-128-record window (ours)",
    "deflate": "deflate of {} bytes of log text",
    "dense": "dense: deflate after the dictionary of {} bytes (state restored)",
    "setvar": "SetVariable (non-blocking) of a {}-byte variable",
}
if p:
    print(f"| {'step':<72} | {'us':>8} |")
    print(f"|{'-'*74}|{'-'*10}|")
for case, xs in p.items():
    kind, size = case.rsplit("_", 1)
    us = statistics.median(x[0] for x in xs) / 1e3
    label = what.get(kind, kind + " {}").format(size)
    if kind in ("deflate", "dense"):
        label += f" (to {xs[0][1]})"
    print(f"| {label:<72} | {us:>8.0f} |")

print(f"\npstore write path: each dump = the log's lines written again + one oops"
      f" (median of {rounds}, same boot,\nsame kmsg_bytes budget); time = dump time with"
      " the backend - with no backend;\nNVRAM = the firmware's remaining variable store"
      " before - after the dump\n")
hdr = (f"| {'log':<22} | {'backend':<13} | {'us/dump':>8} | {'us/log KiB':>10} | {'parts':>5} "
       f"| {'log bytes back':>14} | {'NVRAM bytes':>11} | {'log/NVRAM':>9} |")
print(hdr)
print("|" + "|".join("-" * (len(c)) for c in hdr.split("|")[1:-1]) + "|")
summary = []
for name, (nlines, nbytes) in logs.items():
    if any(len(s.get(name, {}).get(k, [])) < rounds for k in ("none", "c", "rust")):
        sys.exit(f"bench: missing samples for log {name}")
    med = lambda k, i: statistics.median(x[i] for x in s[name][k])
    base = med("none", 0)
    row = {}
    backends = [("c", "C efi_pstore"), ("rust", "lw_efi_pstore")]
    if base_rev:
        if len(s[name].get("base", [])) < rounds:
            sys.exit(f"bench: missing samples for log {name} at {base_rev}")
        backends.append(("base", "lw @" + base_rev[:11]))
    for k, label in backends:
        t, parts, back, nvram = (med(k, i) for i in range(4))
        us = (t - base) / 1e3
        dens = back / nvram if nvram > 0 else float("nan")
        perkib = us / (back / 1024) if back else float("nan")
        row[k] = (us, perkib, dens, back)
        print(f"| {name:<22} | {label:<13} | {us:>8.0f} | {perkib:>10.0f} | {parts:>5.0f} "
              f"| {back:>14.0f} | {nvram:>11.0f} | {dens:>9.2f} |")
    summary.append((name, nlines, nbytes, row["rust"][2] / row["c"][2],
                    row["rust"][0] / row["c"][0], row["rust"][1] / row["c"][1],
                    row["c"][2], row["rust"][2], row.get("base")))
print("\nratios lw_efi_pstore / C per log (log bytes per NVRAM byte; time per dump;"
      " time per KiB of log):\n")
bh = f" {'BASE':>6} | {'BASE/C':>6} | {'ours/BASE':>9} |" if base_rev else ""
bl = f"{'-'*8}|{'-'*8}|{'-'*11}|" if base_rev else ""
print(f"| {'log':<22} | {'lines':>5} | {'KiB':>5} | {'C log/NVRAM':>11} | {'ours':>6} "
      f"| {'density':>7} | {'time/dump':>9} | {'time/KiB':>8} |" + bh)
print(f"|{'-'*24}|{'-'*7}|{'-'*7}|{'-'*13}|{'-'*8}|{'-'*9}|{'-'*11}|{'-'*10}|" + bl)
for name, nl, nb, d, t, k, c, r, b in summary:
    bc = f" {b[2]:>6.2f} | {b[2] / c:>5.2f}x | {r / b[2]:>8.2f}x |" if b else ""
    print(f"| {name:<22} | {nl:>5} | {nb // 1024:>5} | {c:>11.2f} | {r:>6.2f} "
          f"| {d:>6.2f}x | {t:>8.2f}x | {k:>7.2f}x |" + bc)
real = [x for x in summary if x[0] != "vm"]
if real:
    print(f"\nmedian over the {len(real)} real machines' logs: density "
          f"{statistics.median(x[3] for x in real):.2f}x, time per dump "
          f"{statistics.median(x[4] for x in real):.2f}x, time per KiB "
          f"{statistics.median(x[5] for x in real):.2f}x")
    if base_rev:
        print(f"at BASE={base_rev}: density {statistics.median(x[8][2] / x[6] for x in real):.2f}x C, "
              f"ours/BASE {statistics.median(x[7] / x[8][2] for x in real):.2f}x")
print(f"lw_efi_pstore's dump buffers (default settings): {memory}")
print(f"raw samples: {path}")
PY
