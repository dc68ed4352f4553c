"""What every layer of Fulmine shares: the error tree (:mod:`fulmine.errors`)."""
