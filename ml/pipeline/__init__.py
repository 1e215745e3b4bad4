"""The training pipeline: read the rendered pipeline job, run it locally or submit it to Azure ML."""
