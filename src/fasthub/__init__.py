"""fasthub: green threads with a compiled hub."""
