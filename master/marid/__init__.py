"""Marid: a continuous-integration master in the style of Buildbot.

Subpackages each own one concern; see ``docs/`` and each package's docstring.
"""

__version__ = "0.1.0"
