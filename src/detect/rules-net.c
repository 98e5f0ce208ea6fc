/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rules of the network: egress, DNS, mining pools, host daemon sockets, raw sockets, shells on sockets. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/rules.h"

static bool pool_port(uint16_t port) {
        static const uint16_t ports[] = { 3333, 3334, 3357,  4444,  5555,  5556, 7777,
                                          8333, 9999, 14433, 14444, 45560, 45700 };
        for (size_t i = 0; i < ELEMENTSOF(ports); i++)
                if (port == ports[i])
                        return true;
        return false;
}

/* The bitmap of ports the build serves with sockets of TYPE (SOCK_STREAM, SOCK_DGRAM); NULL for others. */
static uint64_t *served_map(struct engine *e, int type) {
        return type == SOCK_STREAM ? e->served_stream : type == SOCK_DGRAM ? e->served_dgram : NULL;
}

static void serve(struct engine *e, int type, uint16_t port) {
        if (port == 0)
                return;
        /* a socket of unknown type (a recording without it): both, so replay stays as quiet as the live run */
        for (int t = SOCK_STREAM; t <= SOCK_DGRAM; t++)
                if (type == t || type == 0)
                        served_map(e, t)[port / 64] |= 1ULL << (port % 64);
}

static bool served(struct engine *e, int type, uint16_t port) {
        for (int t = SOCK_STREAM; t <= SOCK_DGRAM; t++)
                if ((type == t || type == 0) && (served_map(e, t)[port / 64] & (1ULL << (port % 64))))
                        return true;
        return false;
}

/*
 * bind and listen: a server of the build. Only a loopback or wildcard address
 * counts, which loopback traffic reaches; inside the sandbox's network
 * namespace that loopback is the build's own (docs/detection.md, DNS).
 */
static void rules_serve(struct engine *e, const struct event *ev) {
        if (ev->has_result && ev->result < 0)
                return; /* refused (a port below 1024, one in use): nothing serves there */
        if (ev->sc == SC_listen)
                serve(e, SOCK_STREAM, ev->fd.lport);
        else if ((ev->addr_family == AF_INET || ev->addr_family == AF_INET6) && ev->addr_loopback)
                /* recorded at exit: the socket's own port is the one the kernel chose for port 0 */
                serve(e, ev->fd.sock_type, ev->addr_port ? ev->addr_port : ev->fd.lport);
}

/*
 * A multicast or broadcast address, which a TCP connect cannot reach at all
 * (the kernel refuses it: ENETUNREACH); test suites use it to test a failing
 * connection. The unspecified address is loopback already (format_peer()).
 */
static bool addr_unconnectable(const struct event *ev) {
        char host[INET6_ADDRSTRLEN + 2];
        const char *colon = strrchr(ev->addr, ':');
        if (!colon || (size_t) (colon - ev->addr) >= sizeof(host))
                return false;
        snprintf(host, sizeof(host), "%.*s", (int) (colon - ev->addr), ev->addr);
        if (ev->addr_family == AF_INET) {
                struct in_addr a;
                if (inet_pton(AF_INET, host, &a) != 1)
                        return false;
                uint32_t h = ntohl(a.s_addr);
                return (h >> 28) == 0xe || h == 0xffffffffu; /* 224.0.0.0/4, 255.255.255.255 */
        }
        struct in6_addr a6;
        size_t l = strlen(host);
        if (l < 2 || host[0] != '[' || host[l - 1] != ']')
                return false;
        host[l - 1] = 0;
        return inet_pton(AF_INET6, host + 1, &a6) == 1 && a6.s6_addr[0] == 0xff; /* ff00::/8 */
}

static void rules_net(struct engine *e, const struct event *ev, struct proc *p) {
        if (!ev->addr[0])
                return;
        bool inet = ev->addr_family == AF_INET || ev->addr_family == AF_INET6;
        /* a connection that cannot leave: to a server of the build, or a TCP connect to multicast/broadcast */
        bool local = inet && ev->addr_loopback && served(e, ev->fd.sock_type, ev->addr_port);
        bool stays = inet && ev->sc == SC_connect && ev->fd.sock_type == SOCK_STREAM && addr_unconnectable(ev);
        if (inet && (ev->addr_port == 53 || ev->addr_port == 853) && !local && !stays)
                emit_finding(e, "network-egress.dns-query", ev, p, ev->addr, NULL,
                             ev_obj("address", ev->addr, NULL, NULL),
                             "'%s' sent a DNS query to %s%s: an offline build has no name to resolve", exe_of(p),
                             ev->addr, ev->addr_loopback ? ", where no process of the build listens" : "");
        else if (inet && !ev->addr_loopback && !stays)
                emit_finding(e, "network-egress.connect", ev, p, ev->addr, NULL,
                             ev_obj("address", ev->addr, NULL, NULL), "'%s' tried to reach %s outside the sandbox",
                             exe_of(p), ev->addr);
        if (inet && !ev->addr_loopback && !stays && pool_port(ev->addr_port))
                emit_finding(e, "crypto-miner.pool-port", ev, p, ev->addr, NULL,
                             ev_obj("address", ev->addr, NULL, NULL),
                             "'%s' tried to reach %s, a port mining pools use (stratum)", exe_of(p), ev->addr);
        if (ev->addr_family == AF_UNIX) {
                const char *path = ev->addr + strlen("unix:");
                const char *b = path_basename(path);
                if (ANY_OF(b, "docker.sock", "containerd.sock", "podman.sock", "crio.sock", "buildkitd.sock",
                           "kubelet.sock", "libvirt-sock", "snapd.socket") ||
                    ANY_OF(path, "/run/systemd/private", "/run/dbus/system_bus_socket",
                           "/var/run/dbus/system_bus_socket") ||
                    ((has_prefix(path, "/run/") || has_prefix(path, "/var/run/")) && ends_with(b, ".sock")))
                        emit_finding(e, "sandbox-escape.host-socket", ev, p, path, path, NULL,
                                     "'%s' tried to connect to the host daemon socket '%s'", exe_of(p), path);
        }
}

bool rules_net_syscall(struct engine *e, const struct event *ev, struct proc *p) {
        switch (ev->sc) {
        case SC_connect:
        case SC_sendto:
        case SC_sendmsg:
                rules_net(e, ev, p);
                break;
        case SC_bind:
        case SC_listen:
                rules_serve(e, ev);
                break;
        case SC_socket:
                emit_finding(e, "network-egress.raw-socket", ev, p, NULL, NULL, NULL,
                             "'%s' opened a raw or packet socket, which sends traffic past the network stack",
                             exe_of(p));
                break;
        case SC_dup2:
        case SC_dup3:
                if (ev->fd.kind == FD_INET || ev->fd.kind == FD_INET6)
                        emit_finding(e, "reverse-shell.stdio-socket", ev, p, NULL, NULL,
                                     ev_obj("peer", ev->fd.peer, NULL, NULL),
                                     "'%s' put a network socket (peer %s) on its stdin/stdout: a shell driven from "
                                     "the network",
                                     exe_of(p), ev->fd.peer[0] ? ev->fd.peer : "unknown");
                break;
        default:
                return false;
        }
        return true;
}
