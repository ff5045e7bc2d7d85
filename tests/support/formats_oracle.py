#!/usr/bin/env python3
"""Pictures in every format hashsweep decodes, and the reference pipeline's view of them,
for tests/formats.rs.

Usage: formats_oracle.py generate DIR   writes small textured pictures, one per format and
                                        pixel mode (Pillow, pillow-heif, cjxl)
       formats_oracle.py oracle DIR     prints one TSV line per file:
                                        name  width  height  sha256-of-RGB  quality  pdq-hex
       formats_oracle.py thumbnails DIR writes thumbs.heic, a HEIC with two thumbnail items,
                                        and prints one line per thumbnail (pillow-heif's
                                        decoding):  width  height  pdq-hex
       formats_oracle.py --check        exits 0 if every tool and module is there

The oracle opens each file as HMA-style tools do: Pillow `Image.open` (first frame, the
icon Pillow picks, the first TIFF page) with pillow-heif for HEIC, Pillow's own AVIF plugin
and pillow-jxl-plugin for JPEG XL; then python-threatexchange's pixel rules (1/L grey
stacked to three channels, RGBA's first three channels, `convert('RGB')` otherwise) and
`pdqhash`. The SHA-256 of those RGB bytes lets the test demand pixel-exact decoding of
lossless formats. All pictures are generated: nothing here is evidence.

Install: pip install pdqhash pillow numpy pillow-heif pillow-jxl-plugin;
         apt-get install libjxl-tools
"""
import hashlib
import io
import os
import subprocess
import sys


def texture(w, h, seed):
    """Smooth waves plus fine noise: enough structure for PDQ, deterministic."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 127 + 90 * np.sin(x / 7.0 + seed) * np.cos(y / 11.0)
    g = 127 + 90 * np.cos((x + y) / 9.0 - seed)
    b = 127 + 90 * np.sin(np.hypot(x - w / 3, y - h / 2) / 6.0)
    rgb = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, (h, w, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def generate(out):
    import numpy as np
    import pillow_heif
    from PIL import Image

    W, H = 96, 72
    rgb = Image.fromarray(texture(W, H, 1))
    grey = rgb.convert("L")
    alpha = Image.fromarray(texture(W, H, 2)[:, :, 0])
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    pal = rgb.quantize(64)
    # 0..382: Pillow clips 16-bit grey to 255 on the way to RGB, so both sides of 255 occur.
    grey16 = Image.fromarray(np.asarray(grey).astype(np.uint16) * 3 // 2)
    second = Image.fromarray(texture(W, H, 3))

    def save(name, img, **kw):
        img.save(os.path.join(out, name), **kw)

    # Netpbm: binary P4/P5/P6 by Pillow; plain P3 and a P2 with maxval 100 by hand.
    save("rgb.ppm", rgb)
    save("grey.pgm", grey)
    save("grey16.pgm", grey16)
    save("bilevel.pbm", grey.point(lambda v: 255 if v > 127 else 0).convert("1"))
    arr = np.asarray(rgb)
    plain = "P3\n%d %d\n255\n" % (W, H) + "\n".join(" ".join(map(str, row)) for row in arr.reshape(H, -1))
    open(os.path.join(out, "plain.ppm"), "w").write(plain + "\n")
    g100 = (np.asarray(grey).astype(np.uint32) * 100 // 255).reshape(H, -1)
    plain = "P2\n%d %d\n100\n" % (W, H) + "\n".join(" ".join(map(str, row)) for row in g100)
    open(os.path.join(out, "maxval100.pgm"), "w").write(plain + "\n")
    # 16-bit: colour with a busy low byte (Pillow rounds to 8 bits, not the high byte), and
    # grey of maxval 1000 (Pillow stretches to 65535 and clips at 255 on the way to RGB).
    rgb16 = (arr.astype(np.uint16) * 257) ^ 0x5A
    with open(os.path.join(out, "rgb16.ppm"), "wb") as f:
        f.write(b"P6\n%d %d\n65535\n" % (W, H) + rgb16.astype(">u2").tobytes())
    g1000 = np.asarray(grey).astype(np.uint16) // 40
    with open(os.path.join(out, "maxval1000.pgm"), "wb") as f:
        f.write(b"P5\n%d %d\n1000\n" % (W, H) + g1000.astype(">u2").tobytes())
    # TGA: true colour, with alpha, grey, colour-mapped, run-length encoded.
    save("rgb.tga", rgb)
    save("rgba.tga", rgba)
    save("grey.tga", grey)
    save("palette.tga", pal)
    save("rle.tga", rgb, compression="tga_rle")
    # ICO: PNG images (Pillow's default) and BMP images; the largest is the picture.
    big = rgb.resize((64, 64))
    save("png.ico", big, sizes=[(16, 16), (32, 32), (64, 64)])
    bmp_icon(os.path.join(out, "bmp.ico"), [big.resize((16, 16)), big.resize((48, 48))])
    save("rgb.qoi", rgb)
    save("rgba.qoi", rgba)
    # Animations and multi-page: the first frame/page is the picture.
    save("anim.gif", pal.convert("RGB").quantize(64), save_all=True,
         append_images=[second.quantize(64)], duration=100, loop=0)
    save("anim.png", rgb, save_all=True, append_images=[second], duration=100)
    save("anim.webp", rgb, save_all=True, append_images=[second], lossless=True)
    save("pages.tif", rgb, save_all=True, append_images=[second, grey])
    save("grey16.tif", grey16.convert("I;16"))
    save("cmyk.tif", rgb.convert("CMYK"))
    save("cmyk.jpg", rgb.convert("CMYK"), quality=95)
    save("rgba.png", rgba)
    # JPEG XL by libjxl's encoder: lossless RGB and grey, and lossy.
    save("src_rgb.png", rgb)
    save("src_grey.png", grey)
    for src, name, args in [("src_rgb.png", "lossless.jxl", ["-d", "0"]),
                            ("src_grey.png", "grey_lossless.jxl", ["-d", "0"]),
                            ("src_rgb.png", "lossy.jxl", ["-d", "1"])]:
        subprocess.run(["cjxl", os.path.join(out, src), os.path.join(out, name), *args,
                        "--quiet"], check=True, capture_output=True)
    os.remove(os.path.join(out, "src_rgb.png"))
    os.remove(os.path.join(out, "src_grey.png"))
    # HEIC (x265 through pillow-heif) and AVIF (Pillow's libavif): lossy.
    for i, img in enumerate([rgb, second]):
        pillow_heif.from_pillow(img).save(os.path.join(out, "photo%d.heic" % i), quality=90)
        save("photo%d.avif" % i, img, quality=90)


def bmp_icon(path, frames):
    """An icon of 24-bit BMP images with AND masks padded to 32 bits per row, as Windows
    writes them (Pillow's own writer leaves the mask rows unpadded)."""
    import struct

    images = []
    for frame in frames:
        dib = io.BytesIO()
        frame.save(dib, "DIB")
        data = bytearray(dib.getvalue())
        data[8:12] = struct.pack("<i", frame.height * 2)
        mask_row = (frame.width + 31) // 32 * 4
        images.append(bytes(data) + bytes(mask_row * frame.height))
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries = b""
    for frame, data in zip(frames, images):
        entries += struct.pack("<BBBBHHII", frame.width, frame.height, 0, 0, 1, 24,
                               len(data), offset)
        offset += len(data)
    with open(path, "wb") as f:
        f.write(header + entries + b"".join(images))


def pixels(path):
    import numpy as np
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if img.mode in ("1", "L"):
            grey = np.asarray(img.convert("L"))
            arr = np.stack([grey] * 3, axis=-1)
        elif img.mode == "RGBA":
            arr = np.asarray(img)[:, :, :3]
        else:
            arr = np.asarray(img.convert("RGB"))
        return np.ascontiguousarray(arr)


def oracle(directory):
    import pdqhash
    import pillow_heif
    import pillow_jxl  # noqa: F401  (registers the JPEG XL plugin)

    pillow_heif.register_heif_opener()
    for name in sorted(os.listdir(directory)):
        arr = pixels(os.path.join(directory, name))
        bits, quality = pdqhash.compute(arr)
        digest = hashlib.sha256(arr.tobytes()).hexdigest()
        hexed = "%064x" % int("".join(str(int(b)) for b in bits), 2)
        h, w = arr.shape[:2]
        print("\t".join([name, str(w), str(h), digest, str(quality), hexed]))


def pdq_hex(arr):
    import pdqhash

    bits, _ = pdqhash.compute(arr)
    return "%064x" % int("".join(str(int(b)) for b in bits), 2)


def thumbnails(out):
    import numpy as np
    import pillow_heif
    from PIL import Image

    path = os.path.join(out, "thumbs.heic")
    img = Image.fromarray(texture(96, 72, 4))
    pillow_heif.from_pillow(img).save(path, quality=90, thumbnails=[32, 64])
    primary = pillow_heif.open_heif(path)[0]
    for index in range(len(primary.info["thumbnails"])):
        thumb = primary.get_thumbnail(index).to_pillow().convert("RGB")
        arr = np.ascontiguousarray(np.asarray(thumb))
        print("\t".join([str(thumb.width), str(thumb.height), pdq_hex(arr)]))


def main():
    if sys.argv[1:] == ["--check"]:
        import numpy, pdqhash, pillow_heif, pillow_jxl  # noqa: F401,E401
        from PIL import features

        subprocess.run(["cjxl", "--version"], check=True, capture_output=True)
        return 0 if features.check("avif") else 1
    command, directory = sys.argv[1:3]
    if command == "generate":
        generate(directory)
    elif command == "thumbnails":
        thumbnails(directory)
    else:
        oracle(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
