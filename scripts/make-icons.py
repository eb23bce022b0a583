#!/usr/bin/env python3
"""make-icons.py — draw heph's app icons (web/icons/*.png) from the same
shapes as web/icons/icon.svg: a rounded dark square, a white check mark and
an orange spark. Pure Python (zlib + struct); run it when the design changes:

    python3 scripts/make-icons.py web/icons

Each pixel's coverage comes from the signed distance to each shape (one
sample per pixel, anti-aliased over one pixel), which is enough for flat art.
"""
import math
import struct
import sys
import zlib

BG = (0x1D, 0x24, 0x33)
INK = (0xFF, 0xFF, 0xFF)
SPARK = (0xE8, 0x71, 0x0A)
# In a 512 box, as in icon.svg.
CHECK = [(136, 268), (220, 352), (384, 168)]
STROKE = 56
SPARK_C, SPARK_R = (146, 146), 34
RADIUS = 112


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def rrect_sd(px, py, size, r):
    # signed distance to a rounded square [0,size]^2 with corner radius r
    h = size / 2
    qx, qy = abs(px - h) - (h - r), abs(py - h) - (h - r)
    return math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - r


def cover(d):
    return max(0.0, min(1.0, 0.5 - d))


def mix(a, b, t):
    return tuple(a[i] + (b[i] - a[i]) * t for i in range(3))


def draw(size, maskable):
    # maskable: full-bleed background, art shrunk into the 80% safe zone
    scale = size / 512 * (0.72 if maskable else 1.0)
    off = (size - 512 * scale) / 2
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            a = 1.0 if maskable else cover(rrect_sd(px, py, size, RADIUS * size / 512))
            if a <= 0:
                row += bytes((0, 0, 0, 0))
                continue
            u, v = (px - off) / scale, (py - off) / scale  # art coordinates
            d = min(seg_dist(u, v, *CHECK[i], *CHECK[i + 1]) for i in range(len(CHECK) - 1)) - STROKE / 2
            c = mix(BG, INK, cover(d * scale))
            ds = math.hypot(u - SPARK_C[0], v - SPARK_C[1]) - SPARK_R
            c = mix(c, SPARK, cover(ds * scale))
            row += bytes((round(c[0]), round(c[1]), round(c[2]), round(a * 255)))
        rows.append(bytes(row))
    raw = b''.join(rows)

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', size, size, 8, 6, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else 'web/icons'
    for name, size, maskable in (('icon-192.png', 192, False), ('icon-512.png', 512, False),
                                 ('icon-maskable-512.png', 512, True)):
        with open(f'{out}/{name}', 'wb') as f:
            f.write(draw(size, maskable))


if __name__ == '__main__':
    main()
