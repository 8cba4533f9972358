#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DKMS: `dkms add` and `dkms build` (Debian's dkms, in the trixie chroot that
# has the kernel's rustc) of this source tree for the kernel under test,
# with the prepared tree as --kernelsourcedir; then the built
# lw_efi_pstore.ko is loaded in the VM (vermagic of that kernel), registers,
# and it and the DKMS-built lw_crash_test carry a panic's record across a
# reboot.
set -u
. "$(dirname "$0")/../lib.sh"

lw_chroot_kernel || lw_skip "DKMS runs in the trixie chroot, which builds for KERNEL=7.3 and debian-7.3"
lw_expect_splat 'Kernel panic - not syncing: lw_crash_test: panic_softirq'

kdir=$("$lw_repo/scripts/kernel.sh")
rel=$(cat "$kdir/include/config/kernel.release")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$lw_repo/dkms.conf")
# Under the cache: the chroot sees it at the same path.
work=$LW_CACHE/tmp/dkms-$$
trap 'rm -rf "$work"' EXIT
src=$work/src/lastwords-$ver
mkdir -p "$src" "$work/dkms"
# The source as a user has it: the repository's files, no build output.
git -C "$lw_repo" ls-files -z --cached --others --exclude-standard |
	rsync -a --from0 --files-from=- "$lw_repo/" "$src/" || lw_fail "copying the source"
dk=(dkms --dkmstree "$work/dkms" --sourcetree "$work/src")
"$lw_repo/scripts/chroot.sh" run "${dk[@]}" add -m lastwords -v "$ver" >"$LW_TEST_LOG/dkms-add.log" 2>&1 ||
	{ cat "$LW_TEST_LOG/dkms-add.log"; lw_fail "dkms add"; }
echo "ok: dkms add -m lastwords -v $ver"
"$lw_repo/scripts/chroot.sh" run "${dk[@]}" build -m lastwords -v "$ver" -k "$rel" \
	--kernelsourcedir "$kdir" >"$LW_TEST_LOG/dkms-build.log" 2>&1
rc=$?
sed 's/^/  | /' "$LW_TEST_LOG/dkms-build.log"
lw_assert_eq "$rc" 0 "dkms build -m lastwords -v $ver -k $rel"
"$lw_repo/scripts/chroot.sh" run "${dk[@]}" status -m lastwords -k "$rel" | sed 's/^/dkms status: /'
mkdir -p "$LW_TEST_LOG/boot1" "$LW_TEST_LOG/boot2"
for m in lw_efi_pstore lw_crash_test; do
	f=$(find "$work/dkms/lastwords/$ver/$rel" -name "$m.ko*" | head -1)
	[ -n "$f" ] || lw_fail "dkms built no $m.ko"
	case $f in
	*.xz) xz -dc "$f" >"$LW_TEST_LOG/boot1/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$LW_TEST_LOG/boot1/$m.ko" ;;
	*) cp "$f" "$LW_TEST_LOG/boot1/$m.ko" ;;
	esac
	cp "$LW_TEST_LOG/boot1/$m.ko" "$LW_TEST_LOG/boot2/"
	echo "ok: dkms built ${f#"$work/dkms/"}"
done
vm=$(modinfo -F vermagic "$LW_TEST_LOG/boot1/lw_efi_pstore.ko")
lw_assert_eq "${vm%% *}" "$rel" "vermagic names the kernel"

nv=$LW_TEST_LOG/nvram.fd
marker="lw-dkms-$(date +%s)-$RANDOM"
lw_boot boot1 --nvram "$nv" -- "
	$LW_GUEST_DEBUGFS
	insmod \"\$LW_LOG/lw_efi_pstore.ko\" || exit 10
	echo backend=\$(cat /sys/module/pstore/parameters/backend)
	insmod \"\$LW_LOG/lw_crash_test.ko\" || exit 11
	echo '$marker' >/dev/kmsg
	echo panic_softirq >/sys/kernel/debug/lw_crash/run
"
cat "$LW_TEST_LOG/boot1/out.log"
lw_assert_eq "$(lw_result boot1)" panic "the DKMS-built modules loaded and the kernel panicked"
lw_assert_eq "$(lw_counter "$LW_TEST_LOG/boot1/out.log" backend)" lw_efi_pstore "the DKMS-built lw_efi_pstore registered"
lw_boot_read boot2 "$nv" "insmod \"\$LW_LOG/lw_efi_pstore.ko\""
lw_assert_eq "$?" 0 "boot 2 read the records"
lw_assert_grep "$LW_TEST_LOG/boot2/records.txt" "$marker" "the panic's record holds the marker"
lw_assert_grep "$LW_TEST_LOG/boot2/records.txt" 'Kernel panic - not syncing: lw_crash_test: panic_softirq' \
	"and the panic message"
