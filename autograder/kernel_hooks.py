"""Kernel start-up code shared by the seeds (:mod:`autograder.seeding`) and the GPU memory cap
(:mod:`autograder.gpu_share`): call a function on a framework's module once the notebook imports it.

The grader never imports a framework itself, and a notebook that does not use one does not pay
for it: the hook is a ``sys.meta_path`` finder that wraps the module's ``exec_module``. Each
snippet that uses it is run silently in the kernel and leaves no names behind.
"""

from __future__ import annotations

_ON_IMPORT = '''
def __autograder_on_import(hooks, finder_name, warn):
    """hooks: a dict from a module's name to a function of the module; each runs once, right after its module is executed
    (now, for a module already imported). warn: report a hook's failure on stderr (else silent)."""
    import importlib.abc, importlib.util, sys

    def call(name, hook, module):
        try:
            hook(module)
        except Exception as exc:
            if warn:
                print(f"autograder: {{finder_name}} not applied to {{name}}: {{exc}}", file=sys.stderr)

    for name in list(hooks):
        if name in sys.modules:
            call(name, hooks.pop(name), sys.modules[name])

    def find_spec(self, name, path=None, target=None):
        if name not in hooks:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        hook, exec_module = hooks.pop(name), spec.loader.exec_module

        def exec_and_hook(module):
            exec_module(module)
            call(name, hook, module)

        spec.loader.exec_module = exec_and_hook
        if not hooks:
            sys.meta_path.remove(self)
        return spec

    if hooks:
        sys.meta_path.insert(0, type(finder_name, (importlib.abc.MetaPathFinder,), {{"find_spec": find_spec}})())
'''


def with_on_import(body: str) -> str:
    """``body`` (kernel code that calls ``__autograder_on_import``) with the helper defined before it
    and deleted after it. ``body`` is a ``str.format`` template: literal braces doubled."""
    return _ON_IMPORT + body + "\ndel __autograder_on_import\n"
