// SPDX-License-Identifier: GPL-2.0
/* This module's own copy of the lastwords C shims. */
#include "../../../rust/helpers.c"
