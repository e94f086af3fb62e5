"""Draw digits from an exported digit-gan generator with onnxruntime, in Python.

    pip install onnxruntime numpy
    python examples/onnx/generate.py default.onnx --digit 7 --n 8 --out sevens.png
    python examples/onnx/generate.py default.onnx --latent z42.f32 --digit 2 --out 42.png

The graph (trainer/onnx.ts): input `z` [N, latent_dim] of standard normals; a conditional model
also takes `label` [N, classes], one-hot float; output `image` [N, 784] in [-1, 1] (tanh), each
row a 28x28 digit. Grey level = round((x + 1) * 127.5), as the worker's PNGs.

Latents come from numpy's generator (--seed), which is not the worker's sampler: the digits are
of the same kind, not the same images. For the worker's image of a seed, pass the latent the Node
example saves (`generate.ts --seed 42 --save-latent z42.f32`; raw little-endian float32) with
the seed's digit (seed mod 10 for a conditional model: --digit 2 for seed 42).
"""
import argparse
import struct
import zlib

import numpy as np
import onnxruntime as ort


def png_gray(pixels: np.ndarray) -> bytes:
    """An 8-bit greyscale PNG of a [height, width] uint8 array."""
    height, width = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("onnx", help="generator ONNX file (npm run export, or to-onnx.ts)")
    parser.add_argument("--n", type=int, default=1, help="digits to draw (ignored with --latent)")
    parser.add_argument("--seed", type=int, default=0, help="numpy seed of the latents")
    parser.add_argument("--latent", help="raw float32 latents, N x latent_dim, instead of --seed")
    parser.add_argument("--digit", type=int, help="class to draw (conditional models only)")
    parser.add_argument("--out", default="digits.png", help="PNG: the N digits side by side")
    args = parser.parse_args()

    session = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    inputs = {i.name: i.shape for i in session.get_inputs()}
    latent_dim = inputs["z"][1]
    if args.latent:
        z = np.fromfile(args.latent, dtype="<f4").reshape(-1, latent_dim)
    else:
        z = np.random.default_rng(args.seed).standard_normal((args.n, latent_dim), dtype=np.float32)
    feeds = {"z": z}
    if "label" in inputs:
        classes = inputs["label"][1]
        # Without --digit, latent i draws digit i mod classes (the worker's rule for seeds).
        digits = np.arange(len(z)) % classes if args.digit is None else np.full(len(z), args.digit)
        feeds["label"] = np.eye(classes, dtype=np.float32)[digits]
    elif args.digit is not None:
        parser.error("--digit: this model is unconditional")
    (image,) = session.run(["image"], feeds)
    # Half-up rounding like JavaScript's Math.round (numpy's round goes half to even).
    gray = np.clip(np.floor((image + 1) * 127.5 + 0.5), 0, 255).astype(np.uint8)
    strip = gray.reshape(-1, 28, 28).transpose(1, 0, 2).reshape(28, -1)
    with open(args.out, "wb") as f:
        f.write(png_gray(strip))
    print(f"wrote {args.out}: {len(z)} digit(s)")


if __name__ == "__main__":
    main()
