/* Host equivalence harness: shared declarations (accelerator memory, call recorder). */
#ifndef QTOOL_HARNESS_H
#define QTOOL_HARNESS_H

#include <stdint.h>

/* The MAX78000 accelerator's address window, backed by plain memory on the host. */
#define HARNESS_ACCEL_BASE 0x50000000UL
#define HARNESS_ACCEL_END 0x51200000UL

/* Map the accelerator window at its real address; exits with a clear message on failure. */
void harness_map_accelerator(void);

/* Kill the process after `seconds` so that a waiting loop in the C under test cannot hang. */
void harness_set_timeout(unsigned seconds);

/* Non-zero while calls are being recorded (the calls harness sets it; registers leaves it 0). */
extern int harness_recording;

/* Record one call: a printf-style line, written straight to stdout when recording. */
void harness_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write `len` bytes to stdout, unbuffered (safe before _exit). */
void harness_write(const char *text, unsigned long len);

/* Called by the SDK stand-in when the program sleeps waiting for the accelerator. */
void harness_sleep_hook(void);

#endif
