/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * `buildward doctor`'s view of the host: the sandbox's own features
 * (features_probe()), then what sits above the sandbox: BTF, the eBPF monitor
 * and fs-verity. Lives above sandbox/, monitor/ and integrity/ so none of them
 * has to include another to be probed.
 */
#include <stddef.h>

#include "sandbox/features.h"

/* Probes this host. Forks short-lived children; changes nothing on the host. */
size_t doctor_probe(struct feature **ret);
