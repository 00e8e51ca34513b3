"""The access gate (api.access.gate): the one way to a patient's clinical data, deciding and
logging every access."""
