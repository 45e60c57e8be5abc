#!/bin/bash
# The GPU part of issue 5 on the `device` tool's machine (one NVIDIA GPU, its image's
# python3 3.12 with CUDA torch, no network, no Ray). Ray and the packages that image lacks
# travel as a folder `.whl` (ignored by git: `echo /.whl/ >> .git/info/exclude`) named in
# the tool's `carry`, under its 64 MiB limit:
#
#   mkdir -p .whl /tmp/ray_min && cd /tmp/ray_min
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux2014_x86_64 ray==2.60.0 && unzip -q ray-*.whl
#   # Ray's wheel is 79 MB; what a trial needs is not: drop the Java jars, RLlib, Serve,
#   # LLM and the dashboard's web client (147 MB unpacked), then compress (24-29 MB)
#   rm -rf ray/jars ray/rllib ray/serve ray/llm ray/dashboard/client/build
#   tar cf - ray ray-2.60.0.dist-info | xz -9 -T2 > $REPO/.whl/ray_min.tar.xz
#   cd $REPO/.whl && pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
#       --platform manylinux_2_17_x86_64 --platform manylinux_2_27_x86_64 \
#       pydantic==2.14.4 pydantic_core==2.50.5 typing-inspection==0.4.5 annotated-types \
#       jsonschema==4.26.0 jsonschema-specifications referencing==0.37.0 rpds-py tomli-w \
#       tensorboardX==2.6.5 scikit-learn==1.9.1 pandas==3.1.1
#   cp benchmarks/gpu_device_run.sh .whl/   # then: run(command="bash .whl/gpu_device_run.sh",
#                                           #          carry=[".whl"], timeout_s=480)
#
# Writes the figures to $OUT (the tool brings them back). Takes ~3 minutes on an H200.
set -o pipefail
t0=$(date +%s)
mkdir -p /tmp/site && tar xJf .whl/ray_min.tar.xz -C /tmp/site || exit 3
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 4
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile \
    --no-cache-dir --upgrade --target /tmp/site . plugins/automl-core-torch || exit 5
export PYTHONPATH=/tmp/site
echo "install took $(( $(date +%s) - t0 )) s"
python3 -c "import ray, sklearn, pandas, torch; print('versions', ray.__version__, \
sklearn.__version__, pandas.__version__, torch.__version__, 'cuda', torch.cuda.is_available())" \
    || exit 6
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
# (1)+(2)+(3) on the GPU: throughput against the plain loop and the CPU, then the search with
# `gpu: 1` per trial, with and without ASHA
PYTHONUNBUFFERED=1 timeout 240 python3 benchmarks/bench_torch.py --device cuda --repeats 3 \
    --json "$OUT/gpu_full.json" 2>&1 | grep -v -E "WARNING|INFO" | tee "$OUT/log_cuda.txt"
# the same search on that machine's 16 CPUs (1 CPU per trial), for comparison
PYTHONUNBUFFERED=1 timeout 200 python3 benchmarks/bench_torch.py --device cpu --repeats 1 \
    --json "$OUT/cpu16_full.json" 2>&1 | grep -v -E "WARNING|INFO" | tee "$OUT/log_cpu16.txt"
echo "total $(( $(date +%s) - t0 )) s"
