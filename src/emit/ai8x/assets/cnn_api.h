/* Softmax of Q17.14 values into Q15 probabilities (softmax.c) */
void softmax_q17p14_q15(const q31_t * vec_in, const uint16_t dim_vec, q15_t * p_out);
/* The same after shifting every input left by in_shift bits (modifies vec_in) */
void softmax_shift_q17p14_q15(q31_t * vec_in, const uint16_t dim_vec, uint8_t in_shift, q15_t * p_out);
/* Softmax of 8-bit output (CMSIS-NN) */
void arm_softmax_q7_q15(const q7_t * vec_in, const uint16_t dim_vec, q15_t * p_out);

/* Inference time, set by the accelerator interrupt */
extern volatile uint32_t cnn_time;

/* Word copy into accelerator memory; the second fills with a fixed test pattern */
void memcpy32(uint32_t *dst, const uint32_t *src, int n);
void memcpy32_const(uint32_t *dst, int n);

/* Power, clock and interrupt of the accelerator on */
int cnn_enable(uint32_t clock_source, uint32_t clock_divider);

/* Accelerator clock and power off */
int cnn_disable(void);

/* Bring the accelerator to a state where it can be configured */
int cnn_init(void);

/* Program the layers of the network */
int cnn_configure(void);

/* Write the kernel memory */
int cnn_load_weights(void);

/* Read the kernel memory back and compare (debugging) */
int cnn_verify_weights(void);

/* Write the bias memory */
int cnn_load_bias(void);

/* Start an inference */
int cnn_start(void);

/* Stop the accelerator */
int cnn_stop(void);

/* Resume after cnn_stop() */
int cnn_continue(void);

/* Copy the network output to out_buf */
int cnn_unload(uint32_t *out_buf);

/* Drive the boost circuit enable pin high */
int cnn_boost_enable(mxc_gpio_regs_t *port, uint32_t pin);

/* Drive the boost circuit enable pin low */
int cnn_boost_disable(mxc_gpio_regs_t *port, uint32_t pin);
