/* Tiny test harness for the C drivers: CHECK prints "ok"/"not ok" lines and counts them;
   check_summary() prints "N passed, M failed" and returns the exit status. */
#ifndef LEAFX_TEST_CHECK_H
#define LEAFX_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed = 0, check_failed = 0;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            check_passed++;                                                 \
            printf("ok - ");                                                \
        } else {                                                            \
            check_failed++;                                                 \
            printf("not ok - %s:%d: ", __FILE__, __LINE__);                 \
        }                                                                   \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
    } while (0)

/* A failing call must give `expected` and a message mentioning `needle`. */
#define CHECK_ERROR(call, expected, needle)                                       \
    do {                                                                          \
        leafx_status got_ = (call);                                               \
        const char *msg_ = leafx_last_error();                                    \
        CHECK(got_ == (expected) && msg_ && strstr(msg_, (needle)) != NULL,       \
              "%s -> %s [%s]", #call, leafx_status_string(got_), msg_ ? msg_ : "(null)"); \
    } while (0)

static int check_summary(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed == 0 ? 0 : 1;
}

#endif
