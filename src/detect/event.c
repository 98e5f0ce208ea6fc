/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <inttypes.h>
#include <asm/unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/event.h"

#define SC_NAME_(n) [SC_##n] = #n,
static const char *const sc_names[_SC_MAX] = { [SC_NONE] = "unknown", SYSCALL_LIST(SC_NAME_) };
#undef SC_NAME_

const char *sc_name(enum sc s) {
        return s > SC_NONE && s < _SC_MAX ? sc_names[s] : "unknown";
}

enum sc sc_from_name(const char *name) {
        for (int s = SC_NONE + 1; s < _SC_MAX; s++)
                if (streq(sc_names[s], name))
                        return s;
        return SC_NONE;
}

enum sc sc_from_nr(long nr) {
        switch (nr) {
#define SC_CASE_(n)                                                                                                    \
        case __NR_##n:                                                                                                 \
                return SC_##n;
                SYSCALL_LIST(SC_CASE_)
#undef SC_CASE_
        default:
                return SC_NONE;
        }
}

static const char *const ev_names[_EV_MAX] = {
        [EV_START] = "start",   [EV_EXEC] = "exec",       [EV_FORK] = "fork",     [EV_EXIT] = "exit",
        [EV_RENAME] = "rename", [EV_SYSCALL] = "syscall", [EV_SAMPLE] = "sample",
};

static const char *const fd_names[_FD_MAX] = {
        [FD_NONE] = "none",   [FD_FILE] = "file", [FD_PIPE] = "pipe",     [FD_INET] = "inet",
        [FD_INET6] = "inet6", [FD_UNIX] = "unix", [FD_SOCKET] = "socket", [FD_CHR] = "chr",
};

const char *fd_kind_name(enum fd_kind k) {
        return k < _FD_MAX ? fd_names[k] : "none";
}

static int lookup(const char *const *names, int n, const char *s) {
        for (int i = 0; i < n; i++)
                if (names[i] && streq(names[i], s))
                        return i;
        return -1;
}

void format_peer(char *buf, size_t n, int family, const uint8_t *addr, uint16_t port, bool *ret_loopback) {
        char a[INET6_ADDRSTRLEN] = "";
        bool loop = false;
        if (family == AF_INET) {
                inet_ntop(AF_INET, addr, a, sizeof(a));
                /* 127/8, and 0.0.0.0, which connect() treats as this host */
                loop = addr[0] == 127 || (addr[0] | addr[1] | addr[2] | addr[3]) == 0;
                snprintf(buf, n, "%s:%u", a, port);
        } else {
                inet_ntop(AF_INET6, addr, a, sizeof(a));
                static const uint8_t lo6[16] = { [15] = 1 }, any6[16] = {};
                static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
                loop = memcmp(addr, lo6, 16) == 0 || memcmp(addr, any6, 16) == 0 ||
                       (memcmp(addr, v4mapped, 12) == 0 && addr[12] == 127);
                snprintf(buf, n, "[%s]:%u", a, port);
        }
        *ret_loopback = loop;
}

void event_set_sockaddr(struct event *e, const uint8_t *sa, size_t len) {
        e->addr[0] = 0;
        e->addr_family = 0;
        e->addr_port = 0;
        e->addr_loopback = false;
        if (len < sizeof(sa_family_t))
                return;
        uint16_t family;
        memcpy(&family, sa, sizeof(family));
        e->addr_family = family;
        if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
                struct sockaddr_in in;
                memcpy(&in, sa, sizeof(in));
                e->addr_port = ntohs(in.sin_port);
                format_peer(e->addr, sizeof(e->addr), AF_INET, (const uint8_t *) &in.sin_addr, e->addr_port,
                            &e->addr_loopback);
        } else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
                struct sockaddr_in6 in6;
                memcpy(&in6, sa, sizeof(in6));
                e->addr_port = ntohs(in6.sin6_port);
                format_peer(e->addr, sizeof(e->addr), AF_INET6, in6.sin6_addr.s6_addr, e->addr_port, &e->addr_loopback);
        } else if (family == AF_UNIX) {
                const char *p = (const char *) sa + sizeof(sa_family_t);
                size_t l = len - sizeof(sa_family_t);
                if (l > 0 && p[0] == 0) /* abstract: a leading NUL, then bytes */
                        snprintf(e->addr, sizeof(e->addr), "unix:@%.*s", (int) strnlen(p + 1, l - 1), p + 1);
                else
                        snprintf(e->addr, sizeof(e->addr), "unix:%.*s", (int) strnlen(p, l), p);
                e->addr_loopback = true;
        } else
                snprintf(e->addr, sizeof(e->addr), "family:%u", family);
}

static void add_str(json_object *o, const char *k, const char *v) {
        if (v && *v)
                json_object_object_add(o, k, json_new_string(v));
}

static json_object *fd_to_json(const struct fd_desc *f) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "kind", json_new_string(fd_kind_name(f->kind)));
        if (f->peer[0])
                json_object_object_add(o, "peer", json_new_string(f->peer));
        if (f->lport)
                json_object_object_add(o, "local_port", json_object_new_int(f->lport));
        return o;
}

json_object *event_to_json(const struct event *e) {
        char ts[64];
        json_object *o = json_object_new_object();
        format_rfc3339(e->time_usec, ts, sizeof(ts));
        json_object_object_add(o, "time", json_new_string(ts));
        json_object_object_add(o, "type", json_new_string(ev_names[e->type]));
        if (e->type == EV_START) {
                add_str(o, "source", e->source);
                json_object_object_add(o, "version", json_object_new_int(1));
                return o;
        }
        json_object_object_add(o, "pid", json_object_new_int64(e->pid));
        json_object_object_add(o, "ppid", json_object_new_int64(e->ppid));
        json_object_object_add(o, "uid", json_object_new_int64(e->uid));
        add_str(o, "comm", e->comm);
        switch (e->type) {
        case EV_EXEC: {
                add_str(o, "filename", e->filename);
                add_str(o, "interp", e->interp);
                add_str(o, "exe_name", e->exe_name);
                json_object_object_add(o, "exe_ino", json_object_new_uint64(e->exe_ino));
                json_object_object_add(o, "exe_dev", json_object_new_uint64(e->exe_dev));
                json_object_object_add(o, "exe_nlink", json_object_new_int64(e->exe_nlink));
                char magic[24];
                snprintf(magic, sizeof(magic), "0x%" PRIx64, e->exe_magic);
                json_object_object_add(o, "exe_fs", json_new_string(magic));
                json_object *argv = json_object_new_array();
                for (char **a = e->argv; a && *a; a++)
                        json_object_array_add(argv, json_new_string(*a));
                json_object_object_add(o, "argv", argv);
                if (e->argv_truncated)
                        json_object_object_add(o, "argv_truncated", json_object_new_boolean(true));
                json_object *sio = json_object_new_array();
                for (int i = 0; i < 3; i++)
                        json_object_array_add(sio, fd_to_json(&e->stdio[i]));
                json_object_object_add(o, "stdio", sio);
                add_str(o, "toolchain", e->toolchain);
                add_str(o, "toolchain_digest", e->toolchain_digest);
                add_str(o, "toolchain_path", e->toolchain_path);
                break;
        }
        case EV_FORK:
                json_object_object_add(o, "child", json_object_new_int64(e->child));
                break;
        case EV_EXIT:
                if (e->signal)
                        json_object_object_add(o, "signal", json_object_new_int(e->signal));
                else
                        json_object_object_add(o, "exit_code", json_object_new_int(e->exit_code));
                break;
        case EV_RENAME:
                add_str(o, "new_comm", e->path);
                break;
        case EV_SYSCALL: {
                json_object_object_add(o, "syscall", json_new_string(sc_name(e->sc)));
                add_str(o, "path", e->path);
                add_str(o, "path2", e->path2);
                if (e->path_truncated)
                        json_object_object_add(o, "path_truncated", json_object_new_boolean(true));
                if (e->flags)
                        json_object_object_add(o, "flags", json_object_new_uint64(e->flags));
                add_str(o, "addr", e->addr);
                if (e->has_result)
                        json_object_object_add(o, "result", json_object_new_int64(e->result));
                if (e->source_file)
                        json_object_object_add(o, "source_file", json_object_new_boolean(true));
                if (e->resolved)
                        json_object_object_add(o, "resolved", json_object_new_boolean(true));
                if (e->lsm_refused)
                        json_object_object_add(o, "refused_by", json_new_string("bpf-lsm"));
                if (e->sc == SC_mmap) {
                        json_object_object_add(o, "ino", json_object_new_uint64(e->exe_ino));
                        json_object_object_add(o, "dev", json_object_new_uint64(e->exe_dev));
                        add_str(o, "toolchain", e->toolchain);
                }
                if (e->fd.kind != FD_NONE)
                        json_object_object_add(o, "fd", fd_to_json(&e->fd));
                json_object *args = json_object_new_array();
                for (int i = 0; i < 6; i++)
                        json_object_array_add(args, json_object_new_int64(e->arg[i]));
                json_object_object_add(o, "args", args);
                break;
        }
        case EV_SAMPLE:
                json_object_object_add(o, "cpu_ms", json_object_new_uint64(e->cpu_ms));
                json_object_object_add(o, "period_ms", json_object_new_uint64(e->period_ms));
                add_str(o, "exe_link", e->exe_link);
                if (e->exe_deleted)
                        json_object_object_add(o, "exe_deleted", json_object_new_boolean(true));
                break;
        default:
                break;
        }
        return o;
}

/* The loopback test of format_peer(), on its output. */
static bool peer_is_loopback(const char *p) {
        return startswith(p, "127.") || startswith(p, "0.0.0.0:") || startswith(p, "[::1]") || startswith(p, "[::]") ||
               startswith(p, "[::ffff:127.");
}

static void fd_from_json(json_object *o, struct fd_desc *f) {
        memset(f, 0, sizeof(*f));
        if (!o || !json_object_is_type(o, json_type_object))
                return;
        const char *k = rj_str(o, "kind");
        int i = k ? lookup(fd_names, _FD_MAX, k) : -1;
        f->kind = i < 0 ? FD_NONE : (enum fd_kind) i;
        const char *peer = rj_str(o, "peer");
        if (peer) {
                snprintf(f->peer, sizeof(f->peer), "%s", peer);
                f->peer_loopback = peer_is_loopback(peer);
        }
        f->lport = (uint16_t) rj_int_or(o, "local_port", 0);
}

/* Parses the addr string back into family, port and loopback. */
static void addr_from_string(struct event *e, const char *a) {
        snprintf(e->addr, sizeof(e->addr), "%s", a);
        e->addr_loopback = false;
        e->addr_port = 0;
        if (startswith(a, "unix:")) {
                e->addr_family = AF_UNIX;
                e->addr_loopback = true;
                return;
        }
        if (startswith(a, "family:")) {
                e->addr_family = (int) strtol(a + strlen("family:"), NULL, 10);
                return;
        }
        const char *colon = strrchr(a, ':');
        e->addr_family = a[0] == '[' ? AF_INET6 : AF_INET;
        if (colon)
                e->addr_port = (uint16_t) strtoul(colon + 1, NULL, 10);
        e->addr_loopback = peer_is_loopback(a);
}

int event_from_json(json_object *o, struct event *ret) {
        struct event e = {};
        const char *type = rj_str(o, "type"), *time = rj_str(o, "time");
        int t = type ? lookup(ev_names, _EV_MAX, type) : -1;
        if (t < 0 || !time || parse_rfc3339(time, &e.time_usec) < 0)
                return -EINVAL;
        e.type = (enum ev_type) t;
        e.pid = (pid_t) rj_int_or(o, "pid", 0);
        e.ppid = (pid_t) rj_int_or(o, "ppid", 0);
        e.uid = (uint32_t) rj_int_or(o, "uid", 0);
        e.comm = rj_str(o, "comm");
        json_object *v;
        switch (e.type) {
        case EV_START:
                e.source = rj_str(o, "source");
                break;
        case EV_EXEC: {
                e.filename = rj_str(o, "filename");
                e.interp = rj_str(o, "interp");
                e.exe_name = rj_str(o, "exe_name");
                e.exe_ino = (uint64_t) rj_int_or(o, "exe_ino", 0);
                e.exe_dev = (uint32_t) rj_int_or(o, "exe_dev", 0);
                e.exe_nlink = (uint32_t) rj_int_or(o, "exe_nlink", 0);
                const char *fs = rj_str(o, "exe_fs");
                e.exe_magic = fs ? strtoull(fs, NULL, 0) : 0;
                e.argv_truncated = rj_truthy(o, "argv_truncated");
                e.toolchain = rj_str(o, "toolchain");
                e.toolchain_digest = rj_str(o, "toolchain_digest");
                e.toolchain_path = rj_str(o, "toolchain_path");
                size_t n = json_object_object_get_ex(o, "argv", &v) && json_object_is_type(v, json_type_array)
                                   ? json_object_array_length(v)
                                   : 0;
                e.argv = xcalloc(n + 1, sizeof(char *));
                size_t k = 0;
                for (size_t i = 0; i < n; i++) {
                        json_object *s = json_object_array_get_idx(v, i);
                        if (json_object_is_type(s, json_type_string))
                                e.argv[k++] = (char *) json_object_get_string(s);
                }
                if (json_object_object_get_ex(o, "stdio", &v) && json_object_is_type(v, json_type_array))
                        for (size_t i = 0; i < 3 && i < json_object_array_length(v); i++)
                                fd_from_json(json_object_array_get_idx(v, i), &e.stdio[i]);
                if (!e.filename) {
                        free(e.argv);
                        return -EINVAL;
                }
                break;
        }
        case EV_FORK:
                e.child = (pid_t) rj_int_or(o, "child", 0);
                break;
        case EV_EXIT:
                e.signal = (int) rj_int_or(o, "signal", 0);
                e.exit_code = (int) rj_int_or(o, "exit_code", 0);
                break;
        case EV_RENAME:
                e.path = rj_str(o, "new_comm");
                break;
        case EV_SYSCALL: {
                const char *s = rj_str(o, "syscall");
                e.sc = s ? sc_from_name(s) : SC_NONE;
                if (e.sc == SC_NONE)
                        return -EINVAL;
                e.path = rj_str(o, "path");
                e.path2 = rj_str(o, "path2");
                e.path_truncated = rj_truthy(o, "path_truncated");
                e.flags = (uint64_t) rj_int_or(o, "flags", 0);
                e.source_file = rj_truthy(o, "source_file");
                e.resolved = rj_truthy(o, "resolved");
                e.lsm_refused = streq_ptr(rj_str(o, "refused_by"), "bpf-lsm");
                e.exe_ino = (uint64_t) rj_int_or(o, "ino", 0);
                e.exe_dev = (uint32_t) rj_int_or(o, "dev", 0);
                e.toolchain = rj_str(o, "toolchain");
                e.has_result = json_object_object_get_ex(o, "result", &v);
                e.result = e.has_result ? json_object_get_int64(v) : 0;
                const char *a = rj_str(o, "addr");
                if (a)
                        addr_from_string(&e, a);
                if (json_object_object_get_ex(o, "fd", &v))
                        fd_from_json(v, &e.fd);
                if (json_object_object_get_ex(o, "args", &v) && json_object_is_type(v, json_type_array))
                        for (size_t i = 0; i < 6 && i < json_object_array_length(v); i++)
                                e.arg[i] = json_object_get_int64(json_object_array_get_idx(v, i));
                break;
        }
        case EV_SAMPLE:
                e.cpu_ms = (uint64_t) rj_int_or(o, "cpu_ms", 0);
                e.period_ms = (uint64_t) rj_int_or(o, "period_ms", 0);
                e.exe_link = rj_str(o, "exe_link");
                e.exe_deleted = rj_truthy(o, "exe_deleted");
                break;
        default:
                return -EINVAL;
        }
        *ret = e;
        return 0;
}
