"""The Marid worker: connects to a master over PB and runs the commands it sends."""

__version__ = "0.1.0"
