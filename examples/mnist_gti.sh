#!/usr/bin/env bash
# GTI's MDK flow as qtool commands, on the bundled MNIST digits (grey 28x28 images fitted to
# the chip network's 3x56x56 input: B = G = R, each pixel a 2x2 block), GTI Lightspeeur 2803:
#   1 float → 2 quantized weights → 3 ReLU-cap calibration + quantized activations
#   → 4 fuse (batch norm, gain editing, FC compensation) → 5 fine-tune the fused model
#   → 6 quantize → sim --evaluate ≡ eval --quantized → sample → sim → convert.
#
# Usage: examples/mnist_gti.sh
# Environment: QTOOL (command to run, default: cargo run --release --quiet --), FLOAT_EPOCHS
# (stage 1, default 12, recipe configs/gti-mnist.yaml), EPOCHS (each later training stage,
# default 3), CHIP (2803), NET (networks/gti-vgg-mnist.json; its ChipType must be CHIP), SEED,
# OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a QTOOL <<< "${QTOOL:-cargo run --release --quiet --}"
FLOAT_EPOCHS=${FLOAT_EPOCHS:-12}
EPOCHS=${EPOCHS:-3}
CHIP=${CHIP:-2803}
NET=${NET:-networks/gti-vgg-mnist.json}
SEED=${SEED:-1}
OUT=${OUT:-runs/mnist_gti}
DEV=(--device gti --chip "$CHIP" --network "$NET")
TRAIN=(train "${DEV[@]}" --schedule configs/gti-mnist.yaml --seed "$SEED" --quiet --overwrite)

mkdir -p "$OUT"
echo "== 1 float ($FLOAT_EPOCHS epochs)"
"${QTOOL[@]}" "${TRAIN[@]}" --epochs "$FLOAT_EPOCHS" --out "$OUT/r1" | head -3
TRAIN+=(--epochs "$EPOCHS")
echo "== 2 quantized weights"
"${QTOOL[@]}" "${TRAIN[@]}" --lr 0.0005 --init-from "$OUT/r1/best.safetensors" --quant-w \
    --out "$OUT/r2" | head -3
echo "== 3 ReLU caps calibrated (99.99th percentile, 5 batches), quantized activations"
"${QTOOL[@]}" "${TRAIN[@]}" --lr 0.0002 --init-from "$OUT/r2/best.safetensors" --quant-w \
    --quant-act --out "$OUT/r3" | head -3
echo "== 4 fuse"
"${QTOOL[@]}" fuse "${DEV[@]}" --checkpoint "$OUT/r3/best.safetensors" \
    --out "$OUT/fused.safetensors" --overwrite
echo "== 5 fine-tune the fused model"
"${QTOOL[@]}" "${TRAIN[@]}" --lr 0.0001 --init-from "$OUT/fused.safetensors" --quant-w \
    --quant-act --out "$OUT/r5" | head -3
echo "== 6 quantize"
"${QTOOL[@]}" quantize "${DEV[@]}" --checkpoint "$OUT/r5/best.safetensors" \
    --out "$OUT/q.safetensors" --overwrite

echo "== simulate the test split bit-exactly"
"${QTOOL[@]}" sim "${DEV[@]}" --checkpoint "$OUT/q.safetensors" --evaluate \
    --predictions "$OUT/sim-predictions.npy" --quiet | head -1
echo "== the same checkpoint in simulate mode"
"${QTOOL[@]}" eval "${DEV[@]}" --checkpoint "$OUT/q.safetensors" --quantized \
    --predictions "$OUT/eval-predictions.npy" | head -1
if cmp -s "$OUT/sim-predictions.npy" "$OUT/eval-predictions.npy"; then
    echo "eval --quantized and sim --evaluate predict the same class for every image"
else
    echo "error: eval --quantized and sim --evaluate predictions differ" >&2
    exit 1
fi

echo "== one image through the chip"
"${QTOOL[@]}" sample "${DEV[@]}" --index 0 --out "$OUT/sample_gti.npy" --overwrite
"${QTOOL[@]}" sim "${DEV[@]}" --checkpoint "$OUT/q.safetensors" --input "$OUT/sample_gti.npy" \
    --output "$OUT/chip-output.npy" > /dev/null
echo "wrote $OUT/chip-output.npy"
echo "== convert (GTI's converter inputs, FC .bin files, qtool's .dat/.model containers)"
"${QTOOL[@]}" convert "${DEV[@]}" --checkpoint "$OUT/q.safetensors" --out "$OUT/model" \
    --overwrite
"${QTOOL[@]}" sim --device gti --chip "$CHIP" --network "$OUT/model/model.model" \
    --checkpoint "$OUT/model/model.model" --evaluate --quiet | head -1
