"""PEP 517 backend: dlib from its PyPI source release, linked with scipy-openblas32.

dlib's own build looks for BLAS on the system (pkg-config, /usr/lib, /opt/intel) and
silently falls back to its slow built-in BLAS when it finds none.  This backend:

1. downloads the pinned dlib sdist with pip and checks its sha256;
2. makes scipy-openblas32's library look like a plain OpenBLAS to dlib's CMake.  That
   wheel prefixes every symbol with ``scipy_`` (cblas_sgemm -> scipy_cblas_sgemm), so a
   small static archive of jump stubs gives dlib the unprefixed names, and a linker
   script named libopenblas.so / liblapack.so pulls in the stubs plus the real library;
3. builds dlib's wheel with RUNPATH $ORIGIN/scipy_openblas32/lib (the wheel's location
   in site-packages), a runtime dependency on the same scipy-openblas32 version and the
   version suffix +openblas;
4. compiles for x86-64-v3 (AVX2, FMA) when the building machine has it: dlib's HOG detector
   then runs 2.6-3.4x faster than with the AVX-only code dlib's CMake asks for;
5. refuses to hand back a wheel whose extension does not link libscipy_openblas.so;
6. keeps the wheel in the user's cache directory, keyed by everything that shapes it (dlib
   and OpenBLAS versions, CPU target, Python ABI, this file), so a second venv on the same
   machine installs it in seconds instead of compiling again.
"""
import hashlib
import os
import platform
import shutil
import sysconfig
import subprocess
import sys
import tarfile
import tempfile
import zipfile

DLIB_VERSION = "20.0.1"
DLIB_SDIST_SHA256 = "7cb2a09467de032332c743bc967007f016598c66c9c9ebc54a5b66d3d9e46d54"
OPENBLAS_REQ = "scipy-openblas32==0.3.34.481.3"
PREFIX = "scipy_"
# The CPU flags gcc's -march=x86-64-v3 assumes (Haswell and Zen onward); /proc/cpuinfo names
# LZCNT "abm".
X86_64_V3_FLAGS = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}


def get_requires_for_build_wheel(config_settings=None):
    return []


def _run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.check_call(cmd, **kw)


def _download_sdist(dest):
    # pip's hook runner tells its child which backend to load through _PYPROJECT_HOOKS_*
    # variables; left in place they make the nested pip look for dlib's setuptools backend
    # in this folder (pip 26.3 and newer refuse then)
    env = {k: v for k, v in os.environ.items() if not k.startswith("_PYPROJECT_HOOKS_")}
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
          "--no-build-isolation", "--disable-pip-version-check", "-d", dest,
          "dlib==" + DLIB_VERSION], env=env)
    name = "dlib-%s.tar.gz" % DLIB_VERSION
    path = os.path.join(dest, name)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != DLIB_SDIST_SHA256:
        raise RuntimeError("%s: sha256 %s, expected %s" % (name, digest, DLIB_SDIST_SHA256))
    with tarfile.open(path) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)
    return os.path.join(dest, "dlib-" + DLIB_VERSION)


def _openblas_shim(workdir):
    if platform.machine() != "x86_64":
        raise RuntimeError("dlib-openblas: the symbol stubs are x86_64 assembly; "
                           "on %s install plain dlib instead" % platform.machine())
    import scipy_openblas32
    libdir = scipy_openblas32.get_lib_dir()
    real = os.path.join(libdir, "libscipy_openblas.so")
    out = subprocess.check_output(["nm", "-D", "--defined-only", real], text=True)
    exported = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "T":
            exported.add(parts[2])
    stubs = []
    for sym in sorted(exported):
        plain = sym[len(PREFIX):]
        if sym.startswith(PREFIX) and plain and plain not in exported:
            stubs.append(".globl %s\n.hidden %s\n.type %s,@function\n%s:\n\tjmp %s@PLT\n"
                         % (plain, plain, plain, plain, sym))
    asm = os.path.join(workdir, "openblas_unprefixed.s")
    with open(asm, "w") as f:
        f.write(".text\n" + "".join(stubs) + '.section .note.GNU-stack,"",@progbits\n')
    obj = os.path.join(workdir, "openblas_unprefixed.o")
    archive = os.path.join(workdir, "libopenblas_unprefixed.a")
    _run([os.environ.get("CC", "cc"), "-c", "-fPIC", asm, "-o", obj])
    _run(["ar", "rcs", archive, obj])
    libs = os.path.join(workdir, "lib")
    os.makedirs(libs)
    script = "GROUP ( %s %s )\n" % (archive, real)
    for name in ("libopenblas.so", "liblapack.so"):
        with open(os.path.join(libs, name), "w") as f:
            f.write(script)
    print("dlib-openblas: %d unprefixed stubs for %s" % (len(stubs), real), flush=True)
    return libs


def _vector_flags():
    """-march=x86-64-v3 when this machine runs it and DLIB_PORTABLE is unset. The wheel is
    built where it is installed; set DLIB_PORTABLE=1 to build one for older x86-64 CPUs."""
    if platform.machine() != "x86_64" or os.environ.get("DLIB_PORTABLE"):
        return ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return ""
    return "-march=x86-64-v3" if X86_64_V3_FLAGS <= set(flags) else ""


def _check_wheel(wheel):
    with zipfile.ZipFile(wheel) as zf:
        exts = [n for n in zf.namelist() if n.startswith("_dlib_pybind11") and n.endswith(".so")]
        if len(exts) != 1:
            raise RuntimeError("no dlib extension in %s" % wheel)
        tmp = tempfile.mkdtemp()
        try:
            so = zf.extract(exts[0], tmp)
            dyn = subprocess.check_output(["readelf", "-d", so], text=True)
        finally:
            shutil.rmtree(tmp)
    if "[libscipy_openblas.so]" not in dyn or "$ORIGIN/scipy_openblas32/lib" not in dyn:
        raise RuntimeError("dlib was built without scipy-openblas32:\n" + dyn)


def _cache_folder(march):
    """Where this build's wheel is kept, or None when DLIB_WHEEL_CACHE=off."""
    setting = os.environ.get("DLIB_WHEEL_CACHE", "")
    if setting.lower() in ("0", "off", "no", "false"):
        return None
    root = setting or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                   "rollcall", "dlib-wheels")
    with open(__file__, "rb") as f:
        recipe = hashlib.sha256(f.read()).hexdigest()[:12]
    abi = sysconfig.get_config_var("SOABI") or sys.implementation.cache_tag
    key = "-".join([DLIB_VERSION, OPENBLAS_REQ.split("==")[1], march.split("=")[-1] or "default", abi, recipe])
    return os.path.join(root, key)


def _cached_wheel(folder):
    if not folder or not os.path.isdir(folder):
        return None
    wheels = [n for n in os.listdir(folder) if n.endswith(".whl")]
    if len(wheels) != 1:
        return None
    path = os.path.join(folder, wheels[0])
    try:
        _check_wheel(path)
    except (RuntimeError, zipfile.BadZipFile, subprocess.CalledProcessError):
        return None
    return path


def _keep_in_cache(wheel, folder):
    """Copies the wheel in under a temporary name first, so a reader never sees half of it."""
    try:
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, os.path.basename(wheel))
        partial = target + ".partial-%d" % os.getpid()
        shutil.copyfile(wheel, partial)
        os.replace(partial, target)
    except OSError as error:  # a read-only home still installs, it just compiles next time
        print("dlib-openblas: could not keep the wheel in %s: %s" % (folder, error), flush=True)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    work = tempfile.mkdtemp(prefix="dlib-openblas-")
    try:
        # fetched (and its sha256 checked) even when the wheel is cached: cheap, and it keeps
        # the download path exercised by every install
        src = _download_sdist(os.path.join(work, "src"))
        march = _vector_flags()
        cache = _cache_folder(march)
        cached = _cached_wheel(cache)
        if cached:
            print("dlib-openblas: reusing %s" % cached, flush=True)
            shutil.copyfile(cached, os.path.join(wheel_directory, os.path.basename(cached)))
            return os.path.basename(cached)
        libs = _openblas_shim(work)
        # the version becomes 20.0.1+openblas; the wheel needs the library at run time
        with open(os.path.join(src, "setup.cfg"), "w") as f:
            f.write("[egg_info]\ntag_build = +openblas\ntag_date = 0\n\n"
                    "[options]\ninstall_requires = %s\n" % OPENBLAS_REQ)
        empty = os.path.join(work, "no-pkgconfig")
        os.makedirs(empty)
        # dlib's setup.py reads its --set options too late for setup.py/pip to accept
        # them, so the two CMake settings it has no DLIB_* variable for come in through
        # a toolchain file (CMake >= 3.21 reads CMAKE_TOOLCHAIN_FILE from the environment)
        toolchain = os.path.join(work, "openblas-rpath.cmake")
        with open(toolchain, "w") as f:
            f.write('set(CMAKE_BUILD_WITH_INSTALL_RPATH ON CACHE BOOL "")\n'
                    'set(CMAKE_INSTALL_RPATH "$ORIGIN/scipy_openblas32/lib" CACHE STRING "")\n')
        env = dict(os.environ)
        env["CMAKE_TOOLCHAIN_FILE"] = toolchain
        env["CMAKE_LIBRARY_PATH"] = libs      # searched before /usr/lib: ours wins
        env["PKG_CONFIG_LIBDIR"] = empty      # hide a system cblas.pc / lapack.pc
        env["DLIB_USE_BLAS"] = "ON"
        env["DLIB_USE_LAPACK"] = "ON"
        if march:
            for var in ("CFLAGS", "CXXFLAGS"):
                env[var] = (env.get(var, "") + " " + march).strip()
        print("dlib-openblas: compiler flags %r" % (march or "dlib's defaults"), flush=True)
        for var in ("PKG_CONFIG_PATH", "OPENBLAS_HOME"):
            env.pop(var, None)
        dist = os.path.join(work, "dist")
        _run([sys.executable, "setup.py", "bdist_wheel", "-d", dist], cwd=src, env=env)
        (wheel,) = os.listdir(dist)
        _check_wheel(os.path.join(dist, wheel))
        if cache:
            _keep_in_cache(os.path.join(dist, wheel), cache)
        shutil.move(os.path.join(dist, wheel), os.path.join(wheel_directory, wheel))
        return wheel
    finally:
        shutil.rmtree(work, ignore_errors=True)
