/*
 * Host stand-in for the MSDK umbrella header `mxc.h`, written for qtool's equivalence harness.
 * Owns: the SDK types, register blocks, constants and functions that generated MAX78000
 * projects (`cnn.c`, `main.c`, `softmax.c`) name. Register blocks are plain host globals
 * (defined in sdk_stub.c); functions are no-ops that record themselves while the calls harness
 * records. Constant values are stand-ins chosen to be distinct per option, not hardware facts.
 */
#ifndef QTOOL_SDK_STUB_MXC_H
#define QTOOL_SDK_STUB_MXC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- CMSIS-style fixed-point types (identical redefinitions in cnn.h are legal C11) ---- */
typedef int8_t q7_t;
typedef int16_t q15_t;
typedef int32_t q31_t;
typedef int64_t q63_t;

/* ---- Error codes ---- */
#define E_NO_ERROR 0
#define E_NULL_PTR (-1)
#define E_BAD_PARAM (-3)

/* ---- Time helpers (microseconds) ---- */
#define USEC(us) ((uint32_t)(us))
#define MSEC(ms) ((uint32_t)(ms) * 1000UL)
#define SEC(s) ((uint32_t)(s) * 1000000UL)

/* ---- Global control registers (the fields generated code touches) ---- */
typedef struct {
  volatile uint32_t sysctrl;
  volatile uint32_t rst0;
  volatile uint32_t clkctrl;
  volatile uint32_t pm;
  volatile uint32_t pclkdiv;
  volatile uint32_t pclkdis0;
  volatile uint32_t memctrl;
  volatile uint32_t memz;
  volatile uint32_t sysst;
  volatile uint32_t rst1;
  volatile uint32_t pclkdis1;
  volatile uint32_t eventen;
  volatile uint32_t revision;
  volatile uint32_t sysie;
  volatile uint32_t eccerr;
  volatile uint32_t ipll_ctrl;
  volatile uint32_t ito_ctrl;
  /* Older (MAX78000 pre-release / AI84) spellings */
  volatile uint32_t clkcn;
  volatile uint32_t pckdiv;
  volatile uint32_t perckcn;
  volatile uint32_t perckcn1;
} mxc_gcr_regs_t;
extern mxc_gcr_regs_t harness_gcr;
#define MXC_GCR (&harness_gcr)

#define MXC_F_GCR_PCLKDIV_CNNCLKDIV_POS 14
#define MXC_F_GCR_PCLKDIV_CNNCLKDIV ((uint32_t)(0x7UL << MXC_F_GCR_PCLKDIV_CNNCLKDIV_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV2 ((uint32_t)(0x0UL << MXC_F_GCR_PCLKDIV_CNNCLKDIV_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV4 ((uint32_t)(0x1UL << MXC_F_GCR_PCLKDIV_CNNCLKDIV_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV8 ((uint32_t)(0x2UL << MXC_F_GCR_PCLKDIV_CNNCLKDIV_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV16 ((uint32_t)(0x3UL << MXC_F_GCR_PCLKDIV_CNNCLKDIV_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV1 ((uint32_t)(0x4UL << MXC_F_GCR_PCLKDIV_CNNCLKDIV_POS))
#define MXC_F_GCR_PCLKDIV_CNNCLKSEL_POS 17
#define MXC_F_GCR_PCLKDIV_CNNCLKSEL ((uint32_t)(0x3UL << MXC_F_GCR_PCLKDIV_CNNCLKSEL_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKSEL_PCLK ((uint32_t)(0x0UL << MXC_F_GCR_PCLKDIV_CNNCLKSEL_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKSEL_ISO ((uint32_t)(0x1UL << MXC_F_GCR_PCLKDIV_CNNCLKSEL_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL ((uint32_t)(0x2UL << MXC_F_GCR_PCLKDIV_CNNCLKSEL_POS))
#define MXC_S_GCR_PCLKDIV_CNNCLKSEL_ITO ((uint32_t)(0x3UL << MXC_F_GCR_PCLKDIV_CNNCLKSEL_POS))
#define MXC_F_GCR_PCLKDIS0_CNN ((uint32_t)(1UL << 25))
#define MXC_F_GCR_CLKCTRL_IPO_EN ((uint32_t)(1UL << 19))
#define MXC_F_GCR_CLKCTRL_IPO_RDY ((uint32_t)(1UL << 27))
#define MXC_S_GCR_CLKCTRL_SYSCLK_SEL_IPO ((uint32_t)(0x4UL << 9))
#define MXC_F_GCR_IPLL_CTRL_EN ((uint32_t)(1UL << 0))
#define MXC_F_GCR_IPLL_CTRL_RDY ((uint32_t)(1UL << 29))
#define MXC_F_GCR_ITO_CTRL_EN ((uint32_t)(1UL << 0))
#define MXC_F_GCR_ITO_CTRL_RDY ((uint32_t)(1UL << 29))
#define MXC_F_GCR_CLKCN_HIRC96M_EN ((uint32_t)(1UL << 19))
#define MXC_F_GCR_CLKCN_HIRC96M_RDY ((uint32_t)(1UL << 27))
#define MXC_S_GCR_CLKCN_CLKSEL_HIRC96 ((uint32_t)(0x4UL << 9))
#define MXC_F_GCR_PERCKCN1_CPU1 ((uint32_t)(1UL << 31))
#define MXC_F_GCR_PERCKCN1_SMPHRD ((uint32_t)(1UL << 9))

/* ---- CNN power/reset/isolation controls (gcfr_regs.h / bbfc_regs.h) ---- */
typedef struct {
  volatile uint32_t reg0; /* power */
  volatile uint32_t reg1; /* memory mask */
  volatile uint32_t reg2; /* isolation */
  volatile uint32_t reg3; /* reset */
  volatile uint32_t reg4;
} mxc_gcfr_regs_t;
typedef mxc_gcfr_regs_t mxc_bbfc_regs_t;
extern mxc_gcfr_regs_t harness_gcfr;
extern mxc_bbfc_regs_t harness_bbfc;
extern mxc_bbfc_regs_t harness_nbbfc;
#define MXC_GCFR (&harness_gcfr)
#define MXC_BBFC (&harness_bbfc)
#define MXC_NBBFC (&harness_nbbfc)

/* ---- Flash controller (RISC-V boot address) ---- */
typedef struct {
  volatile uint32_t ctrl;
  volatile uint32_t autoctrl;
  volatile uint32_t intfl;
  volatile uint32_t inten;
  volatile uint32_t urvbootaddr;
  volatile uint32_t urvctrl;
} mxc_fcr_regs_t;
extern mxc_fcr_regs_t harness_fcr;
#define MXC_FCR (&harness_fcr)

/* ---- Semaphores, power sequencer, camera interface ---- */
typedef struct {
  volatile uint32_t irq0;
  volatile uint32_t irqr0;
  volatile uint32_t mail0;
  volatile uint32_t irq1;
  volatile uint32_t mail1;
} mxc_sema_regs_t;
extern mxc_sema_regs_t harness_sema;
#define MXC_SEMA (&harness_sema)
#define MXC_F_SEMA_IRQ0_EN ((uint32_t)(1UL << 0))
#define MXC_F_SEMA_IRQ0_CM4_IRQ ((uint32_t)(1UL << 16))
#define MXC_S_SEMA_IRQR_IRQEN_EN ((uint32_t)(1UL << 0))
#define MXC_S_SEMA_IRQR_IRQ_SET ((uint32_t)(1UL << 16))
#define MXC_S_SEMA_IRQR_IRQ_CLR ((uint32_t)(0UL << 16))

typedef struct {
  volatile uint32_t lpctrl;
  volatile uint32_t lpwkfl0;
  volatile uint32_t lpwken0;
  volatile uint32_t lppwst;
  volatile uint32_t lppwen;
  volatile uint32_t lpwkst;
  volatile uint32_t lpwken;
} mxc_pwrseq_regs_t;
extern mxc_pwrseq_regs_t harness_pwrseq;
#define MXC_PWRSEQ (&harness_pwrseq)
#define MXC_F_PWRSEQ_LPPWEN_CPU1 ((uint32_t)(1UL << 11))

typedef struct {
  volatile uint32_t ver;
  volatile uint32_t fifo_size;
  volatile uint32_t ctrl;
  volatile uint32_t int_en;
  volatile uint32_t int_fl;
  volatile uint32_t ds_timing_codes;
  volatile uint32_t fifo_data;
} mxc_cameraif_regs_t;
extern mxc_cameraif_regs_t harness_cameraif;
#define MXC_CAMERAIF0 (&harness_cameraif)
#define MXC_PCIF (&harness_cameraif)
#define MXC_S_CAMERAIF_CTRL_READ_MODE_SINGLE_IMG ((uint32_t)(0x1UL << 0))
#define MXC_S_CAMERAIF_CTRL_DATA_WIDTH_8BIT ((uint32_t)(0x0UL << 2))
#define MXC_S_CAMERAIF_CTRL_DATA_WIDTH_10BIT ((uint32_t)(0x1UL << 2))
#define MXC_S_CAMERAIF_CTRL_DATA_WIDTH_12BIT ((uint32_t)(0x2UL << 2))
#define MXC_S_CAMERAIF_CTRL_DS_TIMING_EN_DIS ((uint32_t)(0x0UL << 4))
#define MXC_F_CAMERAIF_CTRL_PCIF_SYS ((uint32_t)(1UL << 12))
#define MXC_S_CAMERAIF_CTRL_PCIF_SYS_EN_EN ((uint32_t)(1UL << 12))
#define MXC_F_CAMERAIF_CTRL_THREE_CH_EN ((uint32_t)(1UL << 30))

/* ---- Cortex-M system control block (simulation-style main.c) ---- */
typedef struct {
  volatile uint32_t SCR;
} harness_scb_t;
extern harness_scb_t harness_scb;
#define SCB (&harness_scb)
#define SCB_SCR_SLEEPDEEP_Msk (1UL << 2)

/* ---- GPIO ---- */
typedef struct {
  volatile uint32_t en0;
  volatile uint32_t out;
  volatile uint32_t out_set;
  volatile uint32_t out_clr;
  volatile uint32_t in;
} mxc_gpio_regs_t;
extern mxc_gpio_regs_t harness_gpio[4];
#define MXC_GPIO0 (&harness_gpio[0])
#define MXC_GPIO1 (&harness_gpio[1])
#define MXC_GPIO2 (&harness_gpio[2])
#define MXC_GPIO3 (&harness_gpio[3])
#define MXC_GPIO_GET_GPIO(i) (&harness_gpio[(i)])
#define MXC_GPIO_PIN_0 ((uint32_t)(1UL << 0))
#define MXC_GPIO_PIN_1 ((uint32_t)(1UL << 1))
#define MXC_GPIO_PIN_2 ((uint32_t)(1UL << 2))
#define MXC_GPIO_PIN_3 ((uint32_t)(1UL << 3))
#define MXC_GPIO_PIN_4 ((uint32_t)(1UL << 4))
#define MXC_GPIO_PIN_5 ((uint32_t)(1UL << 5))
#define MXC_GPIO_PIN_6 ((uint32_t)(1UL << 6))
#define MXC_GPIO_PIN_7 ((uint32_t)(1UL << 7))
#define MXC_GPIO_PIN_8 ((uint32_t)(1UL << 8))
#define MXC_GPIO_PIN_9 ((uint32_t)(1UL << 9))
#define MXC_GPIO_PIN_10 ((uint32_t)(1UL << 10))
#define MXC_GPIO_PIN_11 ((uint32_t)(1UL << 11))
#define MXC_GPIO_PIN_12 ((uint32_t)(1UL << 12))
#define MXC_GPIO_PIN_13 ((uint32_t)(1UL << 13))
#define MXC_GPIO_PIN_14 ((uint32_t)(1UL << 14))
#define MXC_GPIO_PIN_15 ((uint32_t)(1UL << 15))
#define MXC_GPIO_PIN_16 ((uint32_t)(1UL << 16))
#define MXC_GPIO_PIN_17 ((uint32_t)(1UL << 17))
#define MXC_GPIO_PIN_18 ((uint32_t)(1UL << 18))
#define MXC_GPIO_PIN_19 ((uint32_t)(1UL << 19))
#define MXC_GPIO_PIN_20 ((uint32_t)(1UL << 20))
#define MXC_GPIO_PIN_21 ((uint32_t)(1UL << 21))
#define MXC_GPIO_PIN_22 ((uint32_t)(1UL << 22))
#define MXC_GPIO_PIN_23 ((uint32_t)(1UL << 23))
#define MXC_GPIO_PIN_24 ((uint32_t)(1UL << 24))
#define MXC_GPIO_PIN_25 ((uint32_t)(1UL << 25))
#define MXC_GPIO_PIN_26 ((uint32_t)(1UL << 26))
#define MXC_GPIO_PIN_27 ((uint32_t)(1UL << 27))
#define MXC_GPIO_PIN_28 ((uint32_t)(1UL << 28))
#define MXC_GPIO_PIN_29 ((uint32_t)(1UL << 29))
#define MXC_GPIO_PIN_30 ((uint32_t)(1UL << 30))
#define MXC_GPIO_PIN_31 ((uint32_t)(1UL << 31))

typedef enum {
  MXC_GPIO_FUNC_IN,
  MXC_GPIO_FUNC_OUT,
  MXC_GPIO_FUNC_ALT1,
  MXC_GPIO_FUNC_ALT2,
  MXC_GPIO_FUNC_ALT3,
  MXC_GPIO_FUNC_ALT4
} mxc_gpio_func_t;
typedef enum { MXC_GPIO_PAD_NONE, MXC_GPIO_PAD_PULL_UP, MXC_GPIO_PAD_PULL_DOWN } mxc_gpio_pad_t;
typedef enum { MXC_GPIO_VSSEL_VDDIO, MXC_GPIO_VSSEL_VDDIOH } mxc_gpio_vssel_t;
typedef enum {
  MXC_GPIO_DRVSTR_0,
  MXC_GPIO_DRVSTR_1,
  MXC_GPIO_DRVSTR_2,
  MXC_GPIO_DRVSTR_3
} mxc_gpio_drvstr_t;
typedef struct {
  mxc_gpio_regs_t *port;
  uint32_t mask;
  mxc_gpio_func_t func;
  mxc_gpio_pad_t pad;
  mxc_gpio_vssel_t vssel;
  mxc_gpio_drvstr_t drvstr;
} mxc_gpio_cfg_t;
int MXC_GPIO_Config(const mxc_gpio_cfg_t *cfg);
void MXC_GPIO_OutSet(mxc_gpio_regs_t *port, uint32_t mask);
void MXC_GPIO_OutClr(mxc_gpio_regs_t *port, uint32_t mask);
void MXC_GPIO_OutToggle(mxc_gpio_regs_t *port, uint32_t mask);

/* ---- Board LEDs ---- */
void LED_On(unsigned int idx);
void LED_Off(unsigned int idx);
void LED_Toggle(unsigned int idx);
#define LED1 0
#define LED2 1

/* ---- Timers ---- */
typedef struct {
  volatile uint32_t cnt;
  volatile uint32_t cmp;
  volatile uint32_t pwm;
  volatile uint32_t intfl;
  volatile uint32_t ctrl0;
} mxc_tmr_regs_t;
extern mxc_tmr_regs_t harness_tmr[6];
#define MXC_TMR0 (&harness_tmr[0])
#define MXC_TMR1 (&harness_tmr[1])
#define MXC_TMR2 (&harness_tmr[2])
#define MXC_TMR3 (&harness_tmr[3])
#define MXC_TMR4 (&harness_tmr[4])
#define MXC_TMR5 (&harness_tmr[5])
void MXC_TMR_SW_Start(mxc_tmr_regs_t *tmr);
unsigned int MXC_TMR_SW_Stop(mxc_tmr_regs_t *tmr);
void MXC_TMR_Delay(mxc_tmr_regs_t *tmr, uint32_t us);

/* ---- Instruction cache ---- */
typedef struct {
  volatile uint32_t info;
  volatile uint32_t ctrl;
} mxc_icc_regs_t;
extern mxc_icc_regs_t harness_icc[2];
#define MXC_ICC0 (&harness_icc[0])
#define MXC_ICC1 (&harness_icc[1])
#define MXC_ICC (&harness_icc[0])
void MXC_ICC_Enable(mxc_icc_regs_t *icc);
void MXC_ICC_Disable(mxc_icc_regs_t *icc);

/* ---- System clocks and peripheral clocks ---- */
typedef enum {
  MXC_SYS_CLOCK_ISO,
  MXC_SYS_CLOCK_IPO,
  MXC_SYS_CLOCK_IBRO,
  MXC_SYS_CLOCK_ERFO,
  MXC_SYS_CLOCK_INRO,
  MXC_SYS_CLOCK_ERTCO,
  MXC_SYS_CLOCK_EXTCLK
} mxc_sys_system_clock_t;
typedef enum {
  MXC_SYS_PERIPH_CLOCK_CNN,
  MXC_SYS_PERIPH_CLOCK_CPU1,
  MXC_SYS_PERIPH_CLOCK_SMPHR,
  MXC_SYS_PERIPH_CLOCK_TMR0,
  MXC_SYS_PERIPH_CLOCK_GPIO0,
  MXC_SYS_PERIPH_CLOCK_PCIF
} mxc_sys_periph_clock_t;
int MXC_SYS_Clock_Select(mxc_sys_system_clock_t clock);
int MXC_SYS_ClockSourceEnable(mxc_sys_system_clock_t clock);
void MXC_SYS_ClockEnable(mxc_sys_periph_clock_t clock);
void MXC_SYS_ClockDisable(mxc_sys_periph_clock_t clock);
extern uint32_t SystemCoreClock;
void SystemCoreClockUpdate(void);
int MXC_Delay(uint32_t us);

/* ---- Low power ---- */
void MXC_LP_EnterSleepMode(void);
void MXC_LP_EnterLowPowerMode(void);
void MXC_LP_EnterDeepSleepMode(void);
void _MXC_LP_ClearWakeStatus(void);

/* ---- Interrupts ---- */
typedef enum { CNN_IRQn = 66, RISCV_IRQn = 67 } IRQn_Type;
void MXC_NVIC_SetVector(IRQn_Type irq, void (*handler)(void));
void NVIC_SetVector(IRQn_Type irq, void (*handler)(void));
void NVIC_EnableIRQ(IRQn_Type irq);
void NVIC_DisableIRQ(IRQn_Type irq);
void NVIC_ClearPendingIRQ(IRQn_Type irq);
void NVIC_EnableEVENT(IRQn_Type irq);
void NVIC_ClearPendingEVENT(IRQn_Type irq);
void harness_wfi(void);
#define __WFI() harness_wfi()
/* On the RISC-V core the CNN handler is `void __attribute__((interrupt("machine")))
 * CNN_IRQHandler(void)`; x86 GCC's `interrupt` attribute takes no argument (and means
 * something else), so the stand-in drops it, leaving an empty attribute list. */
#define interrupt(mode)

/* The RISC-V application waits with `asm volatile("wfi")`. The host assembler has no such
 * instruction, so `wfi` is an assembler macro for a no-op here: the wait loop spins until the
 * calls harness delivers the CNN interrupt (after 0.5 s of CPU time). */
__asm__(".macro wfi\n\tnop\n.endm\n");
#define __enable_irq() ((void) 0)
#define __disable_irq() ((void) 0)

/* ---- Debug / console ---- */
void Debug_Init(void);
int Console_Init(void);

/* ---- CMSIS-NN function generated code may call ---- */
void arm_softmax_q7_q15(const q7_t *vec_in, const uint16_t dim_vec, q15_t *p_out);

#endif
