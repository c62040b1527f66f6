# RIFE v4.25 interpolation of 1080p video. Frames are padded to a multiple of 64 (1920x1080 ->
# 1920x1088) before the engines and cropped after them. Builds two engines: the feature encoder
# (run once per source frame) and the rest (run per output frame). The graph computes the warp's
# sampling grid in fp32 behind explicit casts; the rest may run in fp16.
description = RIFE v4.25, whole 1920x1088 frames, fp16
model = rife-v4.25/flownet.pkl
height = 1088
width = 1920
precision = fp16
