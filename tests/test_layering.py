"""Prove the layering: core, io and sim import and work with Qt made unimportable."""

import subprocess
import sys
import textwrap


def test_core_io_sim_import_without_qt(tmp_path):
    script = textwrap.dedent("""
        import sys

        class BlockQt:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"):
                    raise ImportError(f"Qt is not allowed here: {name}")
                return None

        sys.meta_path.insert(0, BlockQt())
        import pkgutil, importlib
        import app.core, app.io, app.sim
        names = []
        for pkg in (app.core, app.io, app.sim):
            for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
                importlib.import_module(mod.name)
                names.append(mod.name)
        import app.cli  # the CLI is headless too
        assert not any(m.split(".")[0] in ("PySide6", "pyqtgraph") for m in sys.modules)
        print(len(names))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 10  # really walked the packages
