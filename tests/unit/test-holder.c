/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sandbox_spawn_holder(): the process that keeps the stage's mount namespace
 * while buildward writes its reports. It shares our memory, so what it reads
 * must not live on the spawning frame, and it must hold nothing but its pipe:
 * a holder that keeps the write end never sees EOF and buildward waits for it
 * forever.
 */
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/util.h"
#include "sandbox/sandbox.h"
#include "tap.h"

/* Writes over the stack the holder's arguments would have been on. */
static __attribute__((noinline)) void clobber_stack(void) {
        volatile char junk[16384];
        memset((char *) junk, 0x5a, sizeof(junk));
}

static int count_fds(pid_t pid) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        DIR *d = opendir(path);
        if (!d)
                return -1;
        int n = 0;
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

/* In a fresh process (one holder per process): 0 when the holder behaved. */
static int one_holder(bool check_fds) {
        int wfd;
        pid_t h = sandbox_spawn_holder(&wfd);
        if (h < 0)
                return 10;
        if (sandbox_spawn_holder(&wfd) != -EBUSY)
                return 11;
        clobber_stack();
        if (check_fds) {
                /* Its table is a copy of ours until it closes the rest: wait for one entry. */
                int n = -1;
                for (int i = 0; i < 2000 && (n = count_fds(h)) != 1; i++)
                        usleep(1000);
                if (n != 1)
                        return 12;
        }
        /* Let it run now, on what is left of our stack: it must still be holding. */
        usleep(2000);
        if (waitpid(h, NULL, WNOHANG) != 0)
                return 14;
        close(wfd);
        alarm(5); /* a holder that missed its EOF would keep us here */
        return waitpid(h, NULL, 0) == h ? 0 : 13;
}

static int run_in_child(bool check_fds) {
        pid_t p = fork();
        if (p == 0) {
                /*
                 * One CPU: the holder then runs only once we block, after our
                 * frame is gone, which is when the race showed.
                 */
                cpu_set_t one;
                CPU_ZERO(&one);
                CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
                (void) sched_setaffinity(0, sizeof(one), &one);
                _exit(one_holder(check_fds));
        }
        int st;
        if (p < 0 || waitpid(p, &st, 0) != p)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(holder_keeps_only_its_pipe) {
        ASSERT_EQ_INT(run_in_child(true), 0);
}

TEST(holder_exits_at_eof_whatever_happens_to_our_stack) {
        /* The race needed the holder to start late: try often enough to see it. */
        for (int i = 0; i < 50; i++)
                ASSERT_EQ_INT(run_in_child(false), 0);
}
