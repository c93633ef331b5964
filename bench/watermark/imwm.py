"""Runs ShieldMnt/invisible-watermark (dwtDct, dwtDctSvd) on a batch of jobs for the bench.

Usage: python3 imwm.py IMWATERMARK_DIR JOBS.json  -> prints one JSON result per line.
A job is {"op": "embed", "method": m, "in": png, "out": png, "hex": 16 hex digits}
or {"op": "decode", "method": m, "in": [png, ...]} (bits are majority-voted over the frames).
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
# The package imports its rivaGan module (torch, onnxruntime) eagerly; only the classical
# methods are compared here, so empty stand-ins let the import succeed without them.
import types  # noqa: E402

for _m in ("torch", "onnxruntime"):
    sys.modules.setdefault(_m, types.ModuleType(_m))
import cv2  # noqa: E402
from imwatermark import WatermarkDecoder, WatermarkEncoder  # noqa: E402

for job in json.load(open(sys.argv[2])):
    if job["op"] == "embed":
        img = cv2.imread(job["in"])
        enc = WatermarkEncoder()
        enc.set_watermark("bytes", bytes.fromhex(job["hex"]))
        cv2.imwrite(job["out"], enc.encode(img, job["method"]))
        print(json.dumps({"ok": True}), flush=True)
    else:
        votes = [0] * 64
        n = 0
        for p in job["in"]:
            img = cv2.imread(p)
            if img is None or img.shape[0] < 64 or img.shape[1] < 64:
                continue
            dec = WatermarkDecoder("bytes", 64)
            try:
                b = dec.decode(img, job["method"])
            except Exception:
                continue
            bits = "".join(format(x, "08b") for x in b)
            for i, c in enumerate(bits[:64]):
                votes[i] += 1 if c == "1" else -1
            n += 1
        bits = "".join("1" if v > 0 else "0" for v in votes)
        print(json.dumps({"hex": "%016x" % int(bits, 2), "frames": n}), flush=True)
