"""Seeds for a submission's kernel, run silently before its first cell.

Python's ``random`` and NumPy are seeded at once. TensorFlow and PyTorch are seeded the moment
the notebook imports them (an import hook), so a NumPy-only notebook never pays for importing
them, and Keras' default initializers, which draw their seeds from ``random``, are covered too.
``PYTHONHASHSEED`` is set in the kernel's environment by the worker. The installed ``course``
package is imported too (cheap: it loads lazily), so that a ``course/`` folder in the submission
does not shadow it.
"""

from __future__ import annotations

from .kernel_hooks import with_on_import

_TEMPLATE = '''
def __autograder_seed(seed={seed}):
    import os, random, sys
    random.seed(seed)
    try:
        import numpy
        numpy.random.seed(seed)
    except ImportError:
        pass
    # The installed kit first: a ``course`` folder shipped in the submission cannot stand in for it.
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if p not in ("", ".", os.getcwd())]
    try:
        import course
    except Exception:
        pass
    finally:
        sys.path[:] = saved

    def seed_tensorflow(tf):
        tf.random.set_seed(seed)

    def seed_torch(torch):
        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)

    __autograder_on_import({{"tensorflow": seed_tensorflow, "torch": seed_torch}}, "SeedOnImport", warn=False)


__autograder_seed()
del __autograder_seed
'''


def seed_code(seed: int) -> str:
    """Python source that seeds the kernel it runs in (leaves no names behind)."""
    return with_on_import(_TEMPLATE).format(seed=int(seed))
