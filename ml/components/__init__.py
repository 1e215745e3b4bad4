"""Entry points of the training pipeline's components (`python -m ml.components.<step>`).

Each component YAML under `ml/templates/azureml/components/` runs one of these modules with its inputs
and outputs as folder or file paths; the same command runs on Azure ML compute and in the local runner.
MLflow tracking comes from the environment (`MLFLOW_TRACKING_URI`, `MLFLOW_RUN_ID`), as on Azure ML.
"""
