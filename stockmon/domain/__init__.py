"""What both processes share: the models and engine, settings, symbols and markets, accounts
and sessions, watchlists, positions, alert rules, channels and the heartbeat's vocabulary."""
