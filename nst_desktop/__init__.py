"""NST Desktop: neural style transfer for artists."""

__version__ = "0.1.0"
