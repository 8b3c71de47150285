"""Renderers: results of the core as Rich tables, JSON and files. The core never prints."""
