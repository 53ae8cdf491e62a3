"""Reference-PDQ oracle for Matchdesk's tests and bench. Test-only: never used by product code.

Runs the `pdqhash` binding (the C++ reference that python-threatexchange, and so HMA, uses) on requests read from
stdin, one JSON line per request on stdout, in order. One process serves many requests.

Request framing (little-endian):
  b'P' u32 width, u32 height, u32 channels, u32 flags, then width*height*channels bytes of interleaved 8-bit pixels
       flags bit 0: also compute the 8 dihedral hashes (pdqhash.compute_dihedral)
       -> {"hash", "quality", "ms", ["dihedral"]}; "ms" times pdqhash.compute alone (luma included, as HMA runs it)
  b'F' u32 length, then the bytes of an image file; decoded with Pillow exactly as python-threatexchange's
       pdq_hasher does (pdq_from_bytes)
       -> {"hash", "quality", "mode", "shape", "dtype", "sha256", "sha256_rgb"} or {"error"}; sha256 is over the
       array pdqhash got, sha256_rgb over its first three channels as uint8 (the pixels PDQ reads)
  b'M' -> {"dct_matrix": hex of the 16x64 float32 DCT matrix built the C++ way with libm cos}
  b'Q' -> exits
"""
import hashlib
import io
import json
import math
import struct
import sys
import time

import numpy as np
import pdqhash
from PIL import Image


def to_hex(bits):
    # python-threatexchange pdq_hasher._pdq_from_numpy_array
    bin_str = "".join(str(x) for x in bits)
    return ("%0*X" % ((len(bin_str) + 3) // 4, int(bin_str, 2))).lower()


def pytx_array(image):
    # python-threatexchange pdq_hasher._convert_image_to_correct_array_dimension, verbatim logic
    if image.mode == "LA" or image.mode == "I;16":
        image = image.convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.concatenate([array[..., np.newaxis]] * 3, axis=2)
    return array


def read_exact(stream, n):
    buf = stream.read(n)
    if buf is None or len(buf) != n:
        raise EOFError
    return buf


def main():
    inp = sys.stdin.buffer
    out = sys.stdout
    while True:
        try:
            op = read_exact(inp, 1)
        except EOFError:
            return
        if op == b"Q":
            return
        if op == b"P":
            w, h, c, flags = struct.unpack("<IIII", read_exact(inp, 16))
            raw = read_exact(inp, w * h * c)
            arr = np.frombuffer(raw, dtype=np.uint8).reshape(h, w, c)
            if c < 3:
                # HMA stacks single-channel images (and converts LA to RGB): grey in all three channels
                arr = np.ascontiguousarray(np.repeat(arr[:, :, :1], 3, axis=2))
            t0 = time.perf_counter()
            bits, quality = pdqhash.compute(arr)
            ms = (time.perf_counter() - t0) * 1000.0
            res = {"hash": to_hex(bits), "quality": int(quality), "ms": ms}
            if flags & 1:
                variants, q2 = pdqhash.compute_dihedral(arr)
                res["dihedral"] = [to_hex(v) for v in variants]
                res["dihedral_quality"] = int(q2)
        elif op == b"F":
            (n,) = struct.unpack("<I", read_exact(inp, 4))
            data = read_exact(inp, n)
            try:
                img = Image.open(io.BytesIO(data))
                mode = img.mode
                arr = pytx_array(img)
                bits, quality = pdqhash.compute(arr)
                contiguous = np.ascontiguousarray(arr)
                res = {
                    "hash": to_hex(bits),
                    "quality": int(quality),
                    "mode": mode,
                    "shape": list(contiguous.shape),
                    "dtype": str(contiguous.dtype),
                    "sha256": hashlib.sha256(contiguous.tobytes()).hexdigest(),
                    "sha256_rgb": hashlib.sha256(np.ascontiguousarray(contiguous[:, :, :3]).astype(np.uint8).tobytes()).hexdigest(),
                }
            except Exception as e:  # noqa: BLE001 - an oracle reports every failure
                res = {"error": "%s: %s" % (type(e).__name__, e)}
        elif op == b"M":
            scale = np.float32(math.sqrt(2.0 / 64.0))
            m = np.zeros((16, 64), dtype=np.float32)
            for i in range(16):
                for j in range(64):
                    m[i, j] = np.float32(float(scale) * math.cos((math.pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1)))
            res = {"dct_matrix": m.tobytes().hex()}
        else:
            res = {"error": "bad op %r" % op}
            out.write(json.dumps(res) + "\n")
            out.flush()
            return
        out.write(json.dumps(res) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
