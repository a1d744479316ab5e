import pkgutil
import subprocess
import sys

import cashloop.core


def test_core_imports_no_django_and_no_app():
    modules = [m.name for m in pkgutil.walk_packages(cashloop.core.__path__, "cashloop.core.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')"
        " or (m.startswith('cashloop.') and not m.startswith('cashloop.core'))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
