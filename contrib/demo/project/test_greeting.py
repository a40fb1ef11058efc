import unittest

from greeting import greet


class GreetTest(unittest.TestCase):
    def test_greets_by_name(self) -> None:
        self.assertEqual(greet("Marid"), "Hello, Marid!")


if __name__ == "__main__":
    unittest.main()
