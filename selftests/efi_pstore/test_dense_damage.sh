#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Damaged and cut-off dense records of format version 1, as the modules
# before version 2 wrote them: still read (dense_damage.sh).
# lw-test: arm64
set -u
V=1
. "$(dirname "$0")/dense_damage.sh"
