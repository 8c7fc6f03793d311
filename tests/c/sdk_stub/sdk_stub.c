/*
 * Host stand-in for the MSDK library (qtool equivalence harness). Owns the register blocks
 * declared in the stand-in mxc.h (plain globals) and the SDK functions: each does nothing but
 * record its call and arguments (harness_note prints only while the calls harness records).
 */
#include "mxc.h"

#include "../harness.h"

mxc_gcr_regs_t harness_gcr;
mxc_gcfr_regs_t harness_gcfr;
mxc_bbfc_regs_t harness_bbfc;
mxc_bbfc_regs_t harness_nbbfc;
mxc_fcr_regs_t harness_fcr;
mxc_sema_regs_t harness_sema;
mxc_pwrseq_regs_t harness_pwrseq;
mxc_cameraif_regs_t harness_cameraif;
harness_scb_t harness_scb;
mxc_gpio_regs_t harness_gpio[4];
mxc_tmr_regs_t harness_tmr[6];
mxc_icc_regs_t harness_icc[2];
uint32_t SystemCoreClock = 100000000;
/* Linker symbol that RISC-V wrapper projects take the address of. */
volatile void const *__FlashStart_;

/* Ready bits read as set, so clock-ready wait loops end at once. */
__attribute__((constructor)) static void sdk_stub_init(void)
{
  harness_gcr.clkctrl = MXC_F_GCR_CLKCTRL_IPO_RDY;
  harness_gcr.ipll_ctrl = MXC_F_GCR_IPLL_CTRL_RDY;
  harness_gcr.ito_ctrl = MXC_F_GCR_ITO_CTRL_RDY;
  harness_gcr.clkcn = MXC_F_GCR_CLKCN_HIRC96M_RDY;
}

static const char *gpio_name(const mxc_gpio_regs_t *port)
{
  static const char *names[] = {"MXC_GPIO0", "MXC_GPIO1", "MXC_GPIO2", "MXC_GPIO3"};
  for (int i = 0; i < 4; i++)
    if (port == &harness_gpio[i])
      return names[i];
  return "?gpio";
}

static const char *tmr_name(const mxc_tmr_regs_t *tmr)
{
  static const char *names[] = {"MXC_TMR0", "MXC_TMR1", "MXC_TMR2",
                                "MXC_TMR3", "MXC_TMR4", "MXC_TMR5"};
  for (int i = 0; i < 6; i++)
    if (tmr == &harness_tmr[i])
      return names[i];
  return "?tmr";
}

static const char *icc_name(const mxc_icc_regs_t *icc)
{
  if (icc == &harness_icc[0])
    return "MXC_ICC0";
  if (icc == &harness_icc[1])
    return "MXC_ICC1";
  return "?icc";
}

static const char *clock_name(mxc_sys_system_clock_t clock)
{
  switch (clock) {
  case MXC_SYS_CLOCK_ISO: return "MXC_SYS_CLOCK_ISO";
  case MXC_SYS_CLOCK_IPO: return "MXC_SYS_CLOCK_IPO";
  case MXC_SYS_CLOCK_IBRO: return "MXC_SYS_CLOCK_IBRO";
  case MXC_SYS_CLOCK_ERFO: return "MXC_SYS_CLOCK_ERFO";
  case MXC_SYS_CLOCK_INRO: return "MXC_SYS_CLOCK_INRO";
  case MXC_SYS_CLOCK_ERTCO: return "MXC_SYS_CLOCK_ERTCO";
  case MXC_SYS_CLOCK_EXTCLK: return "MXC_SYS_CLOCK_EXTCLK";
  }
  return "?clock";
}

static const char *periph_name(mxc_sys_periph_clock_t clock)
{
  switch (clock) {
  case MXC_SYS_PERIPH_CLOCK_CNN: return "MXC_SYS_PERIPH_CLOCK_CNN";
  case MXC_SYS_PERIPH_CLOCK_CPU1: return "MXC_SYS_PERIPH_CLOCK_CPU1";
  case MXC_SYS_PERIPH_CLOCK_SMPHR: return "MXC_SYS_PERIPH_CLOCK_SMPHR";
  case MXC_SYS_PERIPH_CLOCK_TMR0: return "MXC_SYS_PERIPH_CLOCK_TMR0";
  case MXC_SYS_PERIPH_CLOCK_GPIO0: return "MXC_SYS_PERIPH_CLOCK_GPIO0";
  case MXC_SYS_PERIPH_CLOCK_PCIF: return "MXC_SYS_PERIPH_CLOCK_PCIF";
  }
  return "?periph";
}

static const char *irq_name(IRQn_Type irq)
{
  switch (irq) {
  case CNN_IRQn: return "CNN_IRQn";
  case RISCV_IRQn: return "RISCV_IRQn";
  }
  return "?irq";
}

int MXC_GPIO_Config(const mxc_gpio_cfg_t *cfg)
{
  harness_note("MXC_GPIO_Config(port=%s, mask=0x%08x, func=%d, pad=%d)", gpio_name(cfg->port),
               cfg->mask, (int) cfg->func, (int) cfg->pad);
  return E_NO_ERROR;
}

void MXC_GPIO_OutSet(mxc_gpio_regs_t *port, uint32_t mask)
{
  harness_note("MXC_GPIO_OutSet(%s, 0x%08x)", gpio_name(port), mask);
}

void MXC_GPIO_OutClr(mxc_gpio_regs_t *port, uint32_t mask)
{
  harness_note("MXC_GPIO_OutClr(%s, 0x%08x)", gpio_name(port), mask);
}

void MXC_GPIO_OutToggle(mxc_gpio_regs_t *port, uint32_t mask)
{
  harness_note("MXC_GPIO_OutToggle(%s, 0x%08x)", gpio_name(port), mask);
}

void LED_On(unsigned int idx) { harness_note("LED_On(%u)", idx); }
void LED_Off(unsigned int idx) { harness_note("LED_Off(%u)", idx); }
void LED_Toggle(unsigned int idx) { harness_note("LED_Toggle(%u)", idx); }

void MXC_TMR_SW_Start(mxc_tmr_regs_t *tmr) { harness_note("MXC_TMR_SW_Start(%s)", tmr_name(tmr)); }

unsigned int MXC_TMR_SW_Stop(mxc_tmr_regs_t *tmr)
{
  harness_note("MXC_TMR_SW_Stop(%s)", tmr_name(tmr));
  return 1;
}

void MXC_TMR_Delay(mxc_tmr_regs_t *tmr, uint32_t us)
{
  harness_note("MXC_TMR_Delay(%s, %u)", tmr_name(tmr), us);
}

void MXC_ICC_Enable(mxc_icc_regs_t *icc) { harness_note("MXC_ICC_Enable(%s)", icc_name(icc)); }
void MXC_ICC_Disable(mxc_icc_regs_t *icc) { harness_note("MXC_ICC_Disable(%s)", icc_name(icc)); }

int MXC_SYS_Clock_Select(mxc_sys_system_clock_t clock)
{
  harness_note("MXC_SYS_Clock_Select(%s)", clock_name(clock));
  return E_NO_ERROR;
}

int MXC_SYS_ClockSourceEnable(mxc_sys_system_clock_t clock)
{
  harness_note("MXC_SYS_ClockSourceEnable(%s)", clock_name(clock));
  return E_NO_ERROR;
}

void MXC_SYS_ClockEnable(mxc_sys_periph_clock_t clock)
{
  harness_note("MXC_SYS_ClockEnable(%s)", periph_name(clock));
}

void MXC_SYS_ClockDisable(mxc_sys_periph_clock_t clock)
{
  harness_note("MXC_SYS_ClockDisable(%s)", periph_name(clock));
}

void SystemCoreClockUpdate(void) { harness_note("SystemCoreClockUpdate()"); }

int MXC_Delay(uint32_t us)
{
  harness_note("MXC_Delay(%u)", us);
  return E_NO_ERROR;
}

void MXC_LP_EnterSleepMode(void)
{
  harness_note("MXC_LP_EnterSleepMode()");
  harness_sleep_hook();
}

void MXC_LP_EnterLowPowerMode(void)
{
  harness_note("MXC_LP_EnterLowPowerMode()");
  harness_sleep_hook();
}

void MXC_LP_EnterDeepSleepMode(void)
{
  harness_note("MXC_LP_EnterDeepSleepMode()");
  harness_sleep_hook();
}

void _MXC_LP_ClearWakeStatus(void) { harness_note("_MXC_LP_ClearWakeStatus()"); }

void harness_wfi(void)
{
  harness_note("__WFI()");
  harness_sleep_hook();
}

void MXC_NVIC_SetVector(IRQn_Type irq, void (*handler)(void))
{
  (void) handler;
  harness_note("MXC_NVIC_SetVector(%s)", irq_name(irq));
}

void NVIC_SetVector(IRQn_Type irq, void (*handler)(void))
{
  (void) handler;
  harness_note("NVIC_SetVector(%s)", irq_name(irq));
}

void NVIC_EnableIRQ(IRQn_Type irq) { harness_note("NVIC_EnableIRQ(%s)", irq_name(irq)); }
void NVIC_DisableIRQ(IRQn_Type irq) { harness_note("NVIC_DisableIRQ(%s)", irq_name(irq)); }
void NVIC_ClearPendingIRQ(IRQn_Type irq) { harness_note("NVIC_ClearPendingIRQ(%s)", irq_name(irq)); }
void NVIC_EnableEVENT(IRQn_Type irq) { harness_note("NVIC_EnableEVENT(%s)", irq_name(irq)); }

void NVIC_ClearPendingEVENT(IRQn_Type irq)
{
  harness_note("NVIC_ClearPendingEVENT(%s)", irq_name(irq));
}

void Debug_Init(void) { harness_note("Debug_Init()"); }

int Console_Init(void)
{
  harness_note("Console_Init()");
  return E_NO_ERROR;
}

void arm_softmax_q7_q15(const q7_t *vec_in, const uint16_t dim_vec, q15_t *p_out)
{
  (void) vec_in;
  for (uint16_t i = 0; i < dim_vec; i++)
    p_out[i] = 0;
  harness_note("arm_softmax_q7_q15(dim_vec=%u)", (unsigned) dim_vec);
}
