"""Targeted collection: ForensicArtifacts definitions and `triage --fast`."""
