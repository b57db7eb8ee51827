"""Pure-Python core of the kiosk: protocol, config, clock, policies. Never imports Qt."""
