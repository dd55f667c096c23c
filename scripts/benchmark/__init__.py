"""Helpers of scripts/bench.py: start servers, drive screenings, measure, report.

Modules (each one job):
    deployment     start/stop a set of servers (a topology) and say where to send turns
    resources      peak resident memory and CPU seconds of the servers' process trees
    training       timed clean training of our bot; the `rasa init` reference project
    conversations  scripted conversations (patients, physicians, the starter bot)
    load           drive many conversations at once over the REST channel
    stats          percentiles, ratios, target checks (pure functions)
    report         the printed table and the results.json document
    progress       phase status lines on stderr
    profiling      optional py-spy profiles of the servers during the measurement
    suite_helpers  tests/ modules the bench reuses, imported by path
"""
