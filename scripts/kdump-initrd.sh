#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The crash kernel's initramfs for the kdump tests (selftests/kdump/): Debian's
# busybox-static, makedumpfile and kexec-tools' vmcore-dmesg (with the
# libraries they link), and an /init that proves the capture: it prints the
# size of /proc/vmcore, reads the crashed kernel's log out of it
# (makedumpfile --dump-dmesg; vmcore-dmesg where makedumpfile cannot:
# Debian 12's does not know arm64's 52-bit virtual addresses), prints that
# log's telling lines (lw_kdump_mark= from the crash kernel's command line,
# the panic message, pstore's) and its last lines on the console, each
# prefixed "lw-kdump-log: ", and powers the machine off. Lines the host reads (selftests/kdump/kdump.sh):
#
#   lw-kdump: vmcore BYTES
#   lw-kdump: dmesg LINES lines     (or "lw-kdump: dmesg failed RC")
#   lw-kdump-log: ...               (the crashed kernel's last log lines)
#   lw-kdump: done
#
# Built once into $LW_CACHE/kdump/, keyed by what goes into it; prints its
# path.
#
# Usage: kdump-initrd.sh [ARCH]   ARCH: x86_64 (the default: this machine's
#                                 busybox, makedumpfile and vmcore-dmesg) or
#                                 arm64 (the arm64 root's, scripts/rootfs.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

arch=${1:-x86_64}
case $arch in
x86_64) root= multiarch=x86_64-linux-gnu ;;
arm64) root=$("$here/scripts/rootfs.sh" arm64) multiarch=aarch64-linux-gnu ;;
*) lw_die "kdump-initrd.sh: no initramfs for architecture '$arch'" ;;
esac
bb=$root/bin/busybox
mdf=$root/usr/bin/makedumpfile
vmd=$root/sbin/vmcore-dmesg
[ -x "$bb" ] || lw_die "$bb missing: run scripts/setup.sh (apt-get install busybox-static)"
[ -x "$mdf" ] || lw_die "$mdf missing: run scripts/setup.sh (apt-get install makedumpfile)"
[ -x "$vmd" ] || lw_die "$vmd missing: run scripts/setup.sh (apt-get install kexec-tools)"
# A static busybox has no program interpreter.
! readelf -l "$bb" | grep 'program interpreter' >/dev/null || lw_die "$bb is not static (install busybox-static)"

# The libraries makedumpfile and vmcore-dmesg need, by the paths the dynamic loader uses
# (the ELF's interpreter and DT_NEEDED, transitively, found in $root's
# library directories: readelf reads any architecture's ELF, ldd only this
# machine's).
needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
interp=$(readelf -l "$mdf" | sed -n 's/.*program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] && [ -e "$root$interp" ] || lw_die "$mdf: no program interpreter ($interp)"
libs=$interp
todo="$(needed "$mdf") $(needed "$vmd")"
while [ -n "$todo" ]; do
	next=
	for n in $todo; do
		l=
		for d in /lib/$multiarch /usr/lib/$multiarch /lib /usr/lib; do
			[ -e "$root$d/$n" ] && { l=$d/$n; break; }
		done
		[ -n "$l" ] || lw_die "library $n missing in ${root:-/}"
		case " $libs " in *" $l "*) continue ;; esac
		libs+=" $l"
		next+=" $(needed "$root$l")"
	done
	todo=$next
done

init=$(cat <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "lw-kdump: crash kernel up"
if [ -e /proc/vmcore ]; then
	echo "lw-kdump: vmcore $(stat -c %s /proc/vmcore)"
	makedumpfile --dump-dmesg /proc/vmcore /tmp/dmesg.txt >/tmp/mdf.out 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		sed 's/^/lw-kdump-mdf: /' /tmp/mdf.out | tail -n 5
		echo "lw-kdump: makedumpfile failed $rc, vmcore-dmesg"
		vmcore-dmesg /proc/vmcore >/tmp/dmesg.txt 2>/tmp/mdf.out
		rc=$?
	fi
	if [ $rc = 0 ]; then
		echo "lw-kdump: dmesg $(wc -l </tmp/dmesg.txt) lines"
		# The lines that tell what happened: the test's marker
		# (lw_kdump_mark= on the crash kernel's command line: init's
		# environment), the panic message, the end of the kmsg dumps
		# (lw_crash_test), pstore's and the backends' lines; then the last.
		grep -E -e "${lw_kdump_mark:-lw-kdump-no-mark}" \
			-e 'Kernel panic - not syncing|kmsg dumpers done|pstore' /tmp/dmesg.txt |
			sed 's/^/lw-kdump-log: /'
		echo "lw-kdump: last lines"
		tail -n "${lw_kdump_lines:-20}" /tmp/dmesg.txt | sed 's/^/lw-kdump-log: /'
	else
		echo "lw-kdump: dmesg failed $rc"
		sed 's/^/lw-kdump-mdf: /' /tmp/mdf.out | tail -n 20
	fi
else
	echo "lw-kdump: no /proc/vmcore"
fi
echo "lw-kdump: done"
sync
poweroff -f
INIT
)

key=$( { cat "$bb" "$mdf" "$vmd"; for l in $libs; do cat "$root$l"; done; echo "$init"; } |
	sha256sum | cut -c1-12)
out=$LW_CACHE/kdump/initrd-$arch-$key.cpio.gz
if [ ! -f "$out" ]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,proc,sys,dev,tmp,usr/bin}
	cp "$bb" "$stage/bin/busybox"
	cp "$mdf" "$stage/bin/makedumpfile"
	cp "$vmd" "$stage/bin/vmcore-dmesg"
	for l in $libs; do
		mkdir -p "$stage$(dirname "$l")"
		cp -L "$root$l" "$stage$l"
	done
	printf '%s\n' "$init" >"$stage/init"
	chmod 755 "$stage/init"
	mkdir -p "$LW_CACHE/kdump"
	# Tests run side by side may build it at once: each writes its own
	# file and renames it into place (atomic, and the same content).
	tmp=$(mktemp "$LW_CACHE/kdump/.initrd.XXXXXX")
	(cd "$stage" && find . | sort | cpio -o -H newc --quiet | gzip -9) >"$tmp"
	chmod 644 "$tmp"
	mv "$tmp" "$out"
	# Older ones of this architecture (and the unnamed ones of before arm64).
	find "$LW_CACHE/kdump" \( -name "initrd-$arch-*.cpio.gz" -o -name 'initrd-????????????.cpio.gz' \) \
		! -name "${out##*/}" -delete
fi
echo "$out"
