#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A flood of dense parts that each inflate to the most a part may hold (256
# KiB of text from about 300 bytes of NVRAM: 30 dumps of 10 parts, 75 MiB of
# text), between a small dense dump newer than all of them, a small one
# older than all of them and a C-compatible record, built on the host from
# the documented format, and written on the host into the VM's variable
# store (lw_vars.py's write_store: 303 SetVariable calls through efivarfs
# took half a minute under TCG). The guest loads lw_efi_pstore and mounts
# pstore. Asserts: no splat; the mount's memory
# stays within the read budget (2 MiB per dump, 8 MiB per mount,
# Documentation/efi_pstore.rst) plus the session's buffers: MemAvailable
# drops by less than 12 MiB; the budget is said once and counted; every
# dump is still listed (one file each): the small dumps whole (the older
# one, read last, fits what the budget has left), the newest bombs cut
# with gap lines, the oldest as "left out" records; the C record whole.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C

guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0
b=$LW_TEST_LOG/budget
vars=$b/vars
mkdir -p "$vars"
time=1764000000

PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$lw_repo/selftests/efi_pstore python3 - "$vars" "$lw_repo/rust/core/dict/kmsg1.dict" "$time" "$b/nvram.fd" $guid "$LW_VARS_TEMPLATE" <<'PY' ||
import sys
from lw_vars import Vars, TEXT_MAX
v = Vars(sys.argv[1], sys.argv[2])
t = int(sys.argv[3])
def small(count, when):
    text = ("Panic#%d Part1\n" % count).encode() + b"".join(
        b"<6>[ %4d.000000] lw-budget-%d line %d\n" % (n, count, n) for n in range(1, 21))
    v.put("lw-dense1-type0-1-%d-%d" % (count, when), v.part(text))
small(500, t + 1000)
for c in range(1, 31):
    for p in range(1, 11):
        head = ("Panic#%d Part%d\n" % (c, p)).encode()
        v.put("lw-dense1-type0-%d-%d-%d" % (p, c, t + c), v.part(head + b"x" * (TEXT_MAX - len(head))))
small(501, t - 1000)
v.put("dump-type0-1-1-%d-D" % (t - 2000), b"Panic#1 Part1\nlw-budget C record\n")
v.close()
v.write_store(sys.argv[6], sys.argv[4], sys.argv[5])
PY
	lw_fail "could not build the variables"

cat >"$b/guest-budget.sh" <<GUEST
set -u
$LW_GUEST_DEBUGFS
$LW_LOAD_OURS || exit 11
sync; echo 3 >/proc/sys/vm/drop_caches
before=\$(awk '/^MemAvailable:/ {print \$2}' /proc/meminfo)
$LW_GUEST_PSTORE || exit 12
after=\$(awk '/^MemAvailable:/ {print \$2}' /proc/meminfo)
[ -n "\$before" ] && [ -n "\$after" ] || exit 13
echo mem_kib=\$((before - after))
d=/sys/kernel/debug/lw_efi_pstore
echo read=\$(cat \$d/read)
echo read_budget_cut=\$(cat \$d/read_budget_cut)
echo files=\$(ls /sys/fs/pstore | grep -c '^dmesg-')
mkdir -p \$LW_LOG/rec
for f in /sys/fs/pstore/dmesg-*; do head -c 4096 "\$f" >"\$LW_LOG/rec/\${f##*/}"; done
GUEST

lw_boot budget --nvram "$b/nvram.fd" -- "bash \$LW_LOG/guest-budget.sh"
rc=$?
out=$b/out.log
cat "$out"
lw_assert_eq "$rc" 0 "the guest mounted pstore"

mem=$(sed -n 's/^mem_kib=//p' "$out")
[ -n "$mem" ] && [ "$mem" -lt $((12 * 1024)) ] ||
	lw_fail "mounting took ${mem:-?} KiB of memory, more than the 8 MiB budget allows"
echo "ok: the mount took $mem KiB (budget 8 MiB of text)"
lw_assert_eq "$(lw_counter "$out" files)" 33 "every dump and the C record listed, one file each"
lw_assert_eq "$(lw_counter "$out" read)" 33 "33 records read"
cut=$(lw_counter "$out" read_budget_cut)
[ "${cut:-0}" -ge 20 ] || lw_fail "read_budget_cut is '$cut', want a dump cut for most bombs"
lw_assert_eq "$(grep -c 'read budget reached' "$b/console.log")" 1 "the budget is said once"

cat "$b"/rec/* >"$b/records.txt" 2>/dev/null
rec() { grep -l -- "$1" "$b"/rec/* 2>/dev/null | head -1; }
f=$(rec 'lw-budget-500 line 1$')
[ -n "$f" ] || lw_fail "the newest small dump is not listed whole"
lw_assert_eq "$(grep -c 'lw-budget-500 line' "$f")" 20 "the newest small dump: its 20 lines"
f=$(rec 'lw-budget-501 line 1$')
[ -n "$f" ] || lw_fail "the oldest small dump is not listed whole"
lw_assert_eq "$(grep -c 'lw-budget-501 line' "$f")" 20 "the oldest small dump, after the bombs, fits what the budget has left: its 20 lines"
lw_assert_grep "$b/records.txt" '^lw_efi_pstore: dump #1 left out: read budget reached' "the oldest bomb is listed as left out"
lw_assert_grep "$b/records.txt" 'lw-budget C record' "the C record is listed"
lw_assert_grep "$b/records.txt" 'parts 9-10 of this dump are missing or damaged' "a bomb dump's parts beyond 2 MiB are a gap"
