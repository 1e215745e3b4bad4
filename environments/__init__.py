"""environments domain."""
