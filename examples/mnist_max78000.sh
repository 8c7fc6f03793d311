#!/usr/bin/env bash
# The whole MAX78000 pipeline on the bundled MNIST digits:
#   train (float epochs, then quantization-aware) → quantize → sim --evaluate
#   → eval --quantized (must predict exactly what the simulator predicts)
#   → sample input → convert (C project) → sim --expect on the generated sampleoutput.h.
#
# Usage: examples/mnist_max78000.sh            (ai8x recipe, 6 epochs, QAT from epoch 5)
# Environment: QTOOL (command to run, default: cargo run --release --quiet --), EPOCHS,
# QAT_START, POLICY (QAT policy file, e.g. configs/qat_policy_mixed.yaml), SEED, OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a QTOOL <<< "${QTOOL:-cargo run --release --quiet --}"
EPOCHS=${EPOCHS:-6}
QAT_START=${QAT_START:-5}
SEED=${SEED:-3}
OUT=${OUT:-runs/mnist_max78000}
NET=networks/ai85net5.yaml
POLICY_ARGS=()
if [[ -n "${POLICY:-}" ]]; then
    POLICY_ARGS=(--qat-policy "$POLICY")
fi

mkdir -p "$OUT"
echo "== train: $EPOCHS epochs, QAT from epoch $QAT_START"
"${QTOOL[@]}" train --network "$NET" --schedule configs/ai8x-mnist.yaml --epochs "$EPOCHS" \
    --quant-w --quant-act --qat-start "$QAT_START" "${POLICY_ARGS[@]}" --seed "$SEED" \
    --out "$OUT/train" --overwrite --quiet | head -3

echo "== quantize"
"${QTOOL[@]}" quantize --device max78000 --network "$NET" \
    --checkpoint "$OUT/train/best.safetensors" --out "$OUT/ai85net5-q.safetensors" --overwrite

echo "== simulate the test split bit-exactly"
"${QTOOL[@]}" sim --device max78000 --network "$NET" --checkpoint "$OUT/ai85net5-q.safetensors" \
    --evaluate --predictions "$OUT/sim-predictions.npy" --quiet | head -1

echo "== the same checkpoint in simulate mode (ai8x -8)"
"${QTOOL[@]}" eval --network "$NET" --checkpoint "$OUT/ai85net5-q.safetensors" --quantized \
    --predictions "$OUT/eval-predictions.npy" | head -1
if cmp -s "$OUT/sim-predictions.npy" "$OUT/eval-predictions.npy"; then
    echo "eval --quantized and sim --evaluate predict the same class for every image"
else
    echo "error: eval --quantized and sim --evaluate predictions differ" >&2
    exit 1
fi

echo "== C project"
"${QTOOL[@]}" sample --index 0 --out "$OUT/sample_mnist.npy" --overwrite
"${QTOOL[@]}" convert --device max78000 --network "$NET" --checkpoint "$OUT/ai85net5-q.safetensors" \
    --sample-input "$OUT/sample_mnist.npy" --softmax --out "$OUT/project" --overwrite
"${QTOOL[@]}" sim --device max78000 --network "$NET" --checkpoint "$OUT/ai85net5-q.safetensors" \
    --input "$OUT/sample_mnist.npy" --expect "$OUT/project/sampleoutput.h"
