/*
 * Call-sequence harness (qtool equivalence tests). Owns the host stand-ins for a project's
 * cnn.c API, the printf family and the function-entry hooks: linked with the project's main.c
 * (and softmax.c), built with -finstrument-functions for those two files, it prints one line per
 * call main() makes, in order: cnn_* API calls with their arguments, SDK calls (from
 * sdk_stub.c), entries into functions defined in main.c/softmax.c (`name()`), and text printed
 * (`printf("...")`). The accelerator window is mapped so that load_input()'s FIFO polls read 0
 * and check_output() reads the words of the project's own SAMPLE_OUTPUT, stored at cnn_start().
 * fail() and endless waits end the process (exit 3 / 124) instead of hanging.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mxc.h"
#include "cnn.h"
#include "harness.h"

#if __has_include("sampleoutput.h")
#include "sampleoutput.h"
#endif

#define NOINST __attribute__((no_instrument_function))

/* Defined by the project's main.c (or main_riscv.c); the stand-in "interrupt" sets it. The
 * Arm loader main.c of a RISC-V project has none, so this weak one stands in there. */
__attribute__((weak)) volatile uint32_t cnn_time;

/* ---- The accelerator's completion interrupt ---- */

static volatile sig_atomic_t cnn_pending;

NOINST static void deliver_cnn_interrupt(void)
{
  if (cnn_pending) {
    cnn_pending = 0;
    cnn_time = 1;
  }
}

/* Sleeping waits for the pending interrupt: it arrives at once. */
NOINST void harness_sleep_hook(void) { deliver_cnn_interrupt(); }

/* A spin wait (`while (cnn_time == 0);`) gets the interrupt after 0.5 s of CPU time. */
NOINST static void on_virtual_timer(int sig)
{
  (void) sig;
  deliver_cnn_interrupt();
}

/* The accelerator "finishes" with the project's expected output in its memory. */
NOINST static void store_expected_output(void)
{
#ifdef SAMPLE_OUTPUT
  static const uint32_t expected[] = SAMPLE_OUTPUT;
  const uint32_t *p = expected;
  uint32_t addr;

  while ((addr = *p++) != 0) {
    uint32_t mask = *p++;
    uint32_t len = *p++;
    volatile uint32_t *word = (volatile uint32_t *) (uintptr_t) addr;
    while (len-- > 0) {
      *word = (*word & ~mask) | (*p++ & mask);
      word++;
    }
  }
#endif
}

NOINST static void run_accelerator(void)
{
  struct itimerval t = {{0, 0}, {0, 500000}};

  cnn_time = 0;
  store_expected_output();
  cnn_pending = 1;
  setitimer(ITIMER_VIRTUAL, &t, NULL);
}

NOINST __attribute__((constructor)) static void calls_harness_init(void)
{
  harness_map_accelerator();
  harness_set_timeout(10);
  signal(SIGVTALRM, on_virtual_timer);
  harness_recording = 1;
}

/* ---- Function entries in main.c / softmax.c (built with -finstrument-functions) ---- */

NOINST void __cyg_profile_func_enter(void *fn, void *call_site)
{
  Dl_info info;
  const char *name = "<static function>";

  (void) call_site;
  if (dladdr(fn, &info) != 0 && info.dli_sname != NULL && info.dli_saddr == fn)
    name = info.dli_sname;
  if (strcmp(name, "main") == 0)
    return;
  harness_note("%s()", name);
  if (strcmp(name, "fail") == 0) {
    harness_note("harness: fail() entered, stopping (it would loop forever)");
    _exit(3);
  }
}

NOINST void __cyg_profile_func_exit(void *fn, void *call_site)
{
  (void) fn;
  (void) call_site;
}

/* ---- printf family: recorded as calls, with the text C-escaped ---- */

NOINST static void note_text(const char *api, const char *text)
{
  char line[4096];
  size_t n = 0;

  for (const unsigned char *c = (const unsigned char *) text; *c && n + 8 < sizeof(line); c++) {
    switch (*c) {
    case '\n': line[n++] = '\\'; line[n++] = 'n'; break;
    case '\t': line[n++] = '\\'; line[n++] = 't'; break;
    case '\r': line[n++] = '\\'; line[n++] = 'r'; break;
    case '"': line[n++] = '\\'; line[n++] = '"'; break;
    case '\\': line[n++] = '\\'; line[n++] = '\\'; break;
    default:
      if (*c < 0x20 || *c >= 0x7f)
        n += (size_t) snprintf(line + n, sizeof(line) - n, "\\x%02x", *c);
      else
        line[n++] = (char) *c;
    }
  }
  line[n] = 0;
  harness_note("%s(\"%s\")", api, line);
}

NOINST int printf(const char *fmt, ...)
{
  char text[4096];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  note_text("printf", text);
  return n;
}

NOINST int puts(const char *s)
{
  char text[4096];

  snprintf(text, sizeof(text), "%s\n", s);
  note_text("printf", text);
  return 1;
}

NOINST int putchar(int c)
{
  char text[2] = {(char) c, 0};

  note_text("printf", text);
  return c;
}

/* ---- Stand-ins for the cnn.c API ---- */

NOINST static uint32_t fnv1a_words(const uint32_t *src, int n)
{
  uint32_t h = 0x811c9dc5u;

  for (int i = 0; i < n; i++)
    for (int b = 0; b < 32; b += 8) {
      h ^= (src[i] >> b) & 0xff;
      h *= 0x01000193u;
    }
  return h;
}

NOINST void memcpy32(uint32_t *dst, const uint32_t *src, int n)
{
  harness_note("memcpy32(0x%08lx, <%d words, fnv1a 0x%08x>, %d)", (unsigned long) (uintptr_t) dst,
               n, fnv1a_words(src, n), n);
  while (n-- > 0)
    *dst++ = *src++;
}

NOINST void memcpy32_const(uint32_t *dst, int n)
{
  harness_note("memcpy32_const(0x%08lx, %d)", (unsigned long) (uintptr_t) dst, n);
}

NOINST int cnn_enable(uint32_t clock_source, uint32_t clock_divider)
{
  harness_note("cnn_enable(0x%08x, 0x%08x)", clock_source, clock_divider);
  return CNN_OK;
}

NOINST int cnn_disable(void)
{
  harness_note("cnn_disable()");
  return CNN_OK;
}

NOINST int cnn_init(void)
{
  harness_note("cnn_init()");
  return CNN_OK;
}

NOINST int cnn_configure(void)
{
  harness_note("cnn_configure()");
  return CNN_OK;
}

NOINST int cnn_load_weights(void)
{
  harness_note("cnn_load_weights()");
  return CNN_OK;
}

NOINST int cnn_verify_weights(void)
{
  harness_note("cnn_verify_weights()");
  return CNN_OK;
}

NOINST int cnn_load_bias(void)
{
  harness_note("cnn_load_bias()");
  return CNN_OK;
}

NOINST int cnn_start(void)
{
  harness_note("cnn_start()");
  run_accelerator();
  return CNN_OK;
}

NOINST int cnn_stop(void)
{
  harness_note("cnn_stop()");
  return CNN_OK;
}

NOINST int cnn_continue(void)
{
  harness_note("cnn_continue()");
  run_accelerator();
  return CNN_OK;
}

NOINST int cnn_unload(uint32_t *out_buf)
{
  (void) out_buf;
  harness_note("cnn_unload()");
  return CNN_OK;
}

NOINST static const char *port_name(const mxc_gpio_regs_t *port)
{
  static const char *names[] = {"MXC_GPIO0", "MXC_GPIO1", "MXC_GPIO2", "MXC_GPIO3"};
  for (int i = 0; i < 4; i++)
    if (port == &harness_gpio[i])
      return names[i];
  return "?gpio";
}

NOINST int cnn_boost_enable(mxc_gpio_regs_t *port, uint32_t pin)
{
  harness_note("cnn_boost_enable(%s, 0x%08x)", port_name(port), pin);
  return CNN_OK;
}

NOINST int cnn_boost_disable(mxc_gpio_regs_t *port, uint32_t pin)
{
  harness_note("cnn_boost_disable(%s, 0x%08x)", port_name(port), pin);
  return CNN_OK;
}

/* Fallbacks when the project has no softmax.c (its own definitions win when linked); they
 * record themselves as the instrumented entries of softmax.c would. */
NOINST __attribute__((weak)) void softmax_q17p14_q15(const q31_t *vec_in, const uint16_t dim_vec,
                                                     q15_t *p_out)
{
  (void) vec_in;
  (void) p_out;
  (void) dim_vec;
  harness_note("softmax_q17p14_q15()");
}

NOINST __attribute__((weak)) void softmax_shift_q17p14_q15(q31_t *vec_in, const uint16_t dim_vec,
                                                           uint8_t in_shift, q15_t *p_out)
{
  (void) vec_in;
  (void) p_out;
  (void) dim_vec;
  (void) in_shift;
  harness_note("softmax_shift_q17p14_q15()");
}
