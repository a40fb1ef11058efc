"""Running work on workers: remote commands now; builders, builds, steps, properties and locks.

``remotecommand.py`` drives one command on a connected worker and gathers its
update stream; the build machinery that uses it lives beside it.
"""
