"""Deploy an environment: render -> validate -> plan -> apply (Azure) or start (local)."""
