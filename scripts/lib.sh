# SPDX-License-Identifier: GPL-2.0
# Common settings for the build and test scripts. Source it, don't run it.

# Where everything that is not in the repository lives: the unpacked and built
# kernel, the virtme-ng venv, bindgen, and the VM logs.
LW_CACHE=${LW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lastwords}
LW_TOOLS=$LW_CACHE/tools
LW_VENV=$LW_CACHE/venv
LW_LOGS=${LW_LOGS:-$LW_CACHE/logs}

# The kernel to build and test against when KDIR is not given: 7.3 (the
# default: Debian's Rust-enabled kernel, whose kernel crate has the
# abstractions the modules use), 6.12 (LTS, through rust/lastwords/compat/),
# debian-7.3 (Debian's stock 7.3 kernel image, not built here) or
# debian-7.3-arm64 (its arm64 build, tested in arm64 VMs). See
# scripts/kernel.sh.
LW_KERNEL=${KERNEL:-7.3}

# Pinned tool versions (tested on Debian 12 with libclang 14).
LW_BINDGEN_VERSION=0.73.2
LW_VIRTME_NG_VERSION=1.42
LW_VIRTIOFSD_VERSION=1.14.0
# KERNEL=7.3: the source package's version, from trixie-backports (a new one
# is a new kernel build; the .deb is kept in $LW_CACHE/debs).
LW_LINUX_73_VERSION=7.3.4-1~bpo13+1
# KERNEL=debian-7.3: the flavour of Debian's stock kernel of that version
# (linux-image-7.3.4+deb13-amd64; scripts/stock-kernel.sh).
LW_DEBIAN_FLAVOUR=amd64

# The Rust compiler the kernel is built with: Debian's, because it ships the
# core library sources the kernel needs (rustup's copy does not).
LW_RUSTC=${RUSTC:-/usr/bin/rustc}
LW_CLIPPY_DRIVER=${CLIPPY_DRIVER:-/usr/bin/clippy-driver}
# Cargo for the host tools and tests: Debian's (cargo-web, the same release
# as rustc-web), so that a machine without rustup needs nothing else; with
# Debian's rustc and rustdoc, whatever else is first on PATH.
LW_CARGO=${CARGO:-/usr/bin/cargo}
lw_cargo() {
	RUSTC=$LW_RUSTC RUSTDOC=${RUSTDOC:-/usr/bin/rustdoc} "$LW_CARGO" "$@"
}
LW_RUSTFMT=${RUSTFMT:-/usr/bin/rustfmt}

# Inside the trixie chroot (scripts/chroot.sh run) the chroot's own tools
# count, not the host's builds of them.
[ -n "${LW_IN_CHROOT:-}" ] || export PATH="$LW_TOOLS/bin:$LW_VENV/bin:$PATH"

lw_t0=${lw_t0:-$(date +%s)}

# One progress line: "[  12s] phase: message".
lw_say() {
	printf '[%5ss] %s\n' "$(( $(date +%s) - lw_t0 ))" "$*"
}

lw_die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}
LW_KSFT_SKIP=4

# lw_chroot_kernel: true if the kernel KERNEL names is built for in the
# trixie chroot (its rustc, bindgen and libclang), from outside it.
lw_chroot_kernel() {
	[ -z "${KDIR:-}" ] && [ -z "${LW_IN_CHROOT:-}" ] &&
		case $LW_KERNEL in 7.3 | debian-7.3 | debian-7.3-arm64) true ;; *) false ;; esac
}

# Directories the test VMs' guests do not share with the host: virtme-ng
# (LW_VIRTME_NG_VERSION, both its Rust init and virtme-init) mounts a fresh
# tmpfs there, or the kernel's own file systems, so a host path under one of
# them does not exist in the guest (a checkout in /var/tmp: `cd: No such
# file or directory` inside the VM). The guest sees the rest of the host's
# root read-only (/tmp and home directories included).
LW_GUEST_PRIVATE=(/var/tmp /var/log /var/cache /var/lib/apt /var/spool/rsyslog
	/var/lib/portables /var/lib/machines /var/lib/private /run /dev /proc /sys
	/lib/modules)

# lw_kernel_arch: the architecture (x86_64 or arm64) of the kernel the
# modules are built for and the VMs boot: KDIR's, else KERNEL's.
lw_kernel_arch() {
	if [ -n "${KDIR:-}" ]; then
		if grep -qx 'CONFIG_ARM64=y' "$KDIR/.config" 2>/dev/null; then echo arm64; else echo x86_64; fi
	elif [ "$LW_KERNEL" = debian-7.3-arm64 ]; then
		echo arm64
	else
		echo x86_64
	fi
}

# lw_guest_hidden PATH: prints the guest-private directory that hides PATH
# (resolved, symlinks followed), and returns 0; returns 1 if the guest sees
# it.
lw_guest_hidden() {
	local p d
	p=$(realpath -m -- "$1")
	for d in "${LW_GUEST_PRIVATE[@]}"; do
		case "$p/" in
		"$d"/*) echo "$d"; return 0 ;;
		esac
	done
	return 1
}

# lw_check_guest_visible: dies, saying why and what to do, if the VMs could
# not see the repository or the cache (kernels, modules) at the same path.
lw_check_guest_visible() {
	local repo d
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	if d=$(lw_guest_hidden "$repo"); then
		lw_die "the repository is in $repo, under $d, which the test VMs cannot see:
virtme-ng gives each guest its own $d, and the guest runs the tests from the
host's path. Clone it elsewhere (your home directory, or /tmp) and run make there."
	fi
	if d=$(lw_guest_hidden "$LW_CACHE"); then
		lw_die "the cache (LW_CACHE) is in $LW_CACHE, under $d, which the test VMs
cannot see: virtme-ng gives each guest its own $d, and the guests load the
kernels' modules from the cache. Set LW_CACHE to a directory elsewhere (the
default is ~/.cache/lastwords)."
	fi
	if [ -n "${KDIR:-}" ] && d=$(lw_guest_hidden "$KDIR"); then
		lw_die "the kernel tree (KDIR) is in $KDIR, under $d, which the test VMs
cannot see: virtme-ng gives each guest its own $d, and the guests load the
tree's modules from it. Move the tree elsewhere (your home directory, or /tmp)."
	fi
}
