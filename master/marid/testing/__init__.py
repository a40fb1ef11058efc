"""Public fakes for tests of Marid and of code that extends it (custom steps, services).

Each fake implements the same small interface as the real object it stands in
for, and shared contract tests run against both.
"""
