"""Worker tests with real processes, real sockets on 127.0.0.1 and the real reactor."""
