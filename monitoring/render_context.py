"""Values the monitoring templates need beyond the environment: alert rules, retrain workflow, drift pipeline,
the dashboard workbook.

The rule list is computed here (logic stays in Python) and only placed by `templates/arm/drift-alerts.json.j2`;
the local evaluator reads the same rules back from the rendered file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from environments.asset_versions import code_version, content_version, pinned
from environments.model import Environment
from environments.naming import resource_names
from monitoring.alerts.queries import DIMENSIONS, MEASURE_COLUMN, drift_query

REPO_ROOT = Path(__file__).resolve().parent.parent
DRIFT_PACKAGES = (
    "numpy",
    "scipy",
    "pyarrow",
    "pydantic",
    "pyyaml",
    "matplotlib",
    "azure-monitor-opentelemetry",
    "azure-monitor-opentelemetry-exporter",
)
# A dated build, never `:latest` (the environment version hashes this name).
DRIFT_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20260514.v1"
DRIFT_SOURCES = (
    "monitoring/drift",
    "monitoring/telemetry",
    "environments/data_schema.py",
    "environments/errors.py",
)
PVALUE_METRICS = ("two_sample_kolmogorov_smirnov_test", "pearsons_chi_squared_test")
METRIC_PREFIX = "drift_"
PREDICTION_FEATURE = "score"


def iso_duration(minutes: int) -> str:
    """ISO-8601 duration of whole minutes, as Azure Monitor writes it (PT5M, PT1H, P1D)."""
    if minutes % 1440 == 0:
        return f"P{minutes // 1440}D"
    if minutes % 60 == 0:
        return f"PT{minutes // 60}H"
    return f"PT{minutes}M"


def alert_rules(env: Environment) -> list[dict[str, Any]]:
    """One scheduled query rule per alerting metric: numeric features (and the score), then categorical."""
    schema = env.data_schema()
    numeric = [f.name for f in schema.features if f.is_numeric] + [PREDICTION_FEATURE]
    categorical = [f.name for f in schema.features if not f.is_numeric]
    names = resource_names(env)
    rules = []
    for group, metric, features in (
        ("numeric", env.monitoring.alert.numeric_metric, numeric),
        ("categorical", env.monitoring.alert.categorical_metric, categorical),
    ):
        pvalue = metric in PVALUE_METRICS
        rules.append(
            {
                "name": f"{names.base}-drift-{group}",
                "group": group,
                "metric": metric,
                "metric_name": f"{METRIC_PREFIX}{metric}",
                "features": features,
                "threshold": getattr(env.monitoring.drift, metric),
                "operator": "LessThan" if pvalue else "GreaterThan",
                "time_aggregation": "Minimum" if pvalue else "Maximum",
                "query": drift_query(f"{METRIC_PREFIX}{metric}", env.name, features),
                "description": (
                    f"{metric} of a {group} feature of {env.model.name} in {env.name} "
                    f"{'below' if pvalue else 'above'} {getattr(env.monitoring.drift, metric)}: start retraining."
                ),
            }
        )
    return rules


def dispatch_token_secret(env: Environment) -> str:
    """The Key Vault secret holding the retrain Logic App's GitHub token (`github.dispatch_token`)."""
    reference = env.github.dispatch_token
    return reference.split(":", 1)[1] if reference.startswith("keyvault:") else "github-dispatch-token"


def drift_requirements() -> list[str]:
    """Pinned pip requirements of the drift component's environment, from the locked virtual environment."""
    return pinned(DRIFT_PACKAGES)


def drift_component_version(root: Path = REPO_ROOT) -> str:
    """Content hash of the code the drift component runs."""
    return code_version(DRIFT_SOURCES, root)


def _drift_pipeline(env: Environment) -> dict[str, Any]:
    names = resource_names(env)
    requirements = drift_requirements()
    state = env.local.state_dir if env.local is not None else None
    return {
        "component_name": f"{env.model.name.replace('-', '_')}_drift",
        "component_version": drift_component_version(),
        "environment": {
            "name": f"{env.model.name}-drift",
            "version": content_version([DRIFT_IMAGE.encode(), *(r.encode() for r in requirements)]),
            "image": DRIFT_IMAGE,
            "conda": {
                "name": "drift",
                "channels": ["conda-forge"],
                "dependencies": ["python=3.11", "pip", {"pip": requirements}],
            },
        },
        # Locally: the folders the local runner fills (Azurite download, the ML pipeline's baseline).
        "local_inference_data": f"{state}/monitoring/drift/inference-data" if state else None,
        "local_baseline": f"{state}/data" if state else None,
        "inference_data_url": (
            f"https://{names.storage_account}.blob.core.windows.net/{env.storage.inference_container}/"
        ),
        "thresholds": json.dumps(env.monitoring.drift.model_dump(), sort_keys=True),
        "alert_metrics": json.dumps(
            {
                "numeric": env.monitoring.alert.numeric_metric,
                "categorical": env.monitoring.alert.categorical_metric,
            }
        ),
    }


def _dashboard(env: Environment) -> dict[str, Any]:
    # Imported here: the panels read `alert_rules` from this module.
    from monitoring.dashboard.panels import dashboard_panels
    from monitoring.dashboard.workbook import workbook_content

    names = resource_names(env)
    content = workbook_content(
        dashboard_panels(env),
        app_insights_id=f"[resourceId('Microsoft.Insights/components', '{names.app_insights}')]",
        asa_id=f"[resourceId('Microsoft.StreamAnalytics/streamingjobs', '{names.stream_job}')]",
        endpoint_id=(
            "[resourceId('Microsoft.MachineLearningServices/workspaces/onlineEndpoints', "
            f"'{names.workspace}', '{names.endpoint}')]"
        ),
    )
    return {
        "name": f"{names.base}-dashboard",
        "display_name": f"{env.model.name} ({env.name})",
        "content": content,
    }


def context(env: Environment) -> dict[str, Any]:
    names = resource_names(env)
    return {
        "dashboard": _dashboard(env),
        "drift_pipeline": _drift_pipeline(env),
        "drift_alert": {
            "rules": alert_rules(env),
            "measure_column": MEASURE_COLUMN,
            "dimensions": list(DIMENSIONS),
            "severity": env.monitoring.alert.severity,
            "evaluation_frequency": iso_duration(env.monitoring.alert.evaluation_frequency_minutes),
            "window_size": iso_duration(env.monitoring.alert.window_minutes),
            "action_group": f"{names.base}-retrain-ag",
            "action_group_short_name": f"retrain{env.name}"[:12],
            "workflow": f"{names.base}-retrain",
            "token_secret": dispatch_token_secret(env),
        },
    }
