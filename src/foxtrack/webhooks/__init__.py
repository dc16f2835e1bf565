"""Webhooks: admins register URLs; every matching event is POSTed there, signed, retried."""
