"""The SOPS v3 format itself: the document tree, its walk, values, MAC, metadata and data key."""
