"""The three ways in: the Python API (run, tune, compare), the ``automl`` command line and the scikit-learn estimators."""
