#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: the story of the project in two boots of one VM whose UEFI
# NVRAM persists: boot 1 loads lw_efi_pstore (our Rust backend) and panics in
# hard interrupt context; boot 2 reads the dying kernel's last words back from
# EFI variables through pstore.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
log=$LW_LOGS/demo-$(date +%Y%m%d-%H%M%S)
nv=$log/nvram.fd
marker="lastwords demo $(date +%H:%M:%S)"
mkdir -p "$log"

cat <<TXT
== lastwords demo: lw_efi_pstore, the Rust EFI pstore backend ==
Boot 1: load lw_efi_pstore, log "$marker", then panic from a hard interrupt
        (lw_crash_test's panic_hardirq: a hard irq_work that calls panic()).
TXT
"$here/scripts/vm.sh" --log "$log/boot1" --nvram "$nv" -- "
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	insmod ./lw_efi_pstore.ko || exit 10
	insmod ./lw_crash_test.ko || exit 11
	echo '$marker' >/dev/kmsg
	echo panic_hardirq >/sys/kernel/debug/lw_crash/run
" || true
[ "$(cat "$log/boot1/result")" = panic ] ||
	lw_die "boot 1 did not panic ($(cat "$log/boot1/result"); the guest command's output ends with:
$(tail -5 "$log/boot1/out.log" 2>/dev/null)
logs: $log/boot1)"
echo "Boot 1 died: $(grep -m1 -o 'Kernel panic - not syncing:.*' "$log/boot1/console.log" | tr -d '\r')"
echo
echo "Boot 2: same NVRAM; load lw_efi_pstore, mount pstore, read the records."
"$here/scripts/vm.sh" --log "$log/boot2" --nvram "$nv" -- '
	insmod ./lw_efi_pstore.ko || exit 10
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 11
	ls /sys/fs/pstore
	cat /sys/fs/pstore/dmesg-lw_efi_pstore-* >"$LW_LOG/records.txt"
' >/dev/null || lw_die "boot 2 failed (logs: $log/boot2)"
n=$(grep -c . "$log/boot2/out.log" || true)
echo "Boot 2 found $n records in /sys/fs/pstore ($(wc -c <"$log/boot2/records.txt") bytes)."
echo "The dying kernel's last words, as recovered (key lines, oldest first):"
echo "------------------------------------------------------------------------"
# Parts are numbered from the end of the log: print them oldest first.
awk '/^Panic#1 Part[0-9]+$/ {part = substr($2, 5) + 0; next} {print part "\t" NR "\t" $0}' \
	"$log/boot2/records.txt" | sort -k1,1nr -k2,2n | cut -f3- |
	grep -E "$marker|lw_crash_test: panic_hardirq: in|Kernel panic - not syncing|CPU: [0-9]+ UID|<IRQ>|irq_work_run|sysvec_irq_work|</IRQ>"
echo "------------------------------------------------------------------------"
grep -q "$marker" "$log/boot2/records.txt" || lw_die "the marker was not recovered"
grep -q 'Kernel panic - not syncing: lw_crash_test: panic_hardirq' "$log/boot2/records.txt" ||
	lw_die "the panic was not recovered"
grep -q 'lw_crash_test: panic_hardirq: in hardirq context' "$log/boot2/records.txt" ||
	lw_die "the record does not show the hard-interrupt context"
echo "Recovered: the marker and the hard-interrupt panic survived the crash. Logs: $log"
