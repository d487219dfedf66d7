// SPDX-License-Identifier: Apache-2.0
/* Tester programs for bpf/test/run.sh; each mode reproduces one kernel path.
 *   thread-exec PATH ARGS...   execv() from a non-leader thread
 *   thread-exit CODE MARKER    leader pthread_exit()s first, a worker exit(CODE)s
 *   segv MARKER                SIGSEGV
 *   noop MARKER                exit 0
 *   storm SECONDS WORKERS      fork+exec "noop storm" serially in WORKERS processes;
 *                              prints the number of successful execs */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **exec_argv;

static void *do_exec(void *arg)
{
	execv(exec_argv[0], exec_argv);
	perror("execv");
	exit(127);
}

static void *do_exit(void *arg)
{
	usleep(100 * 1000); /* let the leader exit first */
	exit((int)(long)arg);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long storm(const char *self, double secs)
{
	long ok = 0;
	double end = now() + secs;
	while (now() < end) {
		pid_t p = fork();
		if (p == 0) {
			execl(self, self, "noop", "storm", (char *)NULL);
			_exit(127);
		}
		int st;
		if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *mode = argv[1];
	if (!strcmp(mode, "noop"))
		return 0;
	if (!strcmp(mode, "segv")) {
		volatile int *p = NULL;
		return *p;
	}
	if (!strcmp(mode, "thread-exec") && argc >= 3) {
		pthread_t t;
		exec_argv = argv + 2;
		pthread_create(&t, NULL, do_exec, NULL);
		pthread_join(t, NULL);
		return 1;
	}
	if (!strcmp(mode, "thread-exit") && argc >= 3) {
		pthread_t t;
		pthread_create(&t, NULL, do_exit, (void *)(long)atoi(argv[2]));
		pthread_exit(NULL);
	}
	if (!strcmp(mode, "storm") && argc >= 4) {
		int workers = atoi(argv[3]);
		int fds[2];
		if (pipe(fds))
			return 1;
		for (int i = 0; i < workers; i++) {
			if (fork() == 0) {
				long n = storm("/proc/self/exe", atof(argv[2]));
				if (write(fds[1], &n, sizeof(n)) != sizeof(n))
					_exit(1);
				_exit(0);
			}
		}
		long total = 0, n;
		for (int i = 0; i < workers; i++) {
			if (read(fds[0], &n, sizeof(n)) == sizeof(n))
				total += n;
			wait(NULL);
		}
		printf("%ld\n", total);
		return 0;
	}
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
