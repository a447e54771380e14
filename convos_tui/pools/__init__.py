"""Warm pools: instances of a launcher kept ready, claimed in one transaction, replenished, drained, recycled."""
