// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for the Rust building blocks in rust/lastwords/. Each module that
 * uses them compiles this file once through its own *_helpers.c wrapper, so
 * that every object belongs to exactly one module.
 */
#include <linux/bug.h>
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched/task.h>
#include <linux/smp.h>

#include "helpers.h"

/*
 * rust/lastwords/efivar.rs wraps the efivar_*() functions, exported in the
 * EFIVAR namespace; every module links the whole library.
 */
#ifdef LW_COMPAT_6_12
MODULE_IMPORT_NS(EFIVAR);
#else
MODULE_IMPORT_NS("EFIVAR");
#endif

bool lw_irqs_disabled(void)
{
	return irqs_disabled();
}

unsigned int lw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}

void lw_cpu_relax(void)
{
	cpu_relax();
}

bool lw_in_nmi(void)
{
	return in_nmi();
}

bool lw_in_hardirq(void)
{
	return in_hardirq();
}

bool lw_in_serving_softirq(void)
{
	return in_serving_softirq();
}

bool lw_in_task(void)
{
	return in_task();
}

#ifdef LW_COMPAT_6_12
bool lw_spin_trylock(spinlock_t *lock)
{
	return spin_trylock(lock);
}

/*
 * 7.x's local_interrupt_disable()/local_interrupt_enable()
 * (include/linux/interrupt_rc.h): a per-CPU count of nested sections, the
 * interrupt state saved by the outermost one and restored when the count
 * drops to zero, so sections may end in any order. The count is this
 * module's own (each module has its copy of these shims); an NMI inside a
 * section nests and unnests fully, and the state to restore is read before
 * the count drops, so an NMI after that cannot change it.
 */
struct lw_irq_disable_state {
	unsigned long flags;
	unsigned int count;
};

static DEFINE_PER_CPU(struct lw_irq_disable_state, lw_irq_disable_state);

void lw_local_interrupt_disable(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (this_cpu_inc_return(lw_irq_disable_state.count) == 1)
		this_cpu_write(lw_irq_disable_state.flags, flags);
}

void lw_local_interrupt_enable(void)
{
	unsigned long flags = this_cpu_read(lw_irq_disable_state.flags);

	if (this_cpu_dec_return(lw_irq_disable_state.count) == 0)
		local_irq_restore(flags);
}

void lw_lockdep_assert_irqs_disabled(void)
{
	lockdep_assert_irqs_disabled();
}
#endif /* LW_COMPAT_6_12 */

void lw_init_irq_work_hard(struct irq_work *work,
			   void (*func)(struct irq_work *work))
{
	*work = IRQ_WORK_INIT_HARD(func);
}

void lw_init_irq_work(struct irq_work *work,
		      void (*func)(struct irq_work *work))
{
	init_irq_work(work, func);
}

struct dentry *lw_debugfs_create_file(const char *name, umode_t mode,
				      struct dentry *parent, void *data,
				      const struct file_operations *fops)
{
	return debugfs_create_file(name, mode, parent, data, fops);
}

void lw_tasklet_schedule(struct tasklet_struct *t)
{
	tasklet_schedule(t);
}

int lw_kthread_run(int (*fn)(void *data), void *data, const char *name, int cpu,
		   bool hold_module, struct task_struct **ref)
{
	struct task_struct *t;

	if (hold_module)
		__module_get(THIS_MODULE);
	t = kthread_create(fn, data, "%s", name);
	if (IS_ERR(t)) {
		if (hold_module)
			module_put(THIS_MODULE);
		return PTR_ERR(t);
	}
	if (ref)
		*ref = get_task_struct(t);
	if (cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu))
		kthread_bind(t, cpu);
	wake_up_process(t);
	return 0;
}

bool lw_task_exited(struct task_struct *t)
{
	return READ_ONCE(t->exit_state) != 0;
}

void lw_put_task_struct(struct task_struct *t)
{
	put_task_struct(t);
}

void lw_kthread_exit_put(void)
{
	module_put_and_kthread_exit(0);
}

void lw_bug(void)
{
	BUG();
}

void lw_warn(const char *msg)
{
	WARN(1, "%s", msg);
}

/* What only x86 has (rust/lastwords/arch/ is the Rust side of this seam). */
#ifdef CONFIG_X86
#include "arch/x86/nmi.c"
#endif
