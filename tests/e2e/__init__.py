"""End-to-end tests: real Meltano, real targets, the fake Enrow API."""
