"""The built-in services, one module each with both deployments: Xray, Zephyr Scale, Jira,
and the OAuth 2.0 token endpoints that Jira's service accounts and clients use.

Each module holds only handlers and their vendor's rules; which method and path reach
which handler is the route list's business (:mod:`pytest_tm_auth.sandbox.routes`).
"""
