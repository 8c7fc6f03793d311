/* Host equivalence harness: maps the accelerator window, records calls, bounds run time. */
#define _GNU_SOURCE
#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

int harness_recording;

void harness_write(const char *text, unsigned long len)
{
  while (len > 0) {
    ssize_t n = write(1, text, len);
    if (n <= 0)
      return;
    text += n;
    len -= (unsigned long) n;
  }
}

void harness_note(const char *fmt, ...)
{
  char line[4096];
  va_list ap;
  int n;

  if (!harness_recording)
    return;
  va_start(ap, fmt);
  n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if (n > (int) sizeof(line) - 2)
    n = (int) sizeof(line) - 2;
  line[n++] = '\n';
  harness_write(line, (unsigned long) n);
}

static void die(const char *msg, int code)
{
  ssize_t ignored = write(2, msg, strlen(msg));
  (void) ignored;
  _exit(code);
}

void harness_map_accelerator(void)
{
  static int mapped;
  void *want = (void *) HARNESS_ACCEL_BASE;
  size_t len = HARNESS_ACCEL_END - HARNESS_ACCEL_BASE;
  void *got;

  if (mapped)
    return;
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
  got = mmap(want, len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (got == MAP_FAILED)
    die("harness: cannot map the accelerator window at 0x50000000 "
        "(mmap MAP_FIXED_NOREPLACE failed: the range is in use or mmap_min_addr forbids it)\n", 98);
  if (got != want)
    die("harness: the kernel placed the accelerator window elsewhere "
        "(MAP_FIXED_NOREPLACE unsupported?)\n", 98);
  mapped = 1;
}

static void on_timeout(int sig)
{
  (void) sig;
  die("harness: TIMEOUT - the program under test did not finish (a wait loop that never ends?)\n", 124);
}

void harness_set_timeout(unsigned seconds)
{
  signal(SIGALRM, on_timeout);
  alarm(seconds);
}

/* The SRAM test register of each quadrant (word 3 of its control block): a clear command
 * (bit 7) reports done (bit 25). */
#define SELF_TEST_CLEAR (1UL << 7)
#define SELF_TEST_DONE (1UL << 25)

static void on_self_test_tick(int sig)
{
  (void) sig;
  for (unsigned long q = 0; q < HARNESS_QUADRANTS; q++) {
    volatile uint32_t *test =
        (volatile uint32_t *) (HARNESS_CTL_BASE + q * HARNESS_QUADRANT_STRIDE + 0xc);
    if ((*test & SELF_TEST_CLEAR) != 0)
      *test |= SELF_TEST_DONE;
  }
}

void harness_emulate_self_test(int on)
{
  struct itimerval tick;

  memset(&tick, 0, sizeof(tick));
  if (on) {
    signal(SIGVTALRM, on_self_test_tick);
    tick.it_interval.tv_usec = 1000;
    tick.it_value.tv_usec = 1000;
  }
  setitimer(ITIMER_VIRTUAL, &tick, NULL);
  if (!on)
    signal(SIGVTALRM, SIG_DFL);
}

/* Default: nothing to wake up for (the calls harness overrides this). */
__attribute__((weak)) void harness_sleep_hook(void) {}
