"""A small PNG decoder (standard library only) for the image tests: checks every chunk's CRC,
inflates IDAT and undoes the five row filters. Non-interlaced images only, which is what
tilerace writes."""
import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class Png:
    def __init__(self, width, height, bit_depth, color_type, chunks, rows):
        self.width, self.height = width, height
        self.bit_depth, self.color_type = bit_depth, color_type
        self.chunks = chunks  # [(type, data)] in file order
        self.rows = rows      # unfiltered rows of bytes

    @property
    def channels(self):
        return CHANNELS[self.color_type]

    def samples(self):
        """Rows of sample values (ints), channels interleaved."""
        out = []
        for row in self.rows:
            if self.bit_depth == 16:
                out.append(list(struct.unpack(f">{len(row) // 2}H", row)))
            else:
                out.append(list(row))
        return out

    def text(self):
        return {k.decode("latin-1"): v.decode("latin-1")
                for t, d in self.chunks if t == b"tEXt" for k, v in [d.split(b"\0", 1)]}


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != SIGNATURE:
        raise ValueError("not a PNG signature")
    pos, chunks = 8, []
    while pos < len(blob):
        length, ctype = struct.unpack(">I4s", blob[pos:pos + 8])
        data = blob[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", blob[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + data) != crc:
            raise ValueError(f"bad CRC in chunk {ctype!r}")
        chunks.append((ctype, data))
        pos += 12 + length
        if ctype == b"IEND":
            break
    if pos != len(blob):
        raise ValueError("bytes after IEND")
    if chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise ValueError("IHDR must come first and IEND last")
    width, height, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if comp or filt or interlace:
        raise ValueError("unexpected compression, filter or interlace method")
    raw = zlib.decompress(b"".join(d for t, d in chunks if t == b"IDAT"))
    bpp = max(1, CHANNELS[ctype] * depth // 8)
    stride = (width * CHANNELS[ctype] * depth + 7) // 8
    if len(raw) != height * (stride + 1):
        raise ValueError(f"IDAT holds {len(raw)} bytes, expected {height * (stride + 1)}")
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                cur[i] = (cur[i] + a) & 255
            elif ftype == 2:
                cur[i] = (cur[i] + b) & 255
            elif ftype == 3:
                cur[i] = (cur[i] + (a + b) // 2) & 255
            elif ftype == 4:
                cur[i] = (cur[i] + _paeth(a, b, c)) & 255
            elif ftype != 0:
                raise ValueError(f"row {y}: unknown filter {ftype}")
        rows.append(bytes(cur))
        prev = cur
    return Png(width, height, depth, ctype, chunks, rows)


def fnv1a64(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
