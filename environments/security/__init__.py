"""Security scans of the rendered Azure templates, the workflows and the code (`nox -s security`).

checkov, zizmor and bandit run from their own uv project (tools/security/); every finding they report
must be fixed or accepted by an entry, with its reason, in tools/security/allow/<tool>.yml.
"""
