#!/usr/bin/env bash
# Training-step benchmark, Java (DJL) vs PyTorch, run one after the other, N rounds interleaved.
# Usage (from the repository root, after `mvn -o -q install -DskipTests`):
#   scripts/reference/bench_training.sh [rounds=3] [java steps=2] [python steps=3]
# Another model and batch: CONF=../conf/train-smollm2.yaml EXAMPLES=16 CHUNK=16 (CONF is relative
# to training-driver/; the batch then has the config's max_negatives per row and max_length).
# MODES=gradcache: only the GradCache step on both sides (Java skips its plain full-batch step,
# PyTorch runs GradCache with the same CHUNK), for batches whose plain step does not fit in memory
# (SmolLM2 at 16 x (1 + 1 + 3)); each side also prints its peak resident memory.
# THREADS=1: intra-op threads per side (default 2), as the training run being compared used.
# Each line of the log starts with the load average (`uptime`) at the start of that run.
set -euo pipefail
ROUNDS=${1:-3}; JSTEPS=${2:-2}; PSTEPS=${3:-3}
EXAMPLES=${EXAMPLES:-4}; CHUNK=${CHUNK:-9}; CONF=${CONF:-}; MODES=${MODES:-both}
THREADS=${THREADS:-2}
PY_CHUNK=0; [[ "$MODES" == gradcache ]] && PY_CHUNK=$CHUNK
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-/work/venv-ref/bin/python}
cd "$ROOT/training-driver"
mvn -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-cp.txt \
  -Dmdep.includeScope=test -Dspotless.check.skip=true
export OMP_NUM_THREADS=$THREADS
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r java  load: $(uptime | sed 's/.*load average: //')"
  java -Dai.djl.pytorch.num_threads=$THREADS -Dai.djl.pytorch.num_interop_threads=1 \
    -cp target/test-classes:target/classes:$(cat target/bench-cp.txt) \
    io.embedforge.train.bench.TrainingLoopBenchmark "$EXAMPLES" "$CHUNK" "$JSTEPS" target/bench-batch "$CONF" "$MODES" 2>&1 \
    | grep -E '^(examples=|java |reader:)'
  echo "round $r torch load: $(uptime | sed 's/.*load average: //')"
  (cd "$ROOT/scripts/reference" && "$PY" bench_train_step.py "$ROOT/training-driver/target/bench-batch" "$PSTEPS" "$THREADS" "$PY_CHUNK" 2>&1 \
    | grep -E '^torch ')
done
