#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The crash kernel's initramfs for the kdump tests (selftests/kdump/): Debian's
# busybox-static and makedumpfile (with the libraries it links), and an /init
# that proves the capture: it prints the size of /proc/vmcore, reads the
# crashed kernel's log out of it (makedumpfile --dump-dmesg), prints that
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
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

bb=/bin/busybox
mdf=/usr/bin/makedumpfile
[ -x "$bb" ] || lw_die "$bb missing: run scripts/setup.sh (apt-get install busybox-static)"
[ -x "$mdf" ] || lw_die "$mdf missing: run scripts/setup.sh (apt-get install makedumpfile)"
# ldd fails on a static binary ("not a dynamic executable").
! ldd "$bb" >/dev/null 2>&1 || lw_die "$bb is not static (install busybox-static)"

# The libraries makedumpfile needs, by the paths the dynamic loader uses.
libs=$(ldd "$mdf" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | sort -u)
[ -n "$libs" ] || lw_die "ldd $mdf printed no libraries"
! ldd "$mdf" | grep -q 'not found' || lw_die "makedumpfile's libraries missing: $(ldd "$mdf" | grep 'not found')"

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

key=$( { cat "$bb" "$mdf" $libs; echo "$init"; } | sha256sum | cut -c1-12)
out=$LW_CACHE/kdump/initrd-$key.cpio.gz
if [ ! -f "$out" ]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,proc,sys,dev,tmp,usr/bin}
	cp "$bb" "$stage/bin/busybox"
	cp "$mdf" "$stage/bin/makedumpfile"
	for l in $libs; do
		mkdir -p "$stage$(dirname "$l")"
		cp -L "$l" "$stage$l"
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
	find "$LW_CACHE/kdump" -name 'initrd-*.cpio.gz' ! -name "${out##*/}" -delete
fi
echo "$out"
