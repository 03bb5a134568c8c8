"""Django's command-line utility for the corpus's site; run it as
``python -m fasthub manage.py <command>`` so the command runs monkey-patched."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
