"""A restart of ``make demo`` keeps the demo user logged in.

``demo.py`` prepares the database on every start; it must leave the user's password hash alone
when the password is unchanged, since a new hash ends every session of the user. Run in a child
process with the example's settings, on a throwaway SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"

SCRIPT = """
import sys
sys.path.insert(0, ".")
import demo
demo.prepare_database("demo", "demo")
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username="demo")
first = user.password
demo.prepare_database("demo", "demo")
user.refresh_from_db()
assert user.password == first, "the unchanged password was hashed again"
demo.prepare_database("demo", "changed")
user.refresh_from_db()
assert user.password != first and user.check_password("changed")
print("ok")
"""


def test_preparing_the_database_again_keeps_the_password_hash(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example.settings",
        "SECRET_KEY": "test-only",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("ok"), done.stdout
