"""The course's autograder: grades nbgrader submissions in isolated worker processes."""

__version__ = "0.1.0"
