"""Renderers: turn results into text, Markdown or JSON. Only these and the CLI write output."""
