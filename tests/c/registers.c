/*
 * Register-image harness (qtool equivalence tests). Owns `main` for a host build of a
 * project's cnn.c: with the accelerator window backed by plain memory it runs
 *   cnn_init(); cnn_configure(); cnn_load_weights(); cnn_load_bias(); cnn_start();
 * then prints every non-zero 32-bit word of the window as "address value" (hex) lines.
 * With --log-weight-writes (x86_64 Linux) it also logs every store cnn_load_weights() makes, as
 * "w address value" lines (the aligned word after the store): with --mexpress the KERNELS
 * chunks overlap on plain memory, so later chunks hide words of earlier ones in the image.
 * The log comes from write-protecting the window and single-stepping each faulting store.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "harness.h"

/* The project's cnn.c API (prototypes as in every generated cnn.h). */
int cnn_init(void);
int cnn_configure(void);
int cnn_load_weights(void);
int cnn_load_bias(void);
int cnn_start(void);

/* main.c normally defines the stopwatch that cnn.c writes. */
volatile uint32_t cnn_time;

#if defined(__x86_64__) && defined(__linux__)
#define LOG_WRITES 1
#define TRAP_FLAG 0x100

static uint32_t *log_addr, *log_value;
static size_t log_len, log_cap;
static uintptr_t pending_page, pending_addr;

static void log_die(const char *msg)
{
  ssize_t ignored = write(2, msg, strlen(msg));
  (void) ignored;
  _exit(97);
}

/* A store hit the protected window: let it through once, stop right after it. */
static void on_segv(int sig, siginfo_t *info, void *ctx)
{
  uintptr_t addr = (uintptr_t) info->si_addr;
  (void) sig;
  if (addr < HARNESS_ACCEL_BASE || addr >= HARNESS_ACCEL_END || pending_page != 0)
    log_die("registers harness: memory fault outside the accelerator window\n");
  pending_page = addr & ~(uintptr_t) 0xfff;
  pending_addr = addr & ~(uintptr_t) 3;
  mprotect((void *) pending_page, 0x1000, PROT_READ | PROT_WRITE);
  ((ucontext_t *) ctx)->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
}

/* The store is done: log the word it changed and protect the page again. */
static void on_trap(int sig, siginfo_t *info, void *ctx)
{
  (void) sig;
  (void) info;
  if (pending_page == 0)
    log_die("registers harness: unexpected trap\n");
  if (log_len == log_cap) {
    log_cap = log_cap ? 2 * log_cap : 1 << 16;
    log_addr = realloc(log_addr, log_cap * sizeof(uint32_t));
    log_value = realloc(log_value, log_cap * sizeof(uint32_t));
    if (log_addr == NULL || log_value == NULL)
      log_die("registers harness: out of memory\n");
  }
  log_addr[log_len] = (uint32_t) pending_addr;
  log_value[log_len++] = *(volatile uint32_t *) pending_addr;
  mprotect((void *) pending_page, 0x1000, PROT_READ);
  pending_page = 0;
  ((ucontext_t *) ctx)->uc_mcontext.gregs[REG_EFL] &= ~(greg_t) TRAP_FLAG;
}

static void watch_writes(int on)
{
  struct sigaction sa;
  size_t len = HARNESS_ACCEL_END - HARNESS_ACCEL_BASE;

  memset(&sa, 0, sizeof(sa));
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  sa.sa_sigaction = on_trap;
  sigaction(SIGTRAP, &sa, NULL);
  if (mprotect((void *) HARNESS_ACCEL_BASE, len, on ? PROT_READ : PROT_READ | PROT_WRITE) != 0)
    log_die("registers harness: mprotect failed\n");
}
#else
#define LOG_WRITES 0
static void watch_writes(int on) { (void) on; }
#endif

int main(int argc, char **argv)
{
  static char buf[1 << 16];
  const volatile uint32_t *word;
  int log_writes = argc > 1 && strcmp(argv[1], "--log-weight-writes") == 0;

  harness_map_accelerator();
  harness_set_timeout(60);

  harness_emulate_self_test(1);
  cnn_init();
  harness_emulate_self_test(0);
  cnn_configure();
  if (log_writes)
    watch_writes(1);
  cnn_load_weights();
  if (log_writes)
    watch_writes(0);
  cnn_load_bias();
  cnn_start();

  setvbuf(stdout, buf, _IOFBF, sizeof(buf));
#if LOG_WRITES
  for (size_t i = 0; i < log_len; i++)
    printf("w %08x %08x\n", log_addr[i], log_value[i]);
#endif
  for (word = (const volatile uint32_t *) HARNESS_ACCEL_BASE;
       word < (const volatile uint32_t *) HARNESS_ACCEL_END; word++) {
    uint32_t value = *word;
    if (value != 0)
      printf("%08lx %08x\n", (unsigned long) (uintptr_t) word, value);
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
