"""The models the face pipeline runs, each loaded once per process on first use."""
import functools
from pathlib import Path

from PIL import ImageFile

# RetinaFace MobileNet-0.25, cut after its heads (services.faces.retinaface; weights/README.md)
MODEL_FILE = Path(__file__).resolve().parent / "weights" / "retinaface_mobilenet0.25.onnx"
_dlib_models = None


def dlib_models():
    """dlib's landmark predictor and encoder (face_recognition's loaded copies)."""
    global _dlib_models
    if _dlib_models is None:
        import face_recognition.api as fr  # loads the model files shipped with face_recognition_models
        # face_recognition turns on decoding of truncated files; a cut-off upload must be refused.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        _dlib_models = fr
    return _dlib_models


def face_detector_engine():
    """Which runtime runs the face detector: onnxruntime, about 1.7 times faster, where it is
    installed; OpenCV's DNN module (already a dependency) runs the same file elsewhere."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return "opencv-dnn"
    return "onnxruntime"


@functools.lru_cache(maxsize=1)
def face_detector_network():
    """The face detector's network, read once per process, as a function from an input
    blob to its output maps (class and box maps for each stride, finest first). It runs on one
    thread; callers run one inference at a time (an OpenCV net is not safe to share)."""
    import cv2

    # before OpenCV's first use in this process: its thread pool would not survive a fork
    cv2.setNumThreads(1)
    if face_detector_engine() == "onnxruntime":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # The arena keeps a pass's working memory for the next one (~50 MB held after a 12 MP
        # photo's tiles): without it a 12 MP photo's detection took 749 ms instead of 582.
        options.enable_cpu_mem_arena = True
        session = ort.InferenceSession(str(MODEL_FILE), options, providers=["CPUExecutionProvider"])
        names = _head_outputs([o.name for o in session.get_outputs()])
        input_name = session.get_inputs()[0].name
        return lambda blob: session.run(names, {input_name: blob})
    net = cv2.dnn.readNetFromONNX(str(MODEL_FILE))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    names = _head_outputs(net.getUnconnectedOutLayersNames())

    def run(blob):
        net.setInput(blob)
        return net.forward(names)
    return run


def _head_outputs(names):
    """The network's output names, class then box map for each stride, finest first."""
    def named(head, level):
        return next(n for n in names if f"{head}_head.{level}/" in n)

    return [named(head, level) for level in range(3) for head in ("class", "bbox")]


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
