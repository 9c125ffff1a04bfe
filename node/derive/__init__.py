"""Derivation: the L2 chain as a pure function of L1 data (deposits now; batches later)."""
