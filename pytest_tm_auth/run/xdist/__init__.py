"""One login per run under pytest-xdist: the plugin objects, the broker, its desks and channel.

The lease desk and the channel know neither pytest nor requests.
"""
