#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A reader that trusts nothing: variables under the crash GUID with every
# field of the name out of range, names at and over the length limit, names
# that are not ASCII or not dump names, compressed data that is garbage or
# inflates past what any reader inflates into, and two names with the same record
# id, written through efivarfs beside valid records of every name form. Then
# lw_efi_pstore is loaded, pstore mounted, every file read and unlinked.
# Asserts: no splat (pstore WARNs on an out-of-range type), exactly the
# malformed ones skipped (counter and rate-limited lines), every valid record
# read with its text, every valid one erased and no malformed one; and the
# quota evicts valid records only.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C

guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0
# The boot's log directory is the guest's $LW_LOG: the variables and the
# guest script go there.
b=$LW_TEST_LOG/malformed
vars=$b/vars
mkdir -p "$vars"

# The variables: one file each, efivarfs format (attributes, then data).
# valid.list / bad.list / dup.list name them; expect.txt has each valid
# record's text.
python3 - "$vars" "$LW_TEST_LOG" <<'PY' || lw_fail "could not build the variables"
import os, struct, sys, zlib
d, top = sys.argv[1], sys.argv[2]
def raw_deflate(b):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()
valid, bad, dup, order = [], [], [], []
def put(lst, name, data, why=None):
    with open(os.path.join(os.fsencode(d), name.encode("latin-1")), "wb") as f:
        f.write(struct.pack("<I", 7) + data)
    lst.append((name, why))
    order.append(name)
t = "1700000000"
# The longest name a writer writes (every field at its largest).
longest = "dump-type0-1024-2147483647-253402300799-D"
put(valid, "dump-type0-1-1-%s-D" % t, b"lw-valid-1 uncompressed\n")
put(valid, "dump-type0-1-2-%s-C" % t, raw_deflate(b"lw-valid-2 compressed\n" * 20))
put(valid, longest, b"lw-valid-3 longest name\n")
put(valid, "dump-type0-2-1700000001", b"lw-valid-4 oldest form\n")
put(valid, "dump-type0-1-4-1700000002", b"lw-valid-5 no flag\n")
put(valid, "dump-type7-1-1-1700000003-D", b"lw-valid-6 pmsg\n")
put(valid, "dump-type0-1-20-1700000004-D", b"lw-valid-7 binary\n" + bytes(range(256)))
# Inflates to more than this boot's 3 * record_size (a record written with a
# larger record_size): pstore shows it as it is (.enc.z), to read or delete.
put(valid, "dump-type0-1-21-1700000005-C", raw_deflate(b"lw-valid-8 big\n" + b"b" * 20000))
# The same record id as valid 1 (type 0, same time, part and count): one
# of the two is read, the other skipped.
put(dup, "dump-type0-1-1-%s" % t, b"lw-valid-1 uncompressed\n",
    "same record id as an earlier variable")
inflate = "compressed data does not inflate"
put(bad, "dump-type0-1-5-%s-C" % t, b"this is not deflate data", inflate)
# Inflates past what any record size's readers take (3 * 32 KiB).
put(bad, "dump-type0-1-6-%s-C" % t, raw_deflate(b"a" * 200000), inflate)
put(bad, "dump-type9-1-1-%s-D" % t, b"type 9\n", "record type out of range")
put(bad, "dump-type4294967295-1-1-%s-D" % t, b"type max\n", "record type out of range")
put(bad, "dump-type0-1-7--1927000000-D", b"before 1970\n", "time out of range")
put(bad, "dump-type0-1-8-253402300800-D", b"after 9999\n", "time out of range")
put(bad, "dump-type0-0-9-%s-D" % t, b"part 0\n", "part out of range")
put(bad, "dump-type0-2000-9-%s-D" % t, b"part 2000\n", "part out of range")
put(bad, "dump-type0-1--5-%s-D" % t, b"negative count\n", "negative count")
put(bad, "dump-type0-1-99999999999-%s-D" % t, b"count overflows\n", "not a dump-type name")
put(bad, "dump-type0-1-10-%s-X" % t, b"flag X\n", "compression flag not C or D")
put(bad, "dump-type0-1-11-%s-DD" % t, b"trailing\n", "not a dump-type name")
put(bad, "dump-type7-1-2-%s-C" % t, raw_deflate(b"compressed pmsg\n"),
    "compressed record not of dmesg type")
# Over the length limit by one: its first 65 characters are a valid name.
put(bad, "dump-type0-1-12-" + t.rjust(65 - 18, "0") + "-DZ", b"66 characters\n", "name too long")
put(bad, "dump-type0-1-13-%s-D" % t + "x" * 172, b"200 characters\n", "name too long")
put(bad, "dump-type0-1-14-17000000\xe900-D", b"not ascii\n", "name not ASCII")
put(bad, "dump-type0-1-15-%s D" % t, b"space\n", "name not ASCII")
put(bad, "lw-not-a-dump", b"foreign\n", "not a dump-type name")
# Aliases: the fields of a valid name, spelled otherwise (a zero-padded
# time 65 characters long, signs, leading zeros): not ours.
noncanon = "name not in its canonical spelling"
put(bad, "dump-type0-1-3-" + t.rjust(65 - 17, "0") + "-D", b"padded alias\n", noncanon)
put(bad, "dump-type0-1-+16-%s-D" % t, b"plus alias\n", noncanon)
put(bad, "dump-type0-01-17-%s-D" % t, b"zero alias\n", noncanon)
put(bad, "lw-dense01-type0-1-18-%s" % t, b"LW dense alias\n", noncanon)
def shown(n):
    return "".join(c if 0x20 <= ord(c) < 0x7f else "?" for c in n[:80]) + ("..." if len(n) > 80 else "")
# As a fresh efivarfs mount lists them: UCS-2 names in UTF-8.
for n, l in (("valid", valid), ("bad", bad), ("dup", dup)):
    with open(os.path.join(top, n + ".list"), "wb") as f:
        f.write(b"".join(x.encode("utf-8") + b"\n" for x, _ in l))
with open(os.path.join(top, "reasons.tsv"), "w") as f:
    for x, why in bad + dup:
        f.write("%s\t%s\n" % (shown(x), why))
with open(os.path.join(d, "..", "order.list"), "wb") as f:
    f.write(b"".join(x.encode("latin-1") + b"\n" for x in order))
PY
nbad=$(grep -c . "$LW_TEST_LOG/bad.list")
nvalid=$(grep -c . "$LW_TEST_LOG/valid.list")

cat >"$b/guest-malformed.sh" <<GUEST
set -u
export LC_ALL=C
$LW_GUEST_DEBUGFS
$LW_GUEST_PUT_VARS
ev=/sys/firmware/efi/efivars
lw_put_vars $guid || exit 10
# efivarfs lists what it saw at mount time and its own changes: remount
# to see what the backend deleted.
ours() {
	umount \$ev && mount -t efivarfs none \$ev || echo 'could not remount efivarfs'
	ls \$ev | grep -- '-$guid\$' | sed 's/-$guid\$//' | sort
}
ours >\$LW_LOG/before.txt
$LW_LOAD_OURS || exit 11
$LW_GUEST_PSTORE || exit 12
d=/sys/kernel/debug/lw_efi_pstore
echo read=\$(cat \$d/read)
echo read_skipped=\$(cat \$d/read_skipped)
for f in /sys/fs/pstore/*; do printf '\\n== %s\\n' "\${f##*/}"; cat "\$f"; done >\$LW_LOG/records.txt
rm -f /sys/fs/pstore/*
echo erased=\$(cat \$d/erased)
echo files_left=\$(ls /sys/fs/pstore | wc -l)
ours >\$LW_LOG/after_erase.txt
umount /sys/fs/pstore
rmmod lw_efi_pstore || exit 13
echo lw-malformed: quota phase >/dev/kmsg
# Two valid records more, then a quota of one record: two are evicted, and
# no malformed variable.
printf '\\x07\\x00\\x00\\x00lw-quota-1\\n' >"\$ev/dump-type0-1-1-1600000000-D-$guid"
printf '\\x07\\x00\\x00\\x00lw-quota-2\\n' >"\$ev/dump-type0-1-1-1600000001-D-$guid"
$LW_LOAD_OURS quota_records=1 || exit 14
# The flush work the load queues evicts them: wait until it has (at least
# 2 min: a backstop), then a second more for any eviction beyond them.
t=0
until [ "\$(cat \$d/evicted)" -ge 2 ]; do
	t=\$((t + 1))
	[ \$t -le 1200 ] || { echo 'quota: the flush work never evicted 2 records'; break; }
	sleep 0.1
done
sleep 1
echo evicted=\$(cat \$d/evicted)
ours >\$LW_LOG/after_quota.txt
GUEST

lw_boot malformed -- "bash \$LW_LOG/guest-malformed.sh"
rc=$?
out=$b/out.log
cat "$out"
lw_assert_eq "$rc" 0 "guest sequence"
! grep -q '^could not' "$out" || lw_fail "efivarfs: $(grep '^could not' "$out" | head -1)"
lw_assert_eq "$(grep -c . "$b/before.txt")" "$((nbad + nvalid + 1))" "all variables in NVRAM"

lw_assert_eq "$(lw_counter "$out" read_skipped)" "$((nbad + 1))" \
	"skipped: every malformed one and one of the two with the same id"
lw_assert_eq "$(lw_counter "$out" read)" "$nvalid" "read: every valid record"
r=$b/records.txt
for i in 1 2 3 4 5 6 7; do
	lw_assert_grep "$r" "^lw-valid-$i " "valid record $i read back with its text"
done
lw_assert_eq "$(grep -c '^lw-valid-2 compressed' "$r")" 20 "compressed record inflated whole"
lw_assert_grep "$r" '^== pmsg-lw_efi_pstore-' "pmsg record under its own name"
lw_assert_eq "$(grep -ac '^== .*\.enc\.z$' "$r")" 1 "one record pstore could not inflate into 3 * record_size"
lw_assert_grep "$r" '^== dmesg-lw_efi_pstore-170000000501021\.enc\.z$' "it is the one written with a larger record_size"
! grep -qE 'type 9|type max|before 1970|after 9999|part 0|part 2000|negative count|count overflows|flag X|trailing|compressed pmsg|66 characters|200 characters|not ascii|space|foreign|alias' "$r" ||
	lw_fail "a malformed record surfaced: $(grep -E 'type 9|before 1970|enc\.z' "$r" | head -3)"
echo "ok: no malformed record surfaced"
! grep -qE '^== .*-(19[0-6][0-9]|1900)' "$r" || lw_fail "a record dated before 1970"

# Each skip line names a skipped variable and the reason its table entry
# gives; the rate limit lets the first 10 through.
python3 - "$b/console.log" "$LW_TEST_LOG/reasons.tsv" <<'PY' || lw_fail "skip lines do not match the variables"
import re, sys
want = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]))
log = open(sys.argv[1], errors="replace").read().split("lw-malformed: quota phase")[0]
lines = re.findall(r"lw_efi_pstore: skipped variable '(.*)': (.*?)\r?$", log, re.M)
ok = True
for name, why in lines:
    if want.get(name) != why:
        print(f"line names '{name}': '{why}', table says '{want.get(name)}'")
        ok = False
# At most 10 per 5 s: all within one interval unless the read took longer.
if not 1 <= len(lines) <= len(want):
    print(f"{len(lines)} skip lines for {len(want)} skipped variables")
    ok = False
print(f"ok: {len(lines)} skip lines, each naming its variable and reason; {len(want)} skipped")
sys.exit(0 if ok else 1)
PY

lw_assert_eq "$(lw_counter "$out" erased)" "$nvalid" "every valid record erased"
lw_assert_eq "$(lw_counter "$out" files_left)" 0 "pstore empty after unlinking"
# Left in NVRAM: the malformed ones, untouched, and the skipped duplicate.
sort "$LW_TEST_LOG/bad.list" >"$LW_TEST_LOG/bad.sorted"
comm -13 "$b/after_erase.txt" "$LW_TEST_LOG/bad.sorted" >"$LW_TEST_LOG/bad_missing"
lw_assert_eq "$(grep -c . "$LW_TEST_LOG/bad_missing")" 0 "no malformed variable erased"
lw_assert_eq "$(grep -c . "$b/after_erase.txt")" "$((nbad + 1))" "only the malformed and the duplicate left"

lw_assert_eq "$(lw_counter "$out" evicted)" 2 "quota_records=1: two valid records evicted"
comm -13 "$b/after_quota.txt" "$LW_TEST_LOG/bad.sorted" >"$LW_TEST_LOG/bad_evicted"
lw_assert_eq "$(grep -c . "$LW_TEST_LOG/bad_evicted")" 0 "the quota evicted no malformed variable"
! grep -q 'dump-type0-1-1-16000000' "$b/after_quota.txt" ||
	lw_fail "the quota kept an older record and evicted a newer one"
echo "ok: the two oldest records evicted"
