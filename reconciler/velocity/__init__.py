"""Velocity, the template language of Genesys data actions: ``scan`` reads a template's
references without running it (for lint), ``render`` renders one as Genesys would (for
offline tests), with the tools Genesys gives templates emulated in ``tools``."""
