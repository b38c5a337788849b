"""
Starts Django OAuth Toolkit for one lmi test run: `python3 serve.py STATE_DIR`.

STATE_DIR (a temp dir owned by the caller) holds config.json, written by tests/helpers/dot.ts:

  {"users": [{"username", "password", "email", "first_name", "last_name"}],
   "applications": [{"name", "client_id", "client_secret", "client_type",
                     "authorization_grant_type", "redirect_uris": [...], "algorithm"}],
   "template_db": "/path/migrated.sqlite3" | null,
   "rsa_key_cache": "/path/key.pem" | null,
   "access_token_expire_seconds": 3600}

This script generates the OIDC RSA key (STATE_DIR/oidc_rsa_key.pem; copied from rsa_key_cache when
that file exists, else generated and saved there too, since generating a 2048-bit key takes ~0.5 s),
creates the sqlite database (STATE_DIR/db.sqlite3) with Django's own migrations (or copies an
already migrated template_db, saving it there the first time),
creates the users and applications through the Django models, and serves the project with
waitress on 127.0.0.1 on a port the OS picks. When it listens it prints one line:

  DOT_LISTENING http://127.0.0.1:PORT

No OAuth logic lives here: requests are handled by DOT's views and oauthlib.
"""
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def generate_rsa_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)


def save_atomically(source: Path, target: str) -> None:
    tmp = Path(f"{target}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def main() -> None:
    started = time.monotonic()
    state = Path(sys.argv[1]).resolve()
    config = json.loads((state / "config.json").read_text())

    key_file = state / "oidc_rsa_key.pem"
    key_cache = config.get("rsa_key_cache")
    if key_cache and Path(key_cache).is_file():
        shutil.copyfile(key_cache, key_file)
    else:
        generate_rsa_key(key_file)
        if key_cache:
            save_atomically(key_file, key_cache)
    db = state / "db.sqlite3"
    os.environ["DOT_DB"] = str(db)
    os.environ["DOT_RSA_KEY_FILE"] = str(key_file)
    os.environ["DOT_ACCESS_TOKEN_EXPIRE_SECONDS"] = str(config.get("access_token_expire_seconds", 3600))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dotproject.settings"
    sys.path.insert(0, str(HERE))

    import django

    django.setup()

    from django.core.management import call_command

    template = config.get("template_db")
    if template and Path(template).is_file():
        shutil.copyfile(template, db)
    else:
        call_command("migrate", verbosity=0, interactive=False)
        if template:
            save_atomically(db, template)

    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_application_model

    User = get_user_model()
    Application = get_application_model()
    for u in config.get("users", []):
        User.objects.create_user(
            username=u["username"],
            password=u["password"],
            email=u.get("email", ""),
            first_name=u.get("first_name", ""),
            last_name=u.get("last_name", ""),
        )
    for a in config.get("applications", []):
        app = Application(
            name=a["name"],
            client_id=a["client_id"],
            client_secret=a.get("client_secret", ""),
            client_type=a["client_type"],
            authorization_grant_type=a["authorization_grant_type"],
            redirect_uris=" ".join(a.get("redirect_uris", [])),
            algorithm=a.get("algorithm", "RS256"),
        )
        app.full_clean()  # DOT's own validation (redirect URIs, algorithm), as the admin does
        app.save()

    from django.core.wsgi import get_wsgi_application
    from waitress import create_server

    server = create_server(get_wsgi_application(), host="127.0.0.1", port=0, threads=8)
    print(
        f"DOT_LISTENING http://127.0.0.1:{server.effective_port} "
        f"(setup {time.monotonic() - started:.2f}s)",
        flush=True,
    )
    server.run()


if __name__ == "__main__":
    main()
