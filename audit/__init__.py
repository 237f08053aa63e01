"""``make audit``: outside checkers on the running app, scores into docs/audit.md.

Lighthouse (npm, driving Debian's Chromium, mobile profile with its simulated throttling) on
patient and staff pages served by gunicorn in production mode from a throwaway database;
the Nu Html Checker on every page the last browser-test run saved (test-artifacts/e2e/).
"""
