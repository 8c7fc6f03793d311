/* Host equivalence harness: shared declarations (accelerator memory, call recorder). */
#ifndef QTOOL_HARNESS_H
#define QTOOL_HARNESS_H

#include <stdint.h>

/* The accelerator's address window, backed by plain memory on the host: the MAX78000's by
 * default, the MAX78002's (quadrant 3's data memory ends below 0x55000000) when built with
 * -DHARNESS_MAX78002. HARNESS_CTL_BASE/HARNESS_QUADRANT_STRIDE locate each quadrant's
 * control registers. */
#define HARNESS_ACCEL_BASE 0x50000000UL
#ifdef HARNESS_MAX78002
#define HARNESS_ACCEL_END 0x55000000UL
#define HARNESS_CTL_BASE 0x51000000UL
#define HARNESS_QUADRANT_STRIDE 0x01000000UL
#else
#define HARNESS_ACCEL_END 0x51200000UL
#define HARNESS_CTL_BASE 0x50100000UL
#define HARNESS_QUADRANT_STRIDE 0x00400000UL
#endif
#define HARNESS_QUADRANTS 4

/* While on, a CPU-time tick completes any register-clearing self-test that cnn_init() starts
 * (sets the done bit of each quadrant's SRAM test register), so its wait loop ends. */
void harness_emulate_self_test(int on);

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
