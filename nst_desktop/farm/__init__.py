"""The render farm (issue 19): jobs painted on a Ray cluster of Linux machines, over HTTP.

``protocol`` and ``client`` are stdlib + NumPy only (no Ray, no torch): the app and its bundle
talk to a farm without Ray installed (import-linter keeps them so). ``inputs`` checks and
renders one request (torch only through the service, when a render starts); ``tasks`` is the
Ray task and ``service`` the HTTP service in the driver, both need the ``farm`` extra.
"""
