"""``make bench`` (``python -m bench``): prep_app under gunicorn and wrk, compared with a bare
Flask route served the same way in the same run. Prints a table and writes docs/benchmarks.md.

Settings (environment): BENCH_SECONDS (10: each wrk run), BENCH_ROWS (1000000: appointments in
the big database), BENCH_DATABASE_URL (default: a fresh SQLite file in a temporary folder; a
PostgreSQL URL must point at an empty database), BENCH_PROFILE (1: profile every page, not only
those that miss a target), BENCH_OUTPUT (docs/benchmarks.md), BENCH_KEEP (1: keep the temporary
folder with the database and the gunicorn logs).
"""
