/*
 * jobctl - job control through a terminal, as a shell uses it: each test
 * makes a session (its leader L) whose controlling terminal is the slave
 * of a new pty, with jobs in process groups of their own.  ^C, ^\ and ^Z
 * typed at the master signal the foreground group; a background group
 * reading gets SIGTTIN, writing with TOSTOP or changing the settings gets
 * SIGTTOU (not when it ignores or blocks them: EIO for a read, the call
 * goes on otherwise), an orphaned group gets EIO instead; tcsetpgrp's
 * rules; wait4 and waitid see the stops and continues (WUNTRACED,
 * WCONTINUED, CLD_STOPPED, CLD_CONTINUED); the leader's exit hangs up
 * the foreground group.
 */
#define T_GROUP "jobctl"
#include "t.h"
#include "pty.h"

static int master = -1;

/* Run fn as the leader of a new session on a new pty's slave; fn's
 * failures are the test's.  The master stays open in the test (and in
 * the leader, as the master global). */
static void in_session(void (*fn)(void))
{
	char name[64];
	master = t_openpt(name, sizeof name);
	pid_t pid = t_fork();
	if (pid == 0) {
		t_session_on(name);
		alarm(30);
		signal(SIGTTOU, SIG_IGN);         /* as a shell: it moves jobs to the foreground and back */
		fn();
		_exit(t_nfail ? 1 : 0);
	}
	CHECK_EXIT(t_wait(pid), 0);
	close(master);
}

/* A job: a child in a process group of its own running fn, which must
 * _exit. */
static pid_t job(void (*fn)(void))
{
	pid_t pid = t_fork();
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTTOU, SIG_DFL);         /* what the shell ignores, its jobs do not */
		fn();
		_exit(t_nfail ? 1 : 0);
	}
	setpgid(pid, pid);
	return pid;
}

static int wait_flags(pid_t pid, int flags)
{
	int st = 0;
	pid_t r;
	do
		r = waitpid(pid, &st, flags);
	while (r < 0 && errno == EINTR);
	if (r != pid)
		t_fail(__FILE__, __LINE__, "waitpid(%d) returned %d %s", (int)pid, (int)r,
		       t_errname(errno));
	return st;
}

/* A foreground job: reads once the leader gave it the terminal (which it
 * may do after the job has started running). */
static void read_forever(void)
{
	char buf[64];
	while (tcgetpgrp(0) != getpgrp())
		t_msleep(5);
	for (;;)
		read(0, buf, sizeof buf);
}

static void typed_signals(void)
{
	/* ^C: the foreground job dies of SIGINT; the leader, in the
	 * background now, is not touched. */
	pid_t j = job(read_forever);
	REQUIRE_OK(tcsetpgrp(0, j));
	t_msleep(100);
	REQUIRE_OK(write(master, "\x03", 1));
	CHECK_KILLED(wait_flags(j, 0), SIGINT);
	/* ^\ */
	j = job(read_forever);
	REQUIRE_OK(tcsetpgrp(0, j));
	t_msleep(100);
	REQUIRE_OK(write(master, "\x1c", 1));
	int st = wait_flags(j, 0);
	CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT, "status %s", t_status(st));
	/* ^Z stops it; SIGCONT continues it. */
	j = job(read_forever);
	REQUIRE_OK(tcsetpgrp(0, j));
	t_msleep(100);
	REQUIRE_OK(write(master, "\x1a", 1));
	st = wait_flags(j, WUNTRACED);
	CHECK_MSG(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "status %s", t_status(st));
	CHECK_OK(tcsetpgrp(0, getpgrp()));
	CHECK_OK(kill(-j, SIGCONT));
	st = wait_flags(j, WCONTINUED);
	CHECK_MSG(WIFCONTINUED(st), "status %s", t_status(st));
	kill(-j, SIGKILL);
	CHECK_KILLED(wait_flags(j, 0), SIGKILL);
}

TEST(typed_signals)
{
	in_session(typed_signals);
}

static void waitid_job(void)
{
	pid_t j = job(read_forever);
	REQUIRE_OK(tcsetpgrp(0, j));
	t_msleep(100);
	REQUIRE_OK(write(master, "\x1a", 1));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, j, &si, WSTOPPED));
	CHECK_EQ(si.si_pid, j);
	CHECK_EQ(si.si_code, CLD_STOPPED);
	CHECK_EQ(si.si_status, SIGTSTP);
	CHECK_OK(kill(j, SIGCONT));
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PGID, j, &si, WCONTINUED));
	CHECK_EQ(si.si_code, CLD_CONTINUED);
	CHECK_EQ(si.si_status, SIGCONT);
	/* Reported once: nothing more to see. */
	memset(&si, 0, sizeof si);
	CHECK_OK(waitid(P_PID, j, &si, WSTOPPED | WCONTINUED | WNOHANG));
	CHECK_EQ(si.si_pid, 0);
	kill(j, SIGKILL);
	wait_flags(j, 0);
}

TEST(waitid_stop_continue)
{
	in_session(waitid_job);
}

static void bg_read(void)
{
	char buf[16];
	ssize_t r = read(0, buf, sizeof buf);
	/* Continued in the foreground: the read went on. */
	CHECK_EQ(r, 5);
}

static void bg_read_ignored(void)
{
	char buf[16];
	signal(SIGTTIN, SIG_IGN);
	CHECK_ERR(read(0, buf, sizeof buf), EIO);
}

static void bg_read_blocked(void)
{
	char buf[16];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTTIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	CHECK_ERR(read(0, buf, sizeof buf), EIO);
}

static void background_read(void)
{
	pid_t j = job(bg_read);
	int st = wait_flags(j, WUNTRACED);
	CHECK_MSG(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN, "status %s", t_status(st));
	/* fg: give it the terminal, continue it, type a line. */
	REQUIRE_OK(tcsetpgrp(0, j));
	REQUIRE_OK(kill(-j, SIGCONT));
	REQUIRE_OK(write(master, "line\r", 5));
	CHECK_EXIT(wait_flags(j, 0), 0);
	REQUIRE_OK(tcsetpgrp(0, getpgrp()));
	CHECK_EXIT(wait_flags(job(bg_read_ignored), 0), 0);
	CHECK_EXIT(wait_flags(job(bg_read_blocked), 0), 0);
}

TEST(background_read_sigttin)
{
	in_session(background_read);
}

static void bg_write(void)
{
	CHECK_EQ(write(1, "bg-out", 6), 6);
}

static void bg_write_ignored(void)
{
	signal(SIGTTOU, SIG_IGN);
	CHECK_EQ(write(1, "ign-out", 7), 7);
}

static void background_write(void)
{
	/* Without TOSTOP a background job writes. */
	CHECK_EXIT(wait_flags(job(bg_write), 0), 0);
	CHECK(t_master_expect(master, "bg-out", 2000));
	struct termios t;
	REQUIRE_OK(tcgetattr(0, &t));
	t.c_lflag |= TOSTOP;
	REQUIRE_OK(tcsetattr(0, TCSANOW, &t));
	pid_t j = job(bg_write);
	int st = wait_flags(j, WUNTRACED);
	CHECK_MSG(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "status %s", t_status(st));
	kill(-j, SIGKILL);
	wait_flags(j, 0);
	CHECK_EXIT(wait_flags(job(bg_write_ignored), 0), 0);
	CHECK(t_master_expect(master, "ign-out", 2000));
}

TEST(background_write_tostop)
{
	in_session(background_write);
}

static void bg_setattr(void)
{
	struct termios t;
	REQUIRE_OK(tcgetattr(0, &t));          /* reading the settings is fine */
	CHECK_OK(tcsetattr(0, TCSANOW, &t));   /* stopped here, then goes on */
}

static void bg_setattr_blocked(void)
{
	struct termios t;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTTOU);
	sigprocmask(SIG_BLOCK, &set, NULL);
	REQUIRE_OK(tcgetattr(0, &t));
	CHECK_OK(tcsetattr(0, TCSANOW, &t));
	/* As bash does: a background shell takes the terminal, SIGTTOU blocked. */
	CHECK_OK(tcsetpgrp(0, getpgrp()));
	CHECK_EQ(tcgetpgrp(0), getpgrp());
}

static void background_setattr(void)
{
	pid_t j = job(bg_setattr);
	int st = wait_flags(j, WUNTRACED);
	CHECK_MSG(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "status %s", t_status(st));
	kill(-j, SIGCONT);
	kill(-j, SIGKILL);
	wait_flags(j, 0);
	CHECK_EXIT(wait_flags(job(bg_setattr_blocked), 0), 0);
}

TEST(background_tcsetattr_sigttou)
{
	in_session(background_setattr);
}

static int orphan_pipe[2];
static pid_t orphan_parent;

static void orphan_child(void)
{
	/* C: its own group, whose only link into the session, its parent,
	 * is gone: the group is orphaned. */
	setpgid(0, 0);
	signal(SIGTTOU, SIG_DFL);
	while (getppid() == orphan_parent)
		t_msleep(10);
	char buf[16], r = 'y';
	if (read(0, buf, sizeof buf) != -1 || errno != EIO)
		r = 'r';
	else if (write(1, "w", 1) != -1 || errno != EIO)
		r = 'w';
	write(orphan_pipe[1], &r, 1);
	_exit(0);
}

static void orphaned(void)
{
	struct termios t;
	REQUIRE_OK(tcgetattr(0, &t));
	t.c_lflag |= TOSTOP;
	REQUIRE_OK(tcsetattr(0, TCSANOW, &t));
	REQUIRE_OK(pipe(orphan_pipe));
	pid_t b = t_fork();
	if (b == 0) {
		orphan_parent = getpid();
		if (t_fork() == 0)
			orphan_child();
		_exit(0);                 /* B leaves C orphaned */
	}
	wait_flags(b, 0);
	char r = 0;
	CHECK_EQ(read(orphan_pipe[0], &r, 1), 1);
	CHECK_MSG(r == 'y', "an orphaned group's %s did not fail with EIO",
		  r == 'r' ? "read" : "write");
}

TEST(orphaned_group_eio)
{
	in_session(orphaned);
}

static void setpgrp_rules(void)
{
	CHECK_EQ(tcgetpgrp(0), getpid());
	CHECK_ERR(tcsetpgrp(0, 999999), ESRCH);
	CHECK_ERR(tcsetpgrp(0, -1), EINVAL);
	/* The test's own group is in another session. */
	CHECK_ERR(tcsetpgrp(0, getpgid(getppid())), EPERM);
}

TEST(tcsetpgrp_rules)
{
	in_session(setpgrp_rules);
}

static int hup_pipe[2];

static void on_hup(int sig)
{
	(void)sig;
	write(hup_pipe[1], "H", 1);
	_exit(0);
}

static void fg_waits_for_hup(void)
{
	signal(SIGHUP, on_hup);
	write(hup_pipe[1], "r", 1);
	for (;;)
		pause();
}

TEST(leader_exit_hangs_up_foreground)
{
	char name[64];
	REQUIRE_OK(pipe(hup_pipe));
	int m = t_openpt(name, sizeof name);
	pid_t l = t_fork();
	if (l == 0) {
		t_session_on(name);
		pid_t j = job(fg_waits_for_hup);
		tcsetpgrp(0, j);
		char c;
		read(hup_pipe[0], &c, 1);
		_exit(0);                 /* the session leader exits */
	}
	CHECK_EXIT(t_wait(l), 0);
	char c = 0;
	alarm(10);
	CHECK_EQ(read(hup_pipe[0], &c, 1), 1);
	CHECK_EQ(c, 'H');
	close(m);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
