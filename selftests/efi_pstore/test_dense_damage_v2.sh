#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Damaged and cut-off dense records of format version 2, as the module
# writes them now (dense_damage.sh).
# lw-test: arm64
set -u
V=2
. "$(dirname "$0")/dense_damage.sh"
