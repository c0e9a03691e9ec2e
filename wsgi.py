"""The WSGI entry point: ``gunicorn`` serves ``wsgi:app`` with the settings in gunicorn.conf.py."""
from app import create_app

app = create_app()
