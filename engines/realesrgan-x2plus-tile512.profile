# Real-ESRGAN x2plus in 512-pixel tiles with 64 pixels of context on each side (640x640 engine
# inputs), up to 4 tiles per call: any frame size, less memory than whole frames. A 1080p frame
# is 4 x 3 = 12 tiles, so 3 calls.
description = Real-ESRGAN x2plus, 512-pixel tiles, pad 64, batches of 1 to 4, fp16
model = realesrgan/RealESRGAN_x2plus.pth
tile = 512
tile_pad = 64
batch = 4
precision = fp16
