"""Off-chain risk: pure models (`models`), stress scenarios (`stress`), input files (`inputs`),
the on-chain model update (`publication`) and the keeper cycle (`cycle`)."""
