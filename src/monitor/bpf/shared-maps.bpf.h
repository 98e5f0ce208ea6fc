/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The maps the monitor's object (monitor.bpf.c) creates and the BPF-LSM
 * object (lsm.bpf.c) reuses by fd (bpf_map__reuse_fd() refuses a map whose
 * type, sizes or flags differ): one definition for both.
 */
struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, struct bw_config);
} bw_config SEC(".maps");
