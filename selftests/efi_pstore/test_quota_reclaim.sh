#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The quota reclaims what a power cut left: the three parts of an old dense
# dump, each ours by name and header (magic, version 1) but damaged (cut
# short, a bit flip, cut after its version byte), count against the quota
# and are evicted first (the oldest); a part of another format version under
# a dense name, and a foreign dense name, are not ours and stay. Built on the
# host from the documented format, written through efivarfs; the backend
# loads with quota_records=2 beside two newer C-compatible records, and the
# flush work it runs at load enforces the quota. Asserts: exactly the three
# damaged parts evicted (counter, and the variables left in NVRAM).
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C

guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0
b=$LW_TEST_LOG/reclaim
vars=$b/vars
mkdir -p "$vars"
time=1764000000

PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$lw_repo/selftests/efi_pstore python3 - "$vars" "$lw_repo/rust/core/dict/kmsg1.dict" "$time" <<'PY' ||
import sys
from lw_vars import Vars
v = Vars(sys.argv[1], sys.argv[2])
t = int(sys.argv[3])
def text(count, p):
    return ("Panic#%d Part%d\n" % (count, p)).encode() + b"".join(
        b"<6>[ %4d.000000] lw-reclaim line %d\n" % (n, n) for n in range(1, 40))
cut = v.part(text(7, 1))
v.put("lw-dense1-type0-1-7-%d" % (t - 100), cut[: len(cut) // 2])
flip = bytearray(v.part(text(7, 2)))
flip[12 + (len(flip) - 12) // 2] ^= 0x10
v.put("lw-dense1-type0-2-7-%d" % (t - 100), bytes(flip))
v.put("lw-dense1-type0-3-7-%d" % (t - 100), v.part(text(7, 3))[:3])
v.put("lw-dense1-type0-1-8-%d" % (t - 200), v.part(text(8, 1), version=2))
v.put("lw-dense3-type0-1-9-%d" % (t - 300), v.part(text(9, 1), version=3))
for c in (1, 2):
    v.put("dump-type0-1-%d-%d-D" % (c, t + c), b"Panic#%d Part1\nlw-reclaim C record\n" % c)
v.close()
PY
	lw_fail "could not build the variables"

cat >"$b/guest-reclaim.sh" <<GUEST
set -u
$LW_GUEST_DEBUGFS
$LW_GUEST_PUT_VARS
ev=/sys/firmware/efi/efivars
lw_put_vars $guid || exit 10
insmod ./lw_efi_pstore.ko quota_records=2 || exit 11
d=/sys/kernel/debug/lw_efi_pstore
# The flush work at load evicts until the quota holds: wait for the state
# it leaves (at least 3 evicted), 2 min at most (a backstop).
end=\$((\$(date +%s) + 120))
until [ \$(cat \$d/evicted) -ge 3 ] || [ \$(date +%s) -ge \$end ]; do
	sleep 0.2
done
echo evicted_count=\$(cat \$d/evicted)
echo quota_errors=\$(dmesg | grep -c 'quota not enforced')
rmmod lw_efi_pstore || exit 12
umount \$ev && mount -t efivarfs none \$ev || exit 13
ls \$ev | grep -- '-$guid\$' | sed 's/-$guid\$//' | sort >\$LW_LOG/after.txt
GUEST

lw_boot reclaim -- "bash \$LW_LOG/guest-reclaim.sh"
rc=$?
out=$b/out.log
cat "$out"
lw_assert_eq "$rc" 0 "the guest wrote the variables and loaded the backend"
lw_assert_eq "$(lw_counter "$out" evicted_count)" 3 "the three damaged parts of ours evicted"
lw_assert_eq "$(lw_counter "$out" quota_errors)" 0 "no 'quota not enforced' line"
lw_assert_eq "$(tr '\n' ' ' <"$b/after.txt")" \
	"dump-type0-1-1-$((time + 1))-D dump-type0-1-2-$((time + 2))-D lw-dense1-type0-1-8-$((time - 200)) lw-dense3-type0-1-9-$((time - 300)) " \
	"left in NVRAM: the two C records, the version-2 part under a version-1 name, the foreign version"
