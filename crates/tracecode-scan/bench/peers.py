"""Peer decoders on the same corpus, for `cargo xtask bench scan`.

Prints `peer-decode-rate NAME SET OK/TOTAL` per set and `peer-decode-rate NAME overall OK/TOTAL`
for zxing-cpp (PyPI zxing-cpp), ZBar (Debian libzbar0 + PyPI pyzbar) and OpenCV's QR detector
(PyPI opencv-python-headless; its default detector, and the Aruco-based one where available).
Success is an exact match of the expected bytes (the text's UTF-8, or the hex for binary
payloads), each found payload matching at most one expected code.

Usage: python3 peers.py CORPUS_DIR
"""

import os
import sys
from collections import OrderedDict

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load(corpus):
    sets = []
    for name in sorted(os.listdir(corpus)):
        manifest = os.path.join(corpus, name, "manifest.tsv")
        if not os.path.isfile(manifest):
            continue
        samples = OrderedDict()
        with open(manifest, encoding="utf-8") as f:
            next(f)
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                fields = line.split("\t")
                expected = (
                    unescape(fields[1]).encode("utf-8") if fields[1] else bytes.fromhex(fields[2])
                )
                samples.setdefault(fields[0], []).append(expected)
        sets.append((name, [(os.path.join(corpus, name, f), e) for f, e in samples.items()]))
    return sets


def matched(expected, found):
    left = list(found)
    count = 0
    for want in expected:
        if want in left:
            left.remove(want)
            count += 1
    return count


def zxing(gray):
    return [r.bytes for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)]


def zbar(gray):
    return [s.data for s in pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])]


def opencv(gray):
    ok, texts, _, _ = cv2.QRCodeDetector().detectAndDecodeMulti(gray)
    return [t.encode("utf-8") for t in texts if t] if ok else []


def opencv_aruco(gray):
    ok, texts, _, _ = cv2.QRCodeDetectorAruco().detectAndDecodeMulti(gray)
    return [t.encode("utf-8") for t in texts if t] if ok else []


def main():
    corpus = sys.argv[1]
    peers = [("zxing-cpp", zxing), ("zbar", zbar), ("opencv", opencv)]
    if hasattr(cv2, "QRCodeDetectorAruco"):
        peers.append(("opencv-aruco", opencv_aruco))
    totals = {name: 0 for name, _ in peers}
    codes_total = 0
    for set_name, samples in load(corpus):
        counts = {name: 0 for name, _ in peers}
        codes = 0
        for path, expected in samples:
            codes += len(expected)
            gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
            if gray is None:
                # OpenCV cannot read GIFs; go through PIL's copy in zxing-cpp's way.
                from PIL import Image

                gray = np.array(Image.open(path).convert("L"))
            for name, read in peers:
                try:
                    counts[name] += matched(expected, read(gray))
                except Exception as error:  # a peer's failure on one image is a miss
                    print(f"{name} failed on {path}: {error}", file=sys.stderr)
        for name, _ in peers:
            print(f"peer-decode-rate {name} {set_name} {counts[name]}/{codes}")
            totals[name] += counts[name]
        codes_total += codes
    for name, _ in peers:
        print(f"peer-decode-rate {name} overall {totals[name]}/{codes_total}")


if __name__ == "__main__":
    main()
