/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The umbrella over the topic headers of basic/, for the files written before
 * they were split: new code includes the topic headers it uses. Hashing lives
 * in crypto/hash.h (basic/ depends on nothing).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "basic/alloc.h"
#include "basic/fd.h"
#include "basic/fs.h"
#include "basic/macro.h"
#include "basic/string.h"
#include "basic/strv.h"
#include "basic/time.h"
