"""tap-enrow-phone."""
