/* Entry from the task loop into the syscall table. */
#ifndef MOAT_SYSCALLS_DISPATCH_H
#define MOAT_SYSCALLS_DISPATCH_H

struct task;

/* Kernel-internal restart codes (never seen by applications). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* Serves the syscall in t->regs and stores its result in t->regs.rax. */
void syscall_dispatch(struct task *t);

#endif
