"""Timesheets: time spent tables, days off of the studio and of productions, the team schedule's dates."""
