/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rules of the network: egress, DNS, mining pools, host daemon sockets, raw sockets, shells on sockets. */
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

static void rules_net(struct engine *e, const struct event *ev, struct proc *p) {
        if (!ev->addr[0])
                return;
        bool inet = ev->addr_family == 2 || ev->addr_family == 10;
        if (inet && (ev->addr_port == 53 || ev->addr_port == 853))
                emit_finding(
                        e, "network-egress.dns-query", ev, p, ev->addr, NULL, ev_obj("address", ev->addr, NULL, NULL),
                        "'%s' sent a DNS query to %s: an offline build has no name to resolve", exe_of(p), ev->addr);
        else if (inet && !ev->addr_loopback)
                emit_finding(e, "network-egress.connect", ev, p, ev->addr, NULL,
                             ev_obj("address", ev->addr, NULL, NULL), "'%s' tried to reach %s outside the sandbox",
                             exe_of(p), ev->addr);
        if (inet && !ev->addr_loopback && pool_port(ev->addr_port))
                emit_finding(e, "crypto-miner.pool-port", ev, p, ev->addr, NULL,
                             ev_obj("address", ev->addr, NULL, NULL),
                             "'%s' tried to reach %s, a port mining pools use (stratum)", exe_of(p), ev->addr);
        if (ev->addr_family == 1) {
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
