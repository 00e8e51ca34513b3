"""Scheduling: practitioner profiles and directory, schedules, free slots, appointments and
the encounters a check-in opens."""
