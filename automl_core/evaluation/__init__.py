"""What one trial computes: pipelines, folds, metrics, the objectives, epochs."""
