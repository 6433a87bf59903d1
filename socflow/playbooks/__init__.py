"""The pure playbook engine: YAML spec (three kinds) -> one Graph -> one Conductor; expressions; rehearse."""
