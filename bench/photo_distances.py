"""Face distances in class photos, by face size: what PHOTO_TOLERANCE, PHOTO_REVIEW_BAND and
PHOTO_MARGIN are chosen from.

Every probe photo (and the stranger) is pasted into a 4000x3000 room at one face width at a
time; the room goes through the class-photo detector and encoder, and each face is compared
with every enrollment. Run: python -m bench.photo_distances [--faces DIR]
"""
import argparse
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_FACES
from services import faces
from tools.rooms import compose, face_cutout

WIDTHS = (50, 60, 80, 110, 140)
STRANGER = "lin_manuel_miranda"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    folder = parser.parse_args().faces
    enrolled = {p.stem: faces.enrollment_encoding(p.read_bytes(), 50_000_000)
                for p in sorted((folder / "enroll").iterdir()) if p.stem != STRANGER}
    photos = sorted((folder / "probe").iterdir()) + [next((folder / "enroll").glob(STRANGER + ".*"))]
    genuine, nearest_other, gaps = [], [], []
    for width in WIDTHS:
        image, centres = compose([face_cutout(p.read_bytes(), width) for p in photos])
        pixels, boxes, encodings = faces.room_encodings(image, 50_000_000)
        found = 0
        for photo, (x, y) in zip(photos, centres):
            hit = [e for b, e in zip(boxes, encodings) if b.left <= x <= b.right and b.top <= y <= b.bottom]
            if not hit:
                print(f"  {width:>3} px  {photo.name:24} not found")
                continue
            found += 1
            distance = {person: float(np.linalg.norm(known - hit[0])) for person, known in enrolled.items()}
            owner = next((p for p in enrolled if photo.stem.startswith(p)), None)
            others = sorted(d for p, d in distance.items() if p != owner)
            nearest_other.append(others[0])
            if owner:
                genuine.append(distance[owner])
                gaps.append(others[0] - distance[owner])
        print(f"{width:>3} px faces: {found} of {len(photos)} found")
    print(f"\nsame person:      n={len(genuine)}  max={max(genuine):.3f}  mean={np.mean(genuine):.3f}")
    print(f"nearest stranger: n={len(nearest_other)}  min={min(nearest_other):.3f}")
    print(f"gap between a face's own person and its nearest other: min={min(gaps):.3f}")


if __name__ == "__main__":
    main()
