/*
 * softmax.c: software softmax over the unloaded network output (written for qtool).
 *
 * Input: Q17.14 fixed point (1.0 = 16384), as the accelerator writes 32-bit output.
 * Output: Q15 probabilities (32767 ~ 1.0).
 *
 * Like CMSIS-NN's q7 softmax this uses base 2 instead of e:
 *     p_i = 2^(x_i) / sum_j 2^(x_j)      (x in units of 1.0)
 * Exponents are taken relative to the largest input and rounded to the nearest integer;
 * inputs 16 or more below the largest contribute nothing and get probability 0. The class
 * order is that of the exact softmax; the values are sharper (base 2 vs. e, i.e. a scaled
 * temperature) and quantized to powers of two.
 */

#include "mxc.h"
#include "cnn.h"

/* Exponents range over 0..16 (window of 16 units below the maximum). */
#define SOFTMAX_WINDOW (16 << 14)

void softmax_q17p14_q15(const q31_t *vec_in, const uint16_t dim_vec, q15_t *p_out)
{
  q31_t floor_val = INT32_MIN;
  uint32_t total = 0;
  uint32_t scale;
  uint16_t k;

  if (dim_vec == 0)
    return;

  for (k = 0; k < dim_vec; k++)
    if (vec_in[k] > floor_val)
      floor_val = vec_in[k];
  floor_val -= SOFTMAX_WINDOW; /* every value above this has exponent 0..16 */

  /* total = sum of 2^e_k, e_k = round((x_k - floor) / 1.0) */
  for (k = 0; k < dim_vec; k++)
    if (vec_in[k] > floor_val)
      total += (uint32_t) 1 << (uint32_t) ((vec_in[k] - floor_val + 8192) >> 14);

  /* 2^32 / total; p_k = 2^(15 + e_k) / total = scale >> (17 - e_k) */
  scale = (uint32_t) (((uint64_t) 1 << 32) / total);

  for (k = 0; k < dim_vec; k++) {
    uint32_t e, p;

    if (vec_in[k] <= floor_val) {
      p_out[k] = 0;
      continue;
    }
    e = (uint32_t) ((vec_in[k] - floor_val + 8192) >> 14);
    p = scale >> (17 - e);
    p_out[k] = (q15_t) (p > 32767 ? 32767 : p);
  }
}

void softmax_shift_q17p14_q15(q31_t *vec_in, const uint16_t dim_vec, uint8_t in_shift,
                              q15_t *p_out)
{
  uint16_t k;

  /* Output of layers with fewer than 8 weight bits is scaled down by 8 - bits; undo it */
  for (k = 0; k < dim_vec; k++)
    vec_in[k] <<= in_shift;

  softmax_q17p14_q15(vec_in, dim_vec, p_out);
}
