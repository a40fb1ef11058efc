"""The worker protocol on the master side: PB over TCP, or in memory for local workers.

``pb`` is the only module that touches Perspective Broker objects (PB is
untyped; everything outside it is typed); ``listener`` owns the listening
socket; ``memory`` is the socket-free transport pair that in-process workers
use. What the messages are is written down in ``worker-protocol.md``.
"""
