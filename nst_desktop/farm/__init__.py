"""The render farm (issue 19): jobs painted on a Ray cluster of Linux machines, over HTTP.

Client side, stdlib + NumPy only (no Ray, no torch; import-linter keeps it so): ``protocol``
(the JSON wire format), ``client`` (``FarmClient``), ``runner`` (one job through outages),
``batch`` (the queue's jobs on the farm), ``loopback`` (a farm on this machine, for tests).
``inputs`` checks and renders one request as the CLI would (torch through the service). Server
side, with the ``farm`` extra: ``tasks`` (the Ray task), ``jobs`` (the service's job table) and
``service`` (``nst-desktop farm serve``); the app bundle excludes all three.
"""
