# Real-ESRGAN x2plus on whole 1080p frames (padded to 1920x1088): one engine call per frame and
# no seams. Needs the most device memory of these profiles (Thor's 128 GB is plenty).
description = Real-ESRGAN x2plus, whole 1920x1088 frames, fp16
model = realesrgan/RealESRGAN_x2plus.pth
height = 1088
width = 1920
precision = fp16
