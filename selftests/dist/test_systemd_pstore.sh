#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Taking over from efi_pstore on a systemd distribution: with dist/'s
# modprobe.d and modules-load.d files and the module in updates/dkms (as
# `dkms install` puts it; in the guest, over tmpfs and overlay mounts):
#  boot 1: systemd-modules-load loads lw_efi_pstore, which registers; a
#          panic (lw_crash_test) is dumped;
#  boot 2: `modprobe -abq efi_pstore` (what systemd-pstore.service's
#          modprobe@efi_pstore.service runs) loads ours and not the C
#          backend; systemd-pstore, with /var/lib/systemd on a tmpfs,
#          archives the panic's record and removes it from pstore and NVRAM.
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: lw_crash_test: panic_task'
for b in /lib/systemd/systemd-pstore /lib/systemd/systemd-modules-load; do
	[ -x "$b" ] || lw_skip "no $b on this machine (systemd)"
done

nv=$LW_TEST_LOG/nvram.fd
marker="lw-systemd-$(date +%s)-$RANDOM"
# The module where `dkms install` puts it (on an overlay of the guest's
# modules directory), and the configuration in /etc.
install="
	v=\$(uname -r)
	m=\$(readlink -f /lib/modules/\$v)
	mkdir -p /run/lwmod && mount -t tmpfs none /run/lwmod && mkdir /run/lwmod/u /run/lwmod/w || exit 20
	mount -t overlay overlay -o lowerdir=\$m,upperdir=/run/lwmod/u,workdir=/run/lwmod/w \$m || exit 21
	mkdir -p \$m/updates/dkms && cp lw_efi_pstore.ko lw_crash_test.ko \$m/updates/dkms/ || exit 22
	# The index of only the modules this test loads, C efi_pstore included:
	# a full depmod reads every module of the kernel, minutes under TCG.
	c=\$(find -L \$m/kernel -name 'efi-pstore.ko*' | head -1)
	[ -n \"\$c\" ] || exit 23
	depmod \$v \$m/updates/dkms/lw_efi_pstore.ko \$m/updates/dkms/lw_crash_test.ko \$c 2>/dev/null || exit 23
	for d in modprobe.d modules-load.d; do
		mount -t tmpfs none /etc/\$d && cp dist/\$d/lastwords.conf /etc/\$d/ || exit 24
	done
	loaded() { echo \$1=\$(grep -oE '^(lw_)?efi_pstore ' /proc/modules | tr -d ' ' | sort | tr '\n' ' ')backend=\$(cat /sys/module/pstore/parameters/backend); }
"
lw_boot boot1 --nvram "$nv" -- "
	$install
	loaded before
	/lib/systemd/systemd-modules-load
	loaded modules_load
	$LW_GUEST_DEBUGFS
	modprobe lw_crash_test || exit 25
	echo '$marker' >/dev/kmsg
	echo panic_task >/sys/kernel/debug/lw_crash/run
"
o1=$LW_TEST_LOG/boot1/out.log
cat "$o1"
lw_assert_eq "$(lw_result boot1)" panic "boot 1 panicked"
lw_assert_eq "$(lw_counter "$o1" before)" "backend=(null)" "boot 1: no backend before"
lw_assert_eq "$(lw_counter "$o1" modules_load)" "lw_efi_pstore backend=lw_efi_pstore" \
	"boot 1: systemd-modules-load loaded lw_efi_pstore, the backend"

lw_boot boot2 --nvram "$nv" -- "
	$install
	modprobe -abq efi_pstore
	echo modprobe_rc=\$?
	loaded modprobe
	mount -t tmpfs none /var/lib/systemd || exit 26
	$LW_GUEST_PSTORE || exit 27
	echo ours_before=\$(ls /sys/fs/pstore | grep -c '^dmesg-lw_efi_pstore-')
	/lib/systemd/systemd-pstore
	echo systemd_pstore_rc=\$?
	find /var/lib/systemd/pstore -type f | sed 's/^/archived: /'
	echo archived_marker=\$(grep -rl '$marker' /var/lib/systemd/pstore | wc -l)
	echo archived_panic=\$(grep -rl 'Kernel panic - not syncing: lw_crash_test: panic_task' /var/lib/systemd/pstore | wc -l)
	echo ours_after=\$(ls /sys/fs/pstore | grep -c '^dmesg-lw_efi_pstore-')
	umount /sys/fs/pstore && $LW_GUEST_PSTORE || exit 28
	echo ours_remount=\$(ls /sys/fs/pstore | grep -c '^dmesg-lw_efi_pstore-')
"
o2=$LW_TEST_LOG/boot2/out.log
cat "$o2"
lw_assert_eq "$(lw_result boot2)" "exit 0" "boot 2 ran"
lw_assert_eq "$(lw_counter "$o2" modprobe_rc)" 0 "modprobe -abq efi_pstore succeeded"
lw_assert_eq "$(lw_counter "$o2" modprobe)" "lw_efi_pstore backend=lw_efi_pstore" \
	"modprobe efi_pstore loaded lw_efi_pstore, not the C module"
n=$(lw_counter "$o2" ours_before)
[ "${n:-0}" -gt 0 ] || lw_fail "no record of ours in pstore before systemd-pstore"
echo "ok: $n records in pstore"
lw_assert_eq "$(lw_counter "$o2" systemd_pstore_rc)" 0 "systemd-pstore ran"
[ "$(lw_counter "$o2" archived_marker)" -gt 0 ] || lw_fail "the panic's marker is not in /var/lib/systemd/pstore"
echo "ok: systemd-pstore archived the record with the marker"
[ "$(lw_counter "$o2" archived_panic)" -gt 0 ] || lw_fail "the panic message is not archived"
echo "ok: and the panic message"
lw_assert_eq "$(lw_counter "$o2" ours_after)" 0 "systemd-pstore removed the records from pstore"
lw_assert_eq "$(lw_counter "$o2" ours_remount)" 0 "and from NVRAM (none after a remount)"
