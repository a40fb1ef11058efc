"""A real BuildMaster in this process with real buildbot-worker processes."""
