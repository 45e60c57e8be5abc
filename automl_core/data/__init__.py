"""The table before any trial: reading and checking it, the default cleaning, and the cleaning transformers themselves."""
