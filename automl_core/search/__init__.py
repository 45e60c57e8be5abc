"""What is searched and how: the search space, the config's space of models and cleaners, and the ask/tell strategies."""
