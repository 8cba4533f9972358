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
# or debian-7.3 (Debian's stock 7.3 kernel image, not built here). See
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
		{ [ "$LW_KERNEL" = 7.3 ] || [ "$LW_KERNEL" = debian-7.3 ]; }
}
