import os

# Kernels compiled by the tests are cached next to the library's, so a second run starts fast.
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), ".numba_cache"))
