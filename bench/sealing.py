"""What sealing face templates (AES-256-GCM, services/sealing.py) costs, in process.

Reading templates is the only hot path that changed: a selfie check-in unseals the student's
own templates, a class photo unseals the whole roster's. This times, on one core, reading a
roster's templates from the database and building the matrix (sessions.templates) with sealed
templates against the same rows stored plain, then the matching a class photo of 30 faces
does on that matrix. Both use an in-memory SQLite database and random 128-d vectors (no face
model needed). Run: python -m bench.sealing [--students 1000] [--repeat 30]
"""
import argparse
import statistics
import time

import numpy as np
from sqlalchemy import insert, select

from bench.common import write_result
from models import FaceEncoding, User, db
from services import faces, sealing, sessions


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from app import create_app
    key = bytes.fromhex(sealing.new_key_text())
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench", "FACE_KEY": key.hex()})
    rng = np.random.default_rng(1)
    vectors = rng.normal(0, 0.1, (args.students, 128))
    with app.app_context():
        db.create_all()
        ids = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"email": f"s{i}@bench.test", "role": 0, "name": f"s{i}", "password_hash": "-",
             "created_at": sessions.clock.utc_naive()} for i in range(args.students)]).scalars().all()
        now = sessions.clock.utc_naive()
        db.session.execute(insert(FaceEncoding), [
            {"user_id": uid, "encoding": sealing.seal(key, uid, faces.to_bytes(v)), "created_at": now}
            for uid, v in zip(ids, vectors)])
        db.session.commit()

        def plain_templates(student_ids):  # what sessions.templates did before sealing
            rows = db.session.execute(select(FaceEncoding.user_id, FaceEncoding.encoding)
                                      .where(FaceEncoding.user_id.in_(student_ids))
                                      .order_by(FaceEncoding.user_id, FaceEncoding.id)).all()
            # same row count and sizes; the 33 extra bytes are cut so from_bytes gets 1024
            return faces.gallery((o, raw[17:-16]) for o, raw in rows)

        probes = vectors[:30] + rng.normal(0, 0.02, (30, 128))
        owners, known = sessions.templates(ids, key)
        assert np.allclose(known, vectors)
        result = {"students": args.students, "repeat": args.repeat}
        result["roster_read_plain_ms"] = timed(lambda: plain_templates(ids), args.repeat)
        result["roster_read_sealed_ms"] = timed(lambda: sessions.templates(ids, key), args.repeat)
        fetched = db.session.execute(select(FaceEncoding.user_id, FaceEncoding.encoding)).all()
        result["unseal_per_1000_ms"] = timed(lambda: [sealing.unseal(key, o, r) for o, r in fetched],
                                                   args.repeat) * 1000 / args.students
        result["match_30_faces_ms"] = timed(lambda: faces.assign(probes, owners, known, 0.62, 0.04, 0.1),
                                            args.repeat)
        result["selfie_read_plain_ms"] = timed(lambda: plain_templates(ids[:1]), args.repeat * 10)
        result["selfie_read_sealed_ms"] = timed(lambda: sessions.templates(ids[:1], key), args.repeat * 10)
    for name, value in result.items():
        print(f"{name:24} {value:10.3f}" if isinstance(value, float) else f"{name:24} {value}")
    write_result("sealing.json", result)


if __name__ == "__main__":
    main()
