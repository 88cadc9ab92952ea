"""The standard's rows as data, the evidence register, and the assessment derived from them."""
