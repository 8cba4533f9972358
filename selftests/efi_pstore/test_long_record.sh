#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A log record longer than a part: one /dev/kmsg write of 45 lines of random
# bytes (a single record that prints as about 1.9 KiB and does not compress
# into a 1024-byte variable), between 60 older and 5 newer numbered lines,
# then a panic. After the reboot: the newer lines, the long record's
# beginning (stored as a plain part), and every older line, each once: the
# dump went on past the long record and dropped nothing it had fetched.
# lw-test: arm64
set -u
. "$(dirname "$0")/../lib.sh"

nv=$LW_TEST_LOG/nvram.fd
b=$LW_TEST_LOG/crash
mkdir -p "$b"
lw_expect_splat 'Kernel panic - not syncing: sysrq triggered crash'
python3 - "$b/long.txt" <<'PY'
import random, sys
r = random.Random(7)
alphabet = bytes(list(range(0x20, 0x7f)) + list(range(0x80, 0x100)))
lines = [b"lw-long-begin"] + [bytes(r.choice(alphabet) for _ in range(19)) for _ in range(45)] + [b"lw-long-end"]
open(sys.argv[1], "wb").write(b"\n".join(lines))
PY

lw_boot crash --nvram "$nv" -- "
	insmod ./lw_efi_pstore.ko || exit 10
	$LW_GUEST_DEBUGFS
	for i in \$(seq 1 60); do echo \"lw-older \$i\" >/dev/kmsg; done
	cat \$LW_LOG/long.txt >/dev/kmsg || exit 11
	for i in \$(seq 1 5); do echo \"lw-newer \$i\" >/dev/kmsg; done
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
"
lw_assert_eq "$(lw_result crash)" panic "boot 1 went down in a panic"
lw_boot_read read "$nv"
lw_assert_eq "$?" 0 "boot 2 read the records"
r=$LW_TEST_LOG/read/records.txt
for i in 1 5; do
	lw_assert_eq "$(grep -ac "\] lw-newer $i\$" "$r")" 1 "newer line $i once"
done
lw_assert_eq "$(grep -ac '\] lw-long-begin$' "$r")" 1 "the long record's beginning stored"
n=0
for i in $(seq 1 60); do
	c=$(grep -ac "\] lw-older $i\$" "$r")
	[ "$c" = 1 ] || lw_fail "older line $i found $c times: the dump did not go on past the long record"
	n=$((n + 1))
done
echo "ok: all $n older lines, each once"
