#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the build and the VM tests need, idempotently: silent and fast
# when everything is already there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# This machine's setup, never the trixie chroot's: run there (say, through a
# make target inside scripts/chroot.sh run), it would install bookworm's
# packages into the chroot (rustc-web over the rustc the 7.3 trees are built
# with) and remake the cache's venv with the chroot's Python.
[ -z "${LW_IN_CHROOT:-}" ] ||
	lw_die "setup.sh runs on the host, not in the chroot (scripts/chroot.sh run): run the make target outside it"

PKGS=(linux-source-6.12 rustc-web rust-web-src cargo-web rust-web-clippy rustfmt-web
      libclang-dev clang lld llvm bc flex bison libelf-dev libssl-dev dwarves
      cpio kmod qemu-system-x86 ovmf busybox-static python3-venv
      build-essential git libseccomp-dev libcap-ng-dev debootstrap rsync
      kexec-tools makedumpfile qemu-system-arm qemu-efi-aarch64
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

mkdir -p "$LW_CACHE" "$LW_TOOLS"

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		lw_die "missing packages: ${missing[*]}
Install them (Debian 12: apt-get install ${missing[*]}) and run again,
or build against your own Rust-enabled kernel tree with KDIR=/path/to/tree."
	fi
	lw_say "setup: installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# kexec-tools for the kdump tests' guests (kexec -p): it must not take
	# over this machine's own reboots.
	echo "kexec-tools kexec-tools/load_kexec boolean false" | debconf-set-selections
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LW_CACHE/apt.log" 2>&1 ||
		{ tail -30 "$LW_CACHE/apt.log"; lw_die "apt-get install failed"; }
fi

if ! "$LW_TOOLS/bin/bindgen" --version 2>/dev/null | grep -q " $LW_BINDGEN_VERSION\$"; then
	lw_say "setup: cargo install bindgen-cli $LW_BINDGEN_VERSION"
	lw_cargo install -q --locked --root "$LW_TOOLS" bindgen-cli --version "$LW_BINDGEN_VERSION" \
		>"$LW_CACHE/bindgen-install.log" 2>&1 ||
		{ tail -30 "$LW_CACHE/bindgen-install.log"; lw_die "bindgen-cli install failed"; }
fi

# virtio-fs for the guests' root (scripts/vm.sh): Debian 12 has only QEMU's
# old C virtiofsd, which virtme-ng cannot drive.
if ! "$LW_TOOLS/bin/virtiofsd" --version 2>/dev/null | grep -q " $LW_VIRTIOFSD_VERSION\$"; then
	lw_say "setup: cargo install virtiofsd $LW_VIRTIOFSD_VERSION"
	lw_cargo install -q --locked --root "$LW_TOOLS" virtiofsd --version "$LW_VIRTIOFSD_VERSION" \
		>"$LW_CACHE/virtiofsd-install.log" 2>&1 ||
		{ tail -30 "$LW_CACHE/virtiofsd-install.log"; lw_die "virtiofsd install failed"; }
fi

if ! "$LW_VENV/bin/vng" --version 2>/dev/null | grep -q "$LW_VIRTME_NG_VERSION"; then
	lw_say "setup: pip install virtme-ng==$LW_VIRTME_NG_VERSION into $LW_VENV"
	python3 -m venv "$LW_VENV"
	"$LW_VENV/bin/pip" install -q "virtme-ng==$LW_VIRTME_NG_VERSION" \
		>"$LW_CACHE/venv-install.log" 2>&1 ||
		{ tail -30 "$LW_CACHE/venv-install.log"; lw_die "virtme-ng install failed"; }
fi
