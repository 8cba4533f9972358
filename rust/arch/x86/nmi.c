// SPDX-License-Identifier: GPL-2.0
/*
 * x86's NMI shim for rust/lastwords/arch/x86/nmi.rs, part of rust/helpers.c
 * (included there under CONFIG_X86).
 */
#include <asm/apic.h>

void lw_send_nmi_self(void)
{
	__apic_send_IPI_self(NMI_VECTOR);
}
