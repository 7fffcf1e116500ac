"""A saloon of cowboys: a small Flask application on sheraf, served by
gunicorn's gevent workers against a ZEO server.

    python -m examples.saloon.launch            # serve until Ctrl-C
    python -m examples.saloon.launch --smoke    # a bounded load, then stop
"""
