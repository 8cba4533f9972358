#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DKMS's POST_REMOVE (dkms.conf): once lw_efi_pstore is removed, dense
# records still in NVRAM have no reader on this machine but the lastwords
# command. Says how many there are and how to archive and erase them; never
# erases anything itself (the records may be what the user needs).
ev=/sys/firmware/efi/efivars
guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0
[ -d "$ev" ] || exit 0
n=$(ls "$ev" 2>/dev/null | grep -c -- "^lw-dense[0-9]*-.*-$guid\$")
[ "$n" -gt 0 ] || exit 0
cat <<EOF
lastwords: $n dense crash record variables remain in NVRAM. Without
lw_efi_pstore only the lastwords command reads them; to keep them and free
the space:
    lastwords archive /var/lib/systemd/pstore
(make in the source tree builds ./lastwords; cargo install --path
tools/lastwords installs it). See Documentation/lastwords.rst.
EOF
exit 0
