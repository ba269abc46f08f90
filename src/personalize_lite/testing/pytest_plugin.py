"""pytest plugin for personalize-lite cassettes (registered through the ``pytest11``
entry point). Fixtures are added by the replay work."""
