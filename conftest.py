"""Repository-wide pytest set-up: every domain's shared fixtures are registered here."""

pytest_plugins = ["environments.testing", "ml.testing", "monitoring.testing", "streaming.testing"]
