/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules of calls that face the kernel: ptrace and process memory, mounts,
 * namespaces, modules, kexec, bpf, credentials and capabilities, terminal
 * injection. The sandbox refuses most of them; the attempt is the finding.
 */
#include "basic/json-util.h"
#include "basic/util.h"
#include "detect/rules.h"

void rules_kernel_syscall(struct engine *e, const struct event *ev, struct proc *p, const char *path) {
        switch (ev->sc) {
        case SC_ptrace: {
                long req = (long) ev->arg[0];
                if (req == 16 || req == 0x4206 || req == 4 || req == 5 || req == 6 || req == 13 || req == 0x4205)
                        emit_finding(e, "sandbox-escape.ptrace", ev, p, NULL, NULL, NULL,
                                     "'%s' tried to attach to or write into another process with ptrace (request %ld)",
                                     exe_of(p), req);
                break;
        }
        case SC_process_vm_writev:
                emit_finding(e, "sandbox-escape.process-injection", ev, p, NULL, NULL, NULL,
                             "'%s' wrote into another process's memory (process_vm_writev)", exe_of(p));
                break;
        case SC_process_vm_readv:
                emit_finding(e, "secret-access.process-memory", ev, p, NULL, NULL, NULL,
                             "'%s' read another process's memory (process_vm_readv)", exe_of(p));
                break;
        case SC_mount:
        case SC_umount2:
        case SC_pivot_root:
        case SC_chroot:
        case SC_open_tree:
        case SC_move_mount:
        case SC_fsopen:
        case SC_fsmount:
        case SC_mount_setattr:
                emit_finding(e, "sandbox-escape.mount", ev, p, sc_name(ev->sc), path, NULL,
                             "'%s' called %s%s%s%s: builds do not change mounts", exe_of(p), sc_name(ev->sc),
                             path ? " on '" : "", path ? path : "", path ? "'" : "");
                break;
        case SC_unshare:
        case SC_setns:
        case SC_clone:
        case SC_clone3:
                emit_finding(e, "sandbox-escape.namespace", ev, p, sc_name(ev->sc), NULL, NULL,
                             "'%s' tried to create or enter namespaces (%s)", exe_of(p), sc_name(ev->sc));
                break;
        case SC_init_module:
        case SC_finit_module:
        case SC_delete_module:
                emit_finding(e, "sandbox-escape.kernel-module", ev, p, NULL, NULL, NULL,
                             "'%s' tried to load or unload a kernel module (%s)", exe_of(p), sc_name(ev->sc));
                break;
        case SC_kexec_load:
        case SC_kexec_file_load:
                emit_finding(e, "sandbox-escape.kexec", ev, p, NULL, NULL, NULL, "'%s' tried to load a new kernel (%s)",
                             exe_of(p), sc_name(ev->sc));
                break;
        case SC_bpf:
                emit_finding(e, "sandbox-escape.bpf", ev, p, NULL, NULL, NULL,
                             "'%s' called bpf(), which loads programs into the kernel", exe_of(p));
                break;
        case SC_perf_event_open:
        case SC_keyctl:
        case SC_userfaultfd:
        case SC_io_uring_setup:
                emit_finding(e, "sandbox-escape.kernel-interface", ev, p, sc_name(ev->sc), NULL, NULL,
                             "'%s' called %s, a kernel interface with a history of privilege-escalation bugs",
                             exe_of(p), sc_name(ev->sc));
                break;
        case SC_setuid:
        case SC_setgid:
        case SC_setfsuid:
        case SC_setfsgid:
        case SC_setreuid:
        case SC_setregid:
        case SC_setresuid:
        case SC_setresgid: {
                int nargs = ev->sc == SC_setresuid || ev->sc == SC_setresgid ? 3
                            : ev->sc == SC_setreuid || ev->sc == SC_setregid ? 2
                                                                             : 1;
                for (int i = 0; i < nargs; i++)
                        if ((uint32_t) ev->arg[i] == 0) {
                                emit_finding(e, "privilege-escalation.setuid-root", ev, p, NULL, NULL, NULL,
                                             "'%s' tried to become root (%s(0))", exe_of(p), sc_name(ev->sc));
                                break;
                        }
                break;
        }
        case SC_capset:
                emit_finding(e, "privilege-escalation.capset", ev, p, NULL, NULL, NULL,
                             "'%s' tried to change its capabilities", exe_of(p));
                break;
        case SC_ioctl:
                emit_finding(e, "sandbox-escape.tty-injection", ev, p, NULL, NULL, NULL,
                             "'%s' tried to push keystrokes into a terminal (TIOCSTI/TIOCLINUX)", exe_of(p));
                break;
        default:
                break;
        }
}
