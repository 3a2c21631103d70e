"""The main job (`make demo`): a private anvil, the real deploy script, the real keepers."""
