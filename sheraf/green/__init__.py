"""sheraf under gevent and gunicorn.

Nothing has to be done for sheraf to be correct under greenlets: every
connection context belongs to the greenlet that opened it and has its own
transaction manager, whether gevent patched the standard library before
sheraf was imported, after, or not at all.

For ZEO to be *cooperative* (a greenlet waiting on the server lets the
others run), its client must be opened after gevent patched
:mod:`threading`: it then runs on an event loop in a greenlet
(:mod:`sheraf.green.zeo`). A database opened before the patching is opened
again by itself at its next connection context, if none is open then; under
gunicorn, :mod:`sheraf.green.gunicorn` re-creates the databases in each
worker after the patching.

- :mod:`sheraf.green.gunicorn`: gunicorn hooks, as a config module.
- :mod:`sheraf.green.wsgi`: a WSGI middleware, one connection per request.
"""
