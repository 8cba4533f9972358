# SPDX-License-Identifier: GPL-2.0
# Packages from other Debian suites (trixie, trixie-backports) without touching
# the machine's apt sources: a private source list, state and cache under
# $LW_CACHE/apt/SUITE, and the mirror this machine's own apt configuration
# names (never a host name written here). Source it after lib.sh.

# lw_debian_mirror [SUITE]: the Debian mirror that this machine's apt sources
# use for SUITE if they name it (e.g. bookworm-security's URI), else for the
# machine's own release (e.g. the URI its bookworm lines name).
lw_debian_mirror() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || lw_die "no VERSION_CODENAME in /etc/os-release"
	apt-get indextargets --format '$(ORIGIN) $(RELEASE) $(REPO_URI)' 2>/dev/null |
		awk -v s="${1:-$codename}" -v c="$codename" '
			$1 == "Debian" && $2 == s { print $3; found = 1; exit }
			$1 == "Debian" && $2 == c && own == "" { own = $3 }
			END { if (!found && own != "") print own }' | grep . ||
		lw_die "no Debian mirror for $codename in this machine's apt sources"
}

# LW_APT_ARCH: the Debian architecture the private state is for (arm64 for
# KERNEL=debian-7.3-arm64); empty, this machine's own. Each has its own state.
LW_APT_ARCH=${LW_APT_ARCH:-}

# lw_apt_dir SUITE: SUITE's private state directory (for LW_APT_ARCH).
lw_apt_dir() {
	echo "$LW_CACHE/apt/$1${LW_APT_ARCH:+-$LW_APT_ARCH}"
}

# lw_apt SUITE TOOL ARGS...: apt-get or apt-cache (TOOL) on SUITE's private
# state.
lw_apt() {
	local suite=$1 tool=$2 d
	d=$(lw_apt_dir "$1")
	shift 2
	local arch=()
	[ -z "$LW_APT_ARCH" ] ||
		arch=(-o APT::Architecture="$LW_APT_ARCH" -o APT::Architectures="$LW_APT_ARCH")
	"$tool" -q -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=/dev/null \
		-o Dir::State::Lists="$d/lists" -o Dir::State::status="$d/status" \
		-o Dir::Cache="$d/cache" -o Debug::NoLocking=1 "${arch[@]}" "$@"
}

# lw_debian_update SUITE: the suite's package lists, fetched if missing or
# older than a day.
lw_debian_update() {
	local suite=$1 d mirror
	d=$(lw_apt_dir "$1")
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	touch "$d/status"
	if [ -n "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		return 0
	fi
	mirror=$(lw_debian_mirror "$suite")
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
		>"$d/sources.list"
	lw_apt "$suite" apt-get update >"$d/update.log" 2>&1 ||
		{ tail -20 "$d/update.log" >&2; lw_die "apt-get update for $suite failed"; }
}

# lw_debian_version SUITE PKG: the version of PKG that SUITE has.
lw_debian_version() {
	lw_debian_update "$1"
	lw_apt "$1" apt-cache show "$2" 2>/dev/null | sed -n 's/^Version: //p' | head -1
}

# lw_apt_has SUITE PKG VERSION: whether SUITE has PKG's VERSION.
lw_apt_has() {
	lw_debian_update "$1"
	lw_apt "$1" apt-cache show "$2" 2>/dev/null | grep -Fx "Version: $3" >/dev/null
}

# lw_debian_fetch SUITE PKG VERSION DIR: downloads PKG's .deb of VERSION from
# SUITE into DIR (once: the lists are not even read when it is there) and
# prints its path.
lw_debian_fetch() {
	local suite=$1 pkg=$2 ver=$3 dir=$4 deb
	mkdir -p "$dir"
	deb=$(find "$dir" -maxdepth 1 -name "${pkg}_${ver//:/%3a}_*.deb" | head -1)
	if [ -z "$deb" ]; then
		lw_debian_update "$suite"
		(cd "$dir" && lw_apt "$suite" apt-get download "$pkg=$ver" >"$dir/$pkg.download.log" 2>&1) ||
			{ tail -20 "$dir/$pkg.download.log" >&2
			  lw_die "downloading $pkg $ver from $suite failed (now: $(lw_debian_version "$suite" "$pkg"))"; }
		deb=$(find "$dir" -maxdepth 1 -name "${pkg}_${ver//:/%3a}_*.deb" | head -1)
	fi
	[ -n "$deb" ] || lw_die "$pkg: no .deb after download"
	echo "$deb"
}
