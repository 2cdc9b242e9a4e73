"""Scripts the matrix runs with a target's own Python, to read what that target made."""
