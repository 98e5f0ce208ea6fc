/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/time.h"

uint64_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/*
 * The UTC calendar date of DAYS days after 1970-01-01, from the proleptic
 * Gregorian calendar's 400-year cycle (146097 days), counted in eras that
 * start on March 1 so that the leap day ends a year. Not gmtime(): glibc's
 * reads /etc/localtime through tzset() even for UTC, 0.2 ms of every report.
 */
static void civil_from_days(uint64_t days, unsigned *ret_year, unsigned *ret_month, unsigned *ret_day) {
        uint64_t z = days + 719468; /* days since 0000-03-01 */
        uint64_t era = z / 146097;
        unsigned doe = (unsigned) (z - era * 146097);                         /* day of the era */
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* year of the era */
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* day of the year, from March */
        unsigned mp = (5 * doy + 2) / 153;                                    /* month, March = 0 */
        *ret_day = doy - (153 * mp + 2) / 5 + 1;
        *ret_month = mp < 10 ? mp + 3 : mp - 9;
        *ret_year = (unsigned) (yoe + era * 400) + (*ret_month <= 2);
}

/* The inverse: days from 1970-01-01 to YEAR-MONTH-DAY (YEAR >= 1970; a day past the month's end runs on). */
static uint64_t days_from_civil(unsigned year, unsigned month, unsigned day) {
        unsigned y = year - (month <= 2), era = y / 400, yoe = y - era * 400;
        unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        return (uint64_t) era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

void format_rfc3339(uint64_t realtime_usec, char *buf, size_t n) {
        uint64_t secs = realtime_usec / 1000000ULL;
        unsigned y, mo, d, sod = (unsigned) (secs % 86400);
        civil_from_days(secs / 86400, &y, &mo, &d);
        snprintf(buf, n, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo, d, sod / 3600, sod / 60 % 60, sod % 60,
                 (unsigned) ((realtime_usec / 1000ULL) % 1000ULL));
}

int parse_rfc3339(const char *s, uint64_t *ret_usec) {
        struct tm tm = {};
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -EINVAL;
        uint64_t frac = 0, scale = 1000000;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (uint64_t) (*p - '0') * scale;
                        }
        }
        if (strcmp(p, "Z") != 0 || tm.tm_year < 70)
                return -EINVAL;
        /* Not timegm(): like gmtime() it reads /etc/localtime (format_rfc3339()). */
        uint64_t t =
                days_from_civil((unsigned) tm.tm_year + 1900, (unsigned) tm.tm_mon + 1, (unsigned) tm.tm_mday) * 86400 +
                (unsigned) tm.tm_hour * 3600 + (unsigned) tm.tm_min * 60 + (unsigned) tm.tm_sec;
        *ret_usec = t * 1000000 + frac;
        return 0;
}
