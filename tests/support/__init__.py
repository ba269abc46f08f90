"""What the tests share: drivers for plans, loopback servers (faults, instance metadata and
container endpoint, STS, the soak server), the create/list client helpers, and where the
test data lives. Nothing here is a test; pytest collects none of it."""
