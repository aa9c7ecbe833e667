"""catalog.infra.lazy: a module bound with lazy_module runs its code at its first use, once,
and is then the module an import gives; the site's processes start without the modules it
defers."""

import subprocess
import sys

from catalog.infra.lazy import lazy_module


def test_the_code_runs_at_the_first_attribute_and_once(tmp_path, monkeypatch):
    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "heavy.py").write_text(
        "import builtins\n"
        "builtins.heavy_runs = getattr(builtins, 'heavy_runs', 0) + 1\n"
        "VALUE = 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    monkeypatch.setattr(builtins, "heavy_runs", 0, raising=False)
    try:
        heavy = lazy_module("lazypkg.heavy")
        assert builtins.heavy_runs == 0
        assert heavy.VALUE == 42 and builtins.heavy_runs == 1
        import lazypkg
        import lazypkg.heavy as imported

        assert imported is heavy and lazypkg.heavy is heavy and builtins.heavy_runs == 1
    finally:  # the package lives in this test's folder only
        for name in ("lazypkg.heavy", "lazypkg"):
            sys.modules.pop(name, None)


def test_a_process_starts_without_the_sync_git_and_search_modules():
    """Nor GitHub's emoji list: the renderer loads it for the first body with a shortcode."""
    code = (
        "import os, sys, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'guides_site.settings')\n"
        "os.environ['DEBUG'] = '1'\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "from django.core import checks\n"
        "checks.run_checks()  # what every command runs first\n"
        "loaded = [m for m in ('catalog.repository.sync', 'catalog.repository.status',\n"
        "    'catalog.infra.git', 'catalog.pipeline.importer', 'psycopg', 'pymdownx.gemoji_db')\n"
        "    if type(sys.modules.get(m)).__name__ not in ('NoneType', '_LazyModule')]\n"
        "print(loaded)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:///:memory:"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
