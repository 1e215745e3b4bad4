"""Model registry: the local MLflow store, the model manifest, and promotion through the Azure ML registry."""
