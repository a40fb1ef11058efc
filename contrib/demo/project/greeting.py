"""A tiny module for the demo build to test."""


def greet(name: str) -> str:
    return f"Hello, {name}!"
