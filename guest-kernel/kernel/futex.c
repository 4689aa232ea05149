/*
 * futex.c: futex(2) for single-threaded processes, which is what a C
 * library's locks, pthread_join-like waits on a CLONE_CHILD_CLEARTID word
 * and process-shared primitives in MAP_SHARED memory need:
 *   FUTEX_WAIT, FUTEX_WAIT_BITSET   sleep while *uaddr == val (EAGAIN if
 *                                   not), until woken, the timeout
 *                                   (relative for WAIT, absolute for
 *                                   WAIT_BITSET, CLOCK_MONOTONIC or with
 *                                   FUTEX_CLOCK_REALTIME the wall clock:
 *                                   ETIMEDOUT) or a fatal signal (EINTR)
 *   FUTEX_WAKE, FUTEX_WAKE_BITSET   wake up to val waiters whose bitset
 *                                   meets the caller's, return how many
 * FUTEX_PRIVATE_FLAG is accepted.  The other operations (requeue, wake-op,
 * priority inheritance) are ENOSYS.
 *
 * A futex is named as Linux names it: in a private mapping by the address
 * space and the address (a vfork child shares its parent's), in a
 * MAP_SHARED one by the physical address of the word, so that processes
 * sharing the page meet.  Waiters are a list of records on their kernel
 * stacks; a waker unlinks each one it wakes, so a waiter that finds
 * itself unlinked was woken.  Timeouts have the resolution of the timer
 * tick (timer.c).
 */
#include "defs.h"
#include "uapi/time.h"

#define FUTEX_WAIT          0
#define FUTEX_WAKE          1
#define FUTEX_WAIT_BITSET   9
#define FUTEX_WAKE_BITSET   10
#define FUTEX_PRIVATE_FLAG  128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK      (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

struct futex_key {
	const void *mm;           /* 0 for a shared futex */
	u64 addr;                 /* user address, or GPA when shared */
};

struct waiter {
	struct futex_key key;
	u32 bitset;
	struct proc *proc;
	struct waiter *next;
	bool queued;              /* on the list: not woken yet */
};

static struct waiter *waiters;

/* The key of the futex at user address uaddr of address space mm, whose
 * page is present (the caller checked it). */
static struct futex_key key_of(struct mm *mm, u64 uaddr)
{
	if (mm_shared_at(mm, uaddr))
		return (struct futex_key){ 0, uvm_gpa(mm->pml4, uaddr) };
	return (struct futex_key){ mm, uaddr };
}

static void unlink(struct waiter *w)
{
	for (struct waiter **pp = &waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->queued = false;
}

/* Wake up to n waiters on key whose bitset meets bitset; how many. */
static int wake(struct futex_key key, u32 bitset, u64 n)
{
	int woken = 0;

	for (struct waiter *w = waiters, *next; w && (u64)woken < n; w = next) {
		next = w->next;
		if (w->key.mm != key.mm || w->key.addr != key.addr || !(w->bitset & bitset))
			continue;
		unlink(w);
		proc_wake(w->proc);
		woken++;
	}
	return woken;
}

/* Sleep on the futex at uaddr while it holds val, until deadline
 * (monotonic ns; 0: none). */
static s64 futex_wait(u64 uaddr, u32 val, u32 bitset, u64 deadline)
{
	struct mm *mm = cpu.proc->mm;
	struct waiter w;

	if (!user_ok(uaddr, sizeof(u32), false))
		return -EFAULT;
	/* Nothing runs between this check and queueing: one CPU, and no
	 * interrupt in the kernel. */
	if (*(volatile u32 *)uaddr != val)
		return -EAGAIN;
	w.key = key_of(mm, uaddr);
	w.bitset = bitset;
	w.proc = cpu.proc;
	w.next = waiters;
	w.queued = true;
	/* w is on this kernel stack, and off the list before we return. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
	waiters = &w;
#pragma GCC diagnostic pop
	for (;;) {
		if (!w.queued)
			return 0;
		if (proc_killed()) {
			unlink(&w);
			return -EINTR;
		}
		if (deadline && clock_monotonic() >= deadline) {
			unlink(&w);
			return -ETIMEDOUT;
		}
		sleep(deadline ? timer_chan() : (const void *)&w);
	}
}

/* A timeout at user address ts_va as a monotonic deadline: relative to
 * now, or absolute on the clock the operation names.  0 and *deadline = 0
 * if there is none; -EFAULT, -EINVAL. */
static int deadline_of(u64 ts_va, bool absolute, bool realtime, u64 *deadline)
{
	struct timespec ts;
	u64 ns, now = clock_monotonic();

	*deadline = 0;
	if (!ts_va)
		return 0;
	if (copyin(&ts, ts_va, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (s64)NS_PER_S)
		return -EINVAL;
	if ((u64)ts.tv_sec > 100ul * 365 * 86400)
		ts.tv_sec = 100ul * 365 * 86400;  /* a century is forever enough */
	ns = ts.tv_sec * NS_PER_S + ts.tv_nsec;
	if (!absolute) {
		/* The clock moves at ticks and we are somewhere in one. */
		*deadline = now + ns + timer_tick_ns();
	} else {
		u64 offset = realtime ? clock_realtime() - now : 0;
		*deadline = ns > offset ? ns - offset : 1;
	}
	if (!*deadline)
		*deadline = 1;
	return 0;
}

/* futex(uaddr, op, val, timeout, uaddr2, val3) */
s64 sys_futex(u64 uaddr, u64 op, u64 val, u64 timeout, u64 uaddr2, u64 val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	u64 deadline;
	int r;

	(void)uaddr2;
	if (uaddr & 3)
		return -EINVAL;
	switch (cmd) {
	case FUTEX_WAIT:
		if (realtime)
			return -ENOSYS;   /* as Linux: only WAIT_BITSET takes the wall clock */
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAIT_BITSET:
		if ((u32)val3 == 0)
			return -EINVAL;
		if ((r = deadline_of(timeout, cmd == FUTEX_WAIT_BITSET, realtime, &deadline)) < 0)
			return r;
		return futex_wait(uaddr, (u32)val, (u32)val3, deadline);
	case FUTEX_WAKE:
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAKE_BITSET:
		if ((u32)val3 == 0)
			return -EINVAL;
		if (!user_ok(uaddr, sizeof(u32), false))
			return -EFAULT;
		return wake(key_of(cpu.proc->mm, uaddr), (u32)val3, val > 0x7fffffff ? 0x7fffffff : val);
	default:
		return -ENOSYS;
	}
}

/*
 * A process whose clear_child_tid is tid_va exits (proc.c, its address
 * space still loaded): write 0 there and wake one waiter, as Linux's
 * mm_release() does, so that whoever waits for it to be gone can go on.
 */
void futex_exit(struct mm *mm, u64 tid_va)
{
	if (!mm || (tid_va & 3) || !mm_user_ok(mm, tid_va, sizeof(u32), true))
		return;
	*(volatile u32 *)tid_va = 0;
	wake(key_of(mm, tid_va), FUTEX_BITSET_MATCH_ANY, 1);
}
