"""The desk's operation plans, grouped by what they do. Each is a command with ``load``
(read what it needs), ``decide`` (refuse if it may not go ahead) and ``plan`` (a pure
``Outcome``); the runner executes them."""
