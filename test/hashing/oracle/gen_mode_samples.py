"""Writes small image files in every Pillow mode/format combination HMA may meet, for the decoder-parity test.
Usage: gen_mode_samples.py OUTDIR. Deterministic (seeded). Test-only."""
import os
import sys

import numpy as np
from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1234)
W, H = 97, 83


def photo_like(w=W, h=H):
    y, x = np.mgrid[0:h, 0:w]
    r = (127 + 120 * np.sin(x / 7.0) * np.cos(y / 11.0)).astype(np.float64)
    g = (x * 255.0 / max(w - 1, 1))
    b = (y * 255.0 / max(h - 1, 1))
    base = np.stack([r, g, b], axis=2) + rng.normal(0, 12, (h, w, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


rgb = Image.fromarray(photo_like())
alpha = Image.fromarray(rng.integers(0, 256, (H, W), dtype=np.uint8))
grey = rgb.convert("L")


def save(img, name, **kw):
    img.save(os.path.join(out, name), **kw)


save(rgb, "rgb.png")
save(rgb, "rgb.jpg", quality=90)
save(rgb, "rgb-q50-444.jpg", quality=50, subsampling=0)
save(rgb, "rgb-progressive.jpg", quality=85, progressive=True)
save(grey, "grey.jpg", quality=90)
save(rgb.convert("CMYK"), "cmyk.jpg", quality=90)
save(rgb.convert("CMYK"), "cmyk.tif")
rgba = rgb.copy()
rgba.putalpha(alpha)
save(rgba, "rgba.png")
save(rgba, "rgba.tif")
save(rgba, "rgba-lossless.webp", lossless=True)
save(rgb, "rgb-lossy.webp", quality=80)
save(rgba, "rgba-lossy.webp", quality=80)
save(grey, "grey.png")
la = Image.merge("LA", [grey, alpha])
save(la, "la.png")
save(grey, "grey.tif")
save(rgb, "rgb.tif")
save(rgb, "rgb-lzw.tif", compression="tiff_lzw")
save(rgb.convert("1"), "bilevel.png")
save(rgb.convert("1"), "bilevel.tif")
# palette images: Pillow hashes the palette indices (np.asarray of a P image)
pal = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=200)
save(pal, "palette.png")
save(pal, "palette.gif")
save(rgba.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), "palette16.png", bits=4)
pal_t = pal.copy()
pal_t.info["transparency"] = 3
save(pal_t, "palette-trns.png")
save(pal_t, "palette-trns.gif")
save(pal, "palette-interlaced.png")
# 16-bit
g16 = np.clip(photo_like()[:, :, 1].astype(np.int32) * 3, 0, 65535).astype(np.uint16)
save(Image.fromarray(g16), "grey16.png")
save(Image.fromarray(g16), "grey16.tif")
big16 = (photo_like()[:, :, 0].astype(np.uint16) * 257)
save(Image.fromarray(big16), "grey16-full.png")
# bit depth < 8 grey via palette-less L at 4 bits is written by libpng only through bits= on P/L images
save(grey.point(lambda v: (v // 17) * 17), "grey4.png", bits=4)
# animated GIF: first frame only
frames = [rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=64), rgb.rotate(90).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)]
frames[0].save(os.path.join(out, "anim.gif"), save_all=True, append_images=frames[1:], duration=100, loop=0)
# EXIF orientation 6: HMA does not apply it
ex = Image.Exif()
ex[0x0112] = 6
save(rgb, "orient6.jpg", quality=90, exif=ex.tobytes())
save(rgb, "rgb.bmp")
