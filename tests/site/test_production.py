"""Production configuration, health checks and outages, tested in real processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "guides.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
}


def run(args, env, code=None):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(env)
    command = [sys.executable, *(["-c", code] if code else ["manage.py", *args])]
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = run(["check"], env)
    assert result.returncode != 0
    assert result.stderr.startswith(f"manage.py: {missing} is not set")
    assert "DEBUG=1" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_a_newcomer_without_debug_gets_one_line_saying_what_to_set():
    result = run(["import_guides"], {})
    assert result.returncode == 1
    assert result.stderr == (
        "manage.py: SECRET_KEY is not set. Set it in the environment, or set DEBUG=1 for "
        "development.\n"
    )


def test_check_deploy_is_clean_with_the_documented_production_env():
    result = run(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


CLIENT = """
import django, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_site.settings")
django.setup()
from django.test import Client
client = Client(HTTP_HOST="guides.example.org", HTTP_X_FORWARDED_PROTO="https")
for path in ("/healthz", "/", "/guides/x"):
    r = client.get(path)
    print(json.dumps([path, r.status_code, r.content.decode()[:400], r.get("Retry-After")]))
"""


def test_database_down_gives_503_health_and_friendly_pages():
    env = {**PRODUCTION, "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none", "CONN_MAX_AGE": "0"}
    result = run([], env, code=CLIENT)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    health = answers[0]
    assert health[1] == 503
    report = json.loads(health[2])
    assert report["status"] == "unavailable" and report["database"]["ok"] is False
    assert report["database"] == {"ok": False, "error": "unavailable"}
    assert report["cache"]["ok"] is True
    assert "nobody" not in health[2] and "9/none" not in health[2]
    for path, status, body, retry in answers[1:]:
        assert (status, retry) == (503, "30"), path
        assert "Back in a moment" in body and "Traceback" not in body


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"]["ok"] is True
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_public_pages_carry_a_csp_without_inline_script(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    admin_policy = client.get("/admin/login/").headers["Content-Security-Policy"]
    assert "script-src 'self';" in admin_policy


def test_make_run_takes_a_port():
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "runserver 127.0.0.1:8123" in result.stdout, result.stdout + result.stderr
    # absolute URLs (feeds, sitemaps) name the port served unless GUIDES_BASE_URL is set
    assert "${GUIDES_BASE_URL:-http://127.0.0.1:8123/guides}" in result.stdout, result.stdout


def test_the_corpus_is_found_through_guides_corpus(tmp_path):
    code = "from bench.servers import CORPUS; print(CORPUS)"
    result = run([], {"GUIDES_CORPUS": str(tmp_path)}, code=code)
    assert result.stdout.strip() == str(tmp_path), result.stderr
