#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: the story of the project in two boots of one VM whose UEFI
# NVRAM persists: boot 1 panics, boot 2 reads the dying kernel's last words
# back from EFI variables through pstore.
#
# Backend: the C efi_pstore (drivers/firmware/efi/efi-pstore.c), the anchor
# this project measures itself against, until the Rust backend lands.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
log=$LW_LOGS/demo-$(date +%Y%m%d-%H%M%S)
nv=$log/nvram.fd
marker="lastwords demo $(date +%H:%M:%S)"
mkdir -p "$log"

cat <<TXT
== lastwords demo (backend: the C efi_pstore anchor; the Rust backend is not there yet) ==
Boot 1: load efi_pstore, log "$marker", then panic through sysrq.
TXT
"$here/scripts/vm.sh" --log "$log/boot1" --nvram "$nv" -- "
	modprobe efi_pstore || exit 10
	echo '$marker' >/dev/kmsg
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
" || true
[ "$(cat "$log/boot1/result")" = panic ] || lw_die "boot 1 did not panic (logs: $log/boot1)"
echo "Boot 1 died: $(grep -m1 -o 'Kernel panic - not syncing:.*' "$log/boot1/console.log" | tr -d '\r')"
echo
echo "Boot 2: same NVRAM; load efi_pstore, mount pstore, read the records."
"$here/scripts/vm.sh" --log "$log/boot2" --nvram "$nv" -- '
	modprobe efi_pstore || exit 10
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 11
	ls /sys/fs/pstore
	cat /sys/fs/pstore/dmesg-efi_pstore-* >"$LW_LOG/records.txt"
' >/dev/null || lw_die "boot 2 failed (logs: $log/boot2)"
n=$(grep -c . "$log/boot2/out.log" || true)
echo "Boot 2 found $n records in /sys/fs/pstore ($(wc -c <"$log/boot2/records.txt") bytes). The newest part:"
echo "------------------------------------------------------------------------"
# Part 1 of the panic dump holds the end of the log: print its last lines.
awk '$0 == "Panic#1 Part1" {p=1; next} /^Panic#/ {p=0} p' "$log/boot2/records.txt" | tail -12
echo "------------------------------------------------------------------------"
grep -q "$marker" "$log/boot2/records.txt" || lw_die "the marker was not recovered"
echo "Recovered: the marker and the panic message survived the crash. Logs: $log"
