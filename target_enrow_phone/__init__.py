"""target-enrow-phone: turns leads into Enrow bulk phone searches for tap-enrow-phone."""
