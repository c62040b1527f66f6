# Real-ESRGAN x4plus (the ncnn files scripts/fetch-models installs) in 384-pixel tiles with 64
# pixels of context (512x512 engine inputs, 2048x2048 outputs), up to 4 tiles per call. The
# 23-block x4plus sees further than 64 pixels; its seams at pad 64 measured 0.0012 max abs,
# under 1/255 (docs/usage.md, "Tiling").
description = Real-ESRGAN x4plus, 384-pixel tiles, pad 64, batches of 1 to 4, fp16
model = realesrgan/realesrgan-x4plus.param
tile = 384
tile_pad = 64
batch = 4
precision = fp16
