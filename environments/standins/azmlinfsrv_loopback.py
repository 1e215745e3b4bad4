"""Run azmlinfsrv (azureml-inference-server-http) bound to 127.0.0.1 instead of its fixed 0.0.0.0.

Started as a script with `python -P`, so nothing from the repository is on `sys.path` before the
deployment's code folder (`AML_APP_ROOT`), which goes first: score.py then imports the staged `ml/`
and `monitoring/` exactly as in an Azure ML deployment. Arguments are azmlinfsrv's own.
"""

import os
import sys

LOOPBACK = "127.0.0.1"


def main() -> None:
    app_root = os.environ.get("AML_APP_ROOT")
    if not app_root:
        sys.exit("AML_APP_ROOT must name the deployment's code folder")
    sys.path.insert(0, app_root)
    from azureml_inference_server_http import amlserver

    amlserver.DEFAULT_HOST = LOOPBACK  # amlserver.run() passes this module global to gunicorn's bind
    amlserver.run()


if __name__ == "__main__":
    main()
