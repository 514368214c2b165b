"""The scheduler's side: the worker and its jobs (the refresh cycle, the writer, pacing, the
request budget, the lease, alert evaluation and delivery, backfill, retention, search answers)."""
