"""The models the face pipeline runs, each loaded once per process on first use."""
import functools

from PIL import ImageFile

_dlib_models = None


def dlib_models():
    """dlib's HOG detector, landmark predictor and encoder (face_recognition's loaded copies)."""
    global _dlib_models
    if _dlib_models is None:
        import face_recognition.api as fr  # loads the model files shipped with face_recognition_models
        # face_recognition turns on decoding of truncated files; a cut-off upload must be refused.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        _dlib_models = fr
    return _dlib_models


def new_haar_cascade():
    """OpenCV's frontal-face Haar cascade, for the small faces of class photos: a fresh copy
    for each detection thread (one copy is not safe to share between threads)."""
    import cv2
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")


@functools.lru_cache(maxsize=1)
def dlib_blas():
    """Which BLAS dlib's encoder runs on, for /healthz and `config show`.

    dlib says whether it was built against an external BLAS; which one is read from the
    libraries this process has loaded (dlib's build links scipy-openblas32's OpenBLAS, a
    file nothing else here loads: numpy and scipy carry their own copies).
    """
    import ctypes

    import dlib
    if not getattr(dlib, "DLIB_USE_BLAS", False):
        return "none (dlib's built-in matrix code)"
    try:
        with open("/proc/self/maps") as maps:
            loaded = {line.split()[-1] for line in maps if line.rstrip().endswith("/libscipy_openblas.so")}
    except OSError:
        loaded = set()
    for path in sorted(loaded):
        library = ctypes.CDLL(path)
        library.scipy_openblas_get_config.restype = ctypes.c_char_p
        return library.scipy_openblas_get_config().decode()
    return "an external BLAS"
