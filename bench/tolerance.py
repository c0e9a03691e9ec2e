"""Distances between every check-in probe and every enrollment photo in ../shared/faces.

Genuine pairs (same person) should sit well below FACE_TOLERANCE and impostor pairs
(different people) well above it. Run: python -m bench.tolerance [faces_dir]
"""
import sys
from pathlib import Path

import numpy as np

from services import faces

FACES = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "faces"
PEOPLE = ["obama", "biden", "alex_lacamoire", "kit_harington", "rose_leslie", "lin_manuel_miranda"]


def person_of(path):
    return next(p for p in sorted(PEOPLE, key=len, reverse=True) if path.stem.startswith(p))


def main():
    enrolled = {}
    for path in sorted((FACES / "enroll").iterdir()):
        enrolled[person_of(path)] = faces.enrollment_encoding(path.read_bytes(), 50_000_000)
    probes = sorted((FACES / "probe").iterdir()) + sorted((FACES / "edge").glob("obama_*"))
    genuine, impostor = [], []
    print(f"{'probe':28} {'own':>6} {'nearest other':>22}")
    for path in probes:
        try:
            encodings = faces.probe_encodings(path.read_bytes(), 50_000_000)
        except Exception as exc:  # noqa: BLE001 - a probe with no face is reported, not fatal
            print(f"{path.name:28} {type(exc).__name__}: {exc}")
            continue
        owner = "obama" if path.parent.name == "edge" else person_of(path)
        own = min(float(faces.distances([enrolled[owner]], e)[0]) for e in encodings)
        others = {p: min(float(faces.distances([enc], e)[0]) for e in encodings)
                  for p, enc in enrolled.items() if p != owner}
        nearest = min(others, key=others.get)
        genuine.append(own)
        impostor.extend(others.values())
        print(f"{path.parent.name + '/' + path.name:28} {own:6.3f} {nearest:>15} {others[nearest]:6.3f}")
    names = list(enrolled)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            impostor.append(float(np.linalg.norm(enrolled[a] - enrolled[b])))
    print(f"\ngenuine pairs:  n={len(genuine)}  max={max(genuine):.3f}  mean={np.mean(genuine):.3f}")
    print(f"impostor pairs: n={len(impostor)}  min={min(impostor):.3f}  mean={np.mean(impostor):.3f}")


if __name__ == "__main__":
    main()
