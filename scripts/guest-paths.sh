#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Refuses, at once and with the fix, a repository, cache or KDIR that the
# test VMs cannot see at its host path (see LW_GUEST_PRIVATE in lib.sh):
# `make demo`, `check`, `selftest` and `bench` run it before building.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lw_check_guest_visible
