"""gunicorn's settings for prep_app. gunicorn reads ``./gunicorn.conf.py`` from the folder it
starts in (or the one ``--chdir`` names), so ``gunicorn wsgi:app`` here uses this file; a
command-line option still wins over a line below.

The access log never holds a patient's token: ``/p/<token>`` is written ``/p/<redacted>``
wherever it appears (the request line, the Referer of the page's own CSS, any header), and so
are gunicorn's own error lines. Each access line ends with the request id that the app's error
page shows as its reference.
"""

import logging
import re

from gunicorn.glogging import Logger

bind = "127.0.0.1:8000"
workers = 2  # one per core is plenty; each stays well under 100 MB
threads = 4
accesslog = "-"
access_log_format = ('%(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
                     'req=%({x-request-id}o)s')

PATIENT_TOKEN = re.compile(r"/p/[^\s/?#\"']+")
REDACTED = "/p/<redacted>"


def redact(value):
    return PATIENT_TOKEN.sub(REDACTED, value) if isinstance(value, str) else value


class _RedactTokens(logging.Filter):
    def filter(self, record):
        record.msg, record.args = redact(record.getMessage()), ()
        return True


class RedactingLogger(Logger):
    """gunicorn's logger, with every patient token taken out before a line is written."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.error_log.addFilter(_RedactTokens())

    def atoms(self, resp, req, environ, request_time):
        return {key: redact(value)
                for key, value in super().atoms(resp, req, environ, request_time).items()}


logger_class = RedactingLogger
