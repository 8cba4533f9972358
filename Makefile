# SPDX-License-Identifier: GPL-2.0
#
# lastwords: make           build every module (and, without KDIR=, the kernel)
#                           and the lastwords command (./lastwords)
#            make tool      the lastwords command alone (tools/lastwords)
#            make tool-arm64   the same cross-built for arm64 (./lastwords-arm64)
#            make check     install, build, lint, host tests and VM selftests
#            make check-quick   the same, with only the VM tests that catch most
#                           regressions (minutes, not a quarter hour)
#            make check-arm64   the same for Debian's stock arm64 kernel, in
#                           arm64 VMs (the tests marked for arm64; CI runs it
#                           after make check)
#            make demo      crash -> reboot -> recovered panic record, in a VM
#            make bench     in-VM microbenchmarks against the C anchors
#            make bench-pstore [LOG="FILE..."]   the pstore write path alone:
#                           log per NVRAM byte and dump time against the C
#                           efi_pstore, on the given kernel logs (`dmesg`
#                           output of your machines) or samples/logs/;
#                           BASE=REV adds the module of git revision REV
#            make fuzz      property-based fuzzing of the record code
#                           (LW_FUZZ_CASES per property, default 2 million:
#                           10 million inputs; not part of check)
#            make kselftest-install [KSFT_INSTALL=DIR]
#                           the kselftest target "lastwords" with the
#                           kernel's run_kselftest.sh, into DIR
#            make rust-analyzer   rust-project.json for editors
#
# KERNEL=7.3 (default) or KERNEL=6.12 picks the cached Debian kernel build
# the modules are built and tested against (make check runs both, unless
# KERNEL= names one); KERNEL=debian-7.3 builds for Debian's stock 7.3 kernel
# image and tests on it (KERNEL=debian-7.3-arm64: its arm64 build); KDIR=/path/to/tree builds against your own
# Rust-enabled kernel tree instead. kbuild itself reads ./Kbuild.

export KDIR KERNEL KSFT_INSTALL LOG BASE

.PHONY: all modules tool tool-arm64 setup kernel check check-quick check-arm64 lint fmt hosttest fuzz selftest demo bench bench-pstore \
	kselftest-install rust-analyzer clean guest-paths

all: modules tool

tool: setup
	@scripts/tool.sh

tool-arm64: setup
	@scripts/tool.sh arm64

setup:
	@scripts/setup.sh

# Before anything that boots a VM (and before minutes of building): the
# guests must see the repository, the cache and KDIR at their host paths.
guest-paths:
	@scripts/guest-paths.sh

kernel: setup
	@scripts/kernel.sh >/dev/null

modules: kernel
	@scripts/modules.sh

lint: kernel
	@scripts/lint.sh

fmt: kernel
	@scripts/lint.sh --fix

hosttest:
	@scripts/hosttest.sh

fuzz: setup
	@scripts/hosttest.sh --fuzz

selftest: guest-paths modules
	@selftests/run.sh $(T)

check: guest-paths setup
	@scripts/check.sh

check-quick: guest-paths setup
	@scripts/check.sh --quick

check-arm64: guest-paths setup
	@scripts/check.sh --arm64

demo: guest-paths modules
	@scripts/demo.sh

bench: guest-paths setup
	@scripts/bench.sh

bench-pstore: guest-paths modules
	@scripts/bench-pstore.sh

kselftest-install: modules
	@scripts/kselftest.sh $(KSFT_INSTALL)

rust-analyzer: kernel
	@scripts/rust-analyzer.sh

clean:
	@scripts/modules.sh clean
