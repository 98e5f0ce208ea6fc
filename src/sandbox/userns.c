/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parent's identities: the host uid a build runs as, the user namespaces
 * (buildward's own when unprivileged, the build's maps), the helper thread that
 * makes the network namespace and the idmapping, and the staging directory.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "basic/log.h"
#include "sandbox/internal.h"

static void *prep_job_run(void *arg) {
        struct prep_job *j = arg;
        /* Network namespaces are per thread: this one's changes, the main thread's does not. */
        if (unshare(CLONE_NEWNET) < 0)
                j->netns_err = -errno;
        else if ((j->netns_err = loopback_up()) >= 0) {
                j->netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
                if (j->netns_fd < 0)
                        j->netns_err = -errno;
        }
        j->idmap_fd = j->want_idmap ? stage_idmap_userns(j->st) : -EBADF;
        return NULL;
}

void prep_start(struct prep_job *j, const struct stage *st) {
        j->st = st;
        j->want_idmap = st->source_mapping && streq(st->source_mapping, "idmapped");
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        (void) pthread_attr_setstacksize(&attr, 256 * 1024); /* it makes two namespaces, nothing deep */
        j->started = pthread_create(&j->thread, &attr, prep_job_run, j) == 0;
        pthread_attr_destroy(&attr);
        j->pending = true;
}

/* Waits for the helper thread (or does its work here if it could not start). Idempotent. */
void prep_finish(struct prep_job *j) {
        if (!j->pending)
                return;
        if (j->started)
                pthread_join(j->thread, NULL);
        else
                prep_job_run(j);
        j->pending = false;
}

/* Allocates a host uid for this build and holds its lock until exit. */
int allocate_host_uid(uid_t *ret, int *ret_lock_fd) {
        if (mkdir(RUN_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(RUN_DIR "/uids", 0700) < 0 && errno != EEXIST)
                return -errno;
        unsigned start = (unsigned) getpid() % HOST_UID_SLOTS;
        for (unsigned i = 0; i < 4096; i++) {
                unsigned slot = (start + i) % HOST_UID_SLOTS;
                char p[64];
                snprintf(p, sizeof(p), RUN_DIR "/uids/%u", slot);
                int fd = open(p, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
                if (fd < 0)
                        return -errno;
                if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                        *ret = HOST_UID_BASE + slot;
                        *ret_lock_fd = fd;
                        return 0;
                }
                close(fd);
        }
        return -EBUSY;
}

int write_map(pid_t pid, const char *file, unsigned inside, unsigned outside) {
        char path[64], map[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        snprintf(map, sizeof(map), "%u %u 1\n", inside, outside);
        return write_string_file(path, map);
}

static const char userns_fix[] =
        "this host forbids user namespaces (Docker's default seccomp profile, Ubuntu's "
        "kernel.apparmor_restrict_unprivileged_userns=1, or user.max_user_namespaces=0): allow them "
        "(docker --security-opt seccomp=unconfined, sysctl kernel.apparmor_restrict_unprivileged_userns=0, "
        "sysctl user.max_user_namespaces=15000)";

/* Names the namespace the kernel refused, probing user namespaces alone in a child. */
char *namespace_failure_message(int err) {
        pid_t p = fork();
        if (p == 0)
                _exit(unshare(CLONE_NEWUSER) < 0 ? 1 : 0);
        int st = 0;
        bool userns_ok = p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!userns_ok)
                return xasprintf("cannot create a user namespace for the build (%s); %s", strerror(err), userns_fix);
        return xasprintf("cannot create the build's namespaces (%s); user namespaces work, so the kernel or a security "
                         "policy refuses a pid, network, ipc, uts or mount namespace: run `buildward doctor`",
                         strerror(err));
}

/* Unprivileged start: become root of our own user namespace, with a private mount namespace. */
int enter_own_userns(char **ret_failure) {
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
                int r = -errno;
                *ret_failure = xasprintf("cannot create a user namespace (%s); run buildward as root, or: %s",
                                         strerror(-r), userns_fix);
                return r;
        }
        int r = write_string_file("/proc/self/setgroups", "deny");
        if (r >= 0)
                r = write_map(getpid(), "uid_map", 0, uid);
        if (r >= 0)
                r = write_map(getpid(), "gid_map", 0, gid);
        if (r < 0)
                *ret_failure = xasprintf("cannot write the uid map of buildward's user namespace (%s); "
                                         "the kernel refused a single-uid mapping, which user namespaces always allow",
                                         strerror(-r));
        return r;
}

/*
 * The directory the staging tmpfs is mounted on. Every build mounts over the
 * same one, each in its own private mount namespace, so it is never seen as a
 * mount point on the host and needs no cleanup: the mount goes with the
 * namespace when buildward exits.
 */
char *stage_dir_get(bool privileged) {
        char *d;
        if (privileged)
                d = xstrdup(RUN_DIR "/stage");
        else {
                const char *rt = getenv("XDG_RUNTIME_DIR");
                d = rt && *rt == '/' ? xasprintf("%s/buildward-stage", rt)
                                     : xasprintf("/tmp/buildward-stage-%u", getuid());
        }
        if (mkdir(d, 0700) < 0 && errno != EEXIST) {
                free(d);
                return NULL;
        }
        /* In a shared /tmp someone else may have planted it: it must be our own directory. */
        struct stat s;
        if (lstat(d, &s) < 0 || !S_ISDIR(s.st_mode) || s.st_uid != geteuid()) {
                free(d);
                errno = EPERM;
                return NULL;
        }
        return d;
}
