"""The app served from a thread on a free loopback port: for the browser, and for peers that
call the app back over HTTP (the Twilio-speaking server's status callbacks)."""

from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """No access log: patient URLs carry link tokens, and the test output stays readable."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def _closed_before_sending(app):
    """The app, each answer read to its end and closed before it is sent.

    A full run once failed the test right after these on an unclosed ``app.css`` (a
    ResourceWarning). werkzeug's server calls the answer's close() last in a ``finally`` that
    first reads from the socket, so a connection the browser resets there (a page left, a
    context closed) can skip it. Test pages are small: buffering them rules that out."""

    def wsgi(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, _closed_before_sending(app), threaded=True,
                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
