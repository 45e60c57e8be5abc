"""One experiment from call to saved results: the lifecycle, the configured search, ac.tune's run, resume, and the loggers that hear it."""
