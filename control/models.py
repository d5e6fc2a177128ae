"""Device commands (see control/services.py for their life cycle)."""
