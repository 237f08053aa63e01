"""``make bench`` (``python -m bench``): prep_app under gunicorn and wrk, compared with a bare
Flask route served the same way in the same run. Prints a table and writes docs/benchmarks.md.

Settings (environment): BENCH_SECONDS (10: each wrk run), BENCH_ROWS (1000000: appointments in
the big database), BENCH_POOL (400: patients whose saves are measured), BENCH_PROFILE (1: profile
every page, not only those that miss a target), BENCH_OUTPUT (docs/benchmarks.md), BENCH_KEEP (1:
keep the temporary folder with the databases and the gunicorn logs). The databases are SQLite
files (the default deployment) in a temporary folder.
"""
