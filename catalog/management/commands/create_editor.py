"""Create (or update) an editor account: a staff user in the Editors group.

Editors may write and publish guides, edit categories and tags, and upload images; they may
not delete categories or manage users. The password comes from --password-env (the name of
an environment variable, for scripts) or is asked for on the terminal.
"""

import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from catalog.infra.roles import ensure_editors_group
from catalog.management.base import DatabaseCommand


class Command(DatabaseCommand):
    help = "Create or update a staff account in the Editors group."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env", metavar="VAR", help="read the password from this environment variable"
        )

    def handle(self, *args, username, email="", password_env=None, **options):
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"environment variable {password_env} is empty or unset")
        else:
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first() or user_model(username=username)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        user.email = email or user.email
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.add(ensure_editors_group())
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"{username} is an editor."))
