# Real-ESRGAN x4plus (the ncnn files scripts/fetch-models installs; `run --upscale 2x` resizes its
# output by 0.5) on whole 1080p frames (padded to 1920x1088): one engine call per frame and no
# seams. The engine `run --tile auto` uses where the GPU has the memory for whole frames (about
# 31 GiB of fp16 feature maps by the run's estimate; a Jetson Thor or an 80 GB GPU).
description = Real-ESRGAN x4plus, whole 1920x1088 frames, fp16
model = realesrgan/realesrgan-x4plus.param
height = 1088
width = 1920
precision = fp16
