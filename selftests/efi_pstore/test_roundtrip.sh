#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lw_efi_pstore, task-context panic: boot 1 loads it and panics through sysrq;
# boot 2, same NVRAM, finds the panic and a marker in its dmesg record; then
# `rm` of every record erases the EFI variables (boot 3 finds none). Dense
# records (the default): one record per dump, made of all its parts, whose
# `rm` erases every part.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

nv=$LW_TEST_LOG/nvram.fd
marker="lw-roundtrip-$(date +%s)-$RANDOM"
lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'

# Parts of 1 KiB (the default for dense records is 4 KiB): the dump has
# many parts to put back together.
lw_boot boot1-crash --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko record_size=1024 || exit 10
	echo '$marker' >/dev/kmsg
	for i in \$(seq 1 400); do echo \"lw-seq \$i\" >/dev/kmsg; done
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
"
lw_assert_eq "$(lw_result boot1-crash)" panic "boot 1 went down in a panic"

lw_boot boot2-read --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko || exit 10
	mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore || exit 11
	ls /sys/fs/pstore
	cat /sys/fs/pstore/dmesg-lw_efi_pstore-* >\"\$LW_LOG/records.txt\" || exit 12
	mount -t efivarfs none /sys/firmware/efi/efivars 2>/dev/null
	ls /sys/firmware/efi/efivars | grep -c '^lw-dense2-type0-' | sed 's/^/vars_before_rm=/'
	ls /sys/firmware/efi/efivars | grep -c '^dump-type' | sed 's/^/c_vars=/'
	ls /sys/fs/pstore | grep -c '^dmesg-lw_efi_pstore-' | sed 's/^/files=/'
	mkdir -p \"\$LW_LOG/vars\"
	for v in /sys/firmware/efi/efivars/lw-dense2-type0-*; do cat \"\$v\" >\"\$LW_LOG/vars/\${v##*/}\"; done
	rm /sys/fs/pstore/dmesg-lw_efi_pstore-* || exit 13
	$LW_GUEST_DEBUGFS
	$(lw_dump_counters lw_efi_pstore)
"
rc=$?
out=$LW_TEST_LOG/boot2-read/out.log
cat "$out"
lw_assert_eq "$rc" 0 "boot 2 read and erased the records"
r=$LW_TEST_LOG/boot2-read/records.txt
lw_assert_grep "$r" "$marker" "record holds boot 1's marker"
lw_assert_grep "$r" 'Kernel panic - not syncing: sysrq triggered crash' "record holds the panic message"
# 400 numbered lines (about 12 KiB of log, several parts, far more records
# than the dumper's first fetch window) come back each once, none missing:
# no line lost or repeated between parts.
seqs=$(grep -o 'lw-seq [0-9]*' "$r" | awk '{print $2}' | sort -n)
lw_assert_eq "$(echo "$seqs" | wc -l)" 400 "numbered lines recovered"
lw_assert_eq "$(echo "$seqs" | uniq | wc -l)" 400 "numbered lines, none repeated"
lw_assert_eq "$(echo "$seqs" | sed -n '1p;$p' | tr '\n' ' ')" "1 400 " "numbered lines, first and last"
n=$(lw_counter "$out" vars_before_rm)
[ "${n:-0}" -gt 1 ] || lw_fail "fewer than 2 dense parts before rm"
lw_assert_eq "$(lw_counter "$out" c_vars)" 0 "no C-compatible variables written"
lw_assert_eq "$(lw_counter "$out" files)" 1 "one pstore file for the dump"
lw_assert_eq "$(lw_counter "$out" read)" 1 "one record read for the dump"
lw_assert_eq "$(lw_counter "$out" erased)" "$n" "erase counter: every part"

# The parts follow the documented format (version 2): Python's zlib,
# given the version's dictionary (or the alternate one, method 3), and the line codec as documented
# (lw_vars.py, written from Documentation/efi_pstore.rst) decode each one
# alone, and the parts' logs, oldest part first, are the record pstore
# showed.
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$lw_repo/selftests/efi_pstore python3 - "$LW_TEST_LOG/boot2-read/vars" "$r" <<'PY' ||
import os, re, sys
from lw_vars import decode_part
d, rec = sys.argv[1], open(sys.argv[2], "rb").read()
parts, coded, alt = {}, 0, 0
for n in os.listdir(d):
    part = int(re.match(r"lw-dense2-type0-(\d+)-", n)[1])
    ver, method, text = decode_part(open(os.path.join(d, n), "rb").read()[4:])
    assert ver == 2 and method in (0, 1, 2, 3), n
    coded += method in (1, 3)
    alt += method == 3
    head, _, body = text.partition(b"\n")
    assert head.endswith(b" Part%d" % part), n
    parts[part] = (head, body)
assert sorted(parts) == list(range(1, len(parts) + 1)), sorted(parts)
assert coded, "no part with coded lines (method 1 or 3)"
whole = parts[1][0] + b"\n" + b"".join(parts[p][1] for p in sorted(parts, reverse=True))
assert whole == rec, "the parts decoded by Python differ from the record"
print("ok: %d parts (%d coded, %d of them after the alternate dictionary) decoded by Python's zlib and line decoder, %d bytes, as the record" % (len(parts), coded, alt, len(rec)))
PY
	lw_fail "the dense parts do not follow the documented format"

# efivarfs lists what it saw at mount: look again from a fresh boot.
lw_boot boot3-check --nvram "$nv" -- "
	mount -t efivarfs none /sys/firmware/efi/efivars || exit 10
	ls /sys/firmware/efi/efivars | grep -c '^lw-dense\|^dump-type' | sed 's/^/vars_left=/'
"
lw_assert_eq "$(lw_counter "$LW_TEST_LOG/boot3-check/out.log" vars_left)" 0 "rm erased every EFI variable"
echo "records: $n parts, $(wc -c <"$r") bytes"
